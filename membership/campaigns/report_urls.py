"""The report pages' addresses (see admin_urls.py)."""

from django.urls import path

from . import report_views

urlpatterns = [
    path("<int:campaign_id>/report/", report_views.campaign_report, name="campaign_report"),
]
