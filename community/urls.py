from django.urls import include, path

from community.reviews import views

app_name = "community"

urlpatterns = [
    path("products/<slug:slug>/review/", views.review_new, name="review_new"),
    path("reviews/<int:pk>/edit/", views.review_edit, name="review_edit"),
    path("reviews/<int:pk>/helpful/", views.review_helpful, name="review_helpful"),
    path("forum/", include("community.forum.urls")),
    path("events/<slug:slug>/", include("community.events.urls")),
]
