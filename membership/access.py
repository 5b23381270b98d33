"""Who reads content in early access: membership's answer to content's access policy.

A member reads a page restricted to a tier when their own tier is at least that tier (by
status-points threshold) and carries the early-access perk (``Tier.early_access``: "can read
guides and posts restricted to this tier"). Installed from ``MembershipConfig.ready()``.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from content.access import Shortfall

from .models import Tier, User
from .selectors import member_standing


def _opens(tier: Tier | None, required: Tier | None) -> bool:
    return (
        tier is not None
        and required is not None
        and tier.early_access
        and tier.threshold >= required.threshold
    )


class TierEarlyAccess:
    def assess(self, user: User, page: Any) -> tuple[bool, Shortfall | None]:
        """Two queries for a member who reads the page (standing; the page's tier is usually
        loaded already), one more for one who does not (the tiers, to say how far)."""
        required = page.early_access_tier
        standing = member_standing(member=user)
        if _opens(standing.tier, required):
            return True, None
        if required is None:
            return False, None
        tiers = list(Tier.objects.order_by("threshold"))
        # The lowest tier that would open the page: the page's own, unless staff have taken
        # the early-access perk off it, then the next one up that has it.
        needed = next((tier for tier in tiers if _opens(tier, required)), None)
        if needed is None:
            return False, None
        current = standing.tier or (tiers[0] if tiers else None)
        return False, Shortfall(
            current_tier=current.name if current else "",
            needed_tier=needed.name,
            points_needed=max(0, needed.threshold - standing.status_points),
            progress_url=reverse("membership:profile", kwargs={"username": user.username}),
        )

    def tier_choices(self) -> dict[str, Any]:
        # A tier without the perk cannot read anything restricted, so it is no choice.
        return {"early_access": True}
