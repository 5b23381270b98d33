"""The campaign pages' addresses (see admin_urls.py)."""

from django.urls import path

from . import campaign_views as views

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.campaign_new, name="campaign_new"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("<int:pk>/progress.json", views.campaign_progress_view, name="campaign_progress"),
    path("<int:pk>/cancel/", views.campaign_cancel_post, name="campaign_cancel"),
    path("lifecycle/", views.campaign_lifecycle, name="campaign_lifecycle"),
    path("lifecycle/<int:pk>/", views.campaign_lifecycle_edit, name="campaign_lifecycle_edit"),
    path("lifecycle/<int:pk>/toggle/", views.campaign_lifecycle_toggle, name="campaign_lifecycle_toggle"),
]
