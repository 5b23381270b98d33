from django.urls import path

from community.reviews.demo_shop import demo_shop

urlpatterns = [path("", demo_shop, name="demo-shop")]
