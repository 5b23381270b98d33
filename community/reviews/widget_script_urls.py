from django.urls import path

from hub.widget_scripts import widget_script

urlpatterns = [
    path("reviews.js", widget_script("community/widgets/reviews.js"), name="reviews-widget-script")
]
