from django.urls import path

from community.reviews.feed import product_reviews_feed

urlpatterns = [path("product-reviews.xml", product_reviews_feed, name="product-reviews-feed")]
