"""The campaign pages' addresses, mounted by hub/urls.py at /admin/campaigns/ ahead of Wagtail's
admin (like the retention pages: a signed-in person without the permission gets a plain 403).
Each area keeps its own list; this module only puts them together."""

from __future__ import annotations

from django.urls import include, path

from . import campaign_urls, gift_urls, report_urls, segment_urls

app_name = "campaigns_admin"

urlpatterns = [
    path("segments/", include(segment_urls.urlpatterns)),
    path("gifts/", include(gift_urls.urlpatterns)),
    path("", include(campaign_urls.urlpatterns)),
    path("", include(report_urls.urlpatterns)),
]
