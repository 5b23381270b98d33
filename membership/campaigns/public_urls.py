"""The member-facing email addresses: one-click unsubscribe (RFC 8058) and the email
preferences page reached from every marketing email; mounted by hub/urls.py at /email/.

The email provider's webhooks (bounces, complaints, unsubscribes, opens: receivers.py) are
anymail's views under /email/anymail/<provider>/tracking/, mounted only when
ANYMAIL["WEBHOOK_SECRET"] is set: without it anyone could post a fake bounce and suppress an
address, and anymail's basic auth is the only lock most providers' webhooks have."""

from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

from . import public_views

app_name = "campaigns"

urlpatterns: list[URLPattern | URLResolver] = [
    path("unsubscribe/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", public_views.preferences, name="preferences"),
]

if getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET"):
    urlpatterns.append(path("anymail/", include("anymail.urls")))
