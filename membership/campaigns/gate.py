"""The gate in front of every campaign admin page: sign in through Wagtail, then the
``send_campaign`` permission (access.py), else a plain 403 page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.admin.auth import require_admin_access

from .access import can_send_campaigns


def campaigns_gate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an admin view: anonymous → sign-in; signed in without the permission → 403."""
    admin_view = require_admin_access(view)

    @wraps(view)
    def gated(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("wagtailadmin_login"))
        if not can_send_campaigns(request.user):
            return TemplateResponse(
                request,
                "membership/admin/retention/forbidden.html",
                {
                    "message": _("Only staff may build segments, give gifts and send campaigns."),
                    "page_title": _("Campaigns"),
                },
                status=403,
            )
        # Wagtail's wrapper sets the admin's language and time zone.
        return admin_view(request, *args, **kwargs)

    return gated


__all__ = ["PermissionDenied", "campaigns_gate"]
