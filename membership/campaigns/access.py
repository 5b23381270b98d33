"""Who may act on retention: build segments, gift, send campaigns and read their reports.

Staff (the ``send_campaign`` permission, granted to the Staff group) and superusers; everyone
else gets a 403 with this module's message."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from ..models import User


def can_send_campaigns(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm("membership.send_campaign"))


def check_send_campaigns_permission(user: User) -> None:
    if not can_send_campaigns(user):
        raise PermissionDenied(_("Only staff may build segments, give gifts and send campaigns."))
