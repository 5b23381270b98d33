"""Writing, editing and voting on reviews (included at the site's root by community/urls.py,
namespace ``community``)."""

from django.urls import path

from community.reviews import views

urlpatterns = [
    path("products/<slug:slug>/review/", views.review_new, name="review_new"),
    path("reviews/<int:pk>/edit/", views.review_edit, name="review_edit"),
    path("reviews/<int:pk>/helpful/", views.review_helpful, name="review_helpful"),
]
