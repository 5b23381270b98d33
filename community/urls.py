"""The community's addresses: each feature's ``urls.py``, all in the ``community`` namespace."""

from django.urls import include, path

app_name = "community"

urlpatterns = [
    path("", include("community.reviews.urls")),
    path("forum/", include("community.forum.urls")),
    path("events/<slug:slug>/", include("community.events.urls")),
]
