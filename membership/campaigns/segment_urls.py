"""The segment pages' addresses (see admin_urls.py)."""

from django.urls import path

from . import segment_views as views

urlpatterns = [
    path("", views.segment_list, name="segment_list"),
    path("new/", views.segment_new, name="segment_new"),
    path("count/", views.segment_count, name="segment_count"),
    path("<int:pk>/", views.segment_edit, name="segment_edit"),
    path("<int:pk>/members/", views.segment_members_page, name="segment_members"),
    path("<int:pk>/members.csv", views.segment_export_csv, name="segment_export"),
    path("<int:pk>/delete/", views.segment_delete_page, name="segment_delete"),
]
