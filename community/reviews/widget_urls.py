from django.urls import path

from community.reviews.widget import reviews_widget

urlpatterns = [path("<str:sku>/", reviews_widget, name="reviews-widget")]
