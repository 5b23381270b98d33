"""The retention pages' addresses, mounted by hub/urls.py at /admin/retention/ ahead of
Wagtail's admin: Wagtail sends a signed-in person without admin access to its sign-in page,
where this report must answer them with a plain 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from wagtail.admin.auth import require_admin_access

from .selectors import can_view_retention
from .views import AtRiskView, RetentionReportView


def retention_gate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    admin_view = require_admin_access(view)

    @wraps(view)
    def gated(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("wagtailadmin_login"))
        if not request.user.has_perm("wagtailadmin.access_admin") and not can_view_retention(request.user):
            raise PermissionDenied(_("Only staff may see the retention figures."))
        # Wagtail's wrapper sets the admin's language and time zone; the view checks the
        # permission itself and answers admin users without it with the admin's 403 page.
        return admin_view(request, *args, **kwargs)

    return gated


urlpatterns = [
    path("", retention_gate(RetentionReportView.as_view()), name="membership_retention"),
    path("at-risk/", retention_gate(AtRiskView.as_view()), name="membership_retention_at_risk"),
]
