"""Membership's own sections on a member's profile page."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from . import selectors
from .profile_registry import ProfileSection, register_profile_section
from .services.referrals import referral_link_get_or_create


def _referrals(*, member, viewer, is_self: bool) -> dict | None:
    # A member's invitations and how each went are their own business.
    if not is_self:
        return None
    link = selectors.referral_link_for(member=member)
    referrals = []
    if link is None:
        # Made lazily, the first time it is shown. Without a link nobody can have been
        # referred yet, so there is no list to read.
        referral_link_get_or_create(member=member)
        link = selectors.referral_link_for(member=member)
        assert link is not None  # made just above
    else:
        referrals = list(selectors.referrals_for(member=member))
    return {
        "link": link,
        "path": reverse("membership:referral", kwargs={"code": link.code}),
        "referrals": referrals,
        "min_order": settings.KANTA_REFERRAL_MIN_ORDER,
    }


register_profile_section(
    ProfileSection(
        key="referrals", template="membership/profile_referrals.html", context=_referrals, order=60
    )
)


def _rewards(*, member, viewer, is_self: bool) -> dict | None:
    # Coupon codes are as good as money: only their owner sees them.
    if not is_self:
        return None
    return {"redemptions": list(selectors.redemptions_for(member=member)[:10])}


register_profile_section(
    ProfileSection(key="rewards", template="membership/profile_rewards.html", context=_rewards, order=70)
)
