from django.urls import path

from . import views

app_name = "content"

urlpatterns = [
    path("products/<slug:slug>/", views.product_detail, name="product"),
    path("search/", views.search_view, name="search"),
]
