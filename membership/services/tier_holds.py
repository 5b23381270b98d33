"""The in-app warning that a tier hold ends within 30 days while the member is short of the
threshold (the periodic job ``tier_holds_warn``). Which holds end when, and the points that
keep a tier, are read in ``membership.selectors`` (``tier_holds_ending``, ``tier_hold_for``),
the same reads the profile, the "tier hold ending" lifecycle campaign and the retention
insight use."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..languages import in_member_language
from ..models import Campaign
from ..selectors import tier_holds_ending
from .notifications import notification_send
from .points import tier_warning_claim

NOTIFICATION_KIND: Final = "tier-hold-ending"


def _campaign_warns_in_app() -> bool:
    return Campaign.objects.filter(
        kind=Campaign.Kind.LIFECYCLE,
        trigger=Campaign.Trigger.TIER_HOLD_ENDING,
        state=Campaign.State.LIVE,
        send_in_app=True,
    ).exists()


def tier_holds_warn(*, now: datetime | None = None) -> int:
    """The periodic job: one in-app notification per hold to members whose tier hold ends
    within 30 days while short of the threshold, saying how many points keep it. Marks
    ``tier_warned_for`` with the hold end first (``points.tier_warning_claim``, the standing's
    one writer): a rerun, or a second worker, finds it marked and sends nothing. Returns how
    many were warned."""
    now = now or timezone.now()
    if _campaign_warns_in_app():
        # The "tier hold ending" lifecycle campaign sends this in the app (and by email).
        return 0
    warned = 0
    for standing, hold in tier_holds_ending(now=now, unwarned=True):
        with transaction.atomic():
            claimed = tier_warning_claim(
                standing=standing, tier_id=hold.tier.pk, reached_at=hold.reached_at, ends_at=hold.ends_at
            )
            if not claimed:
                continue
            member = standing.member
            with in_member_language(member):
                date = formats.date_format(timezone.localdate(hold.ends_at), "DATE_FORMAT")
                title = ngettext(
                    "%(points)s more status point by %(date)s keeps your %(tier)s tier",
                    "%(points)s more status points by %(date)s keep your %(tier)s tier",
                    hold.needed,
                ) % {"points": hold.needed, "date": date, "tier": hold.tier.name}
                body = _(
                    "Your %(tier)s tier is held until %(date)s. From then on it counts the status "
                    "points earned since you reached it: %(kept)s of the %(threshold)s it needs so far."
                ) % {
                    "tier": hold.tier.name,
                    "date": date,
                    "kept": hold.kept,
                    "threshold": hold.tier.threshold,
                }
            notification_send(
                recipient=member,
                kind=NOTIFICATION_KIND,
                title=title,
                body=body,
                url=member.get_absolute_url(),
            )
            warned += 1
    return warned
