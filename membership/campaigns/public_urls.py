"""The member-facing email addresses: one-click unsubscribe (RFC 8058) and the email
preferences page reached from every marketing email; mounted by hub/urls.py at /email/."""

from __future__ import annotations

app_name = "campaigns"

urlpatterns: list = []
