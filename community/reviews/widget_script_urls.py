from django.urls import path

from community.reviews.widget import reviews_widget_script

urlpatterns = [path("reviews.js", reviews_widget_script, name="reviews-widget-script")]
