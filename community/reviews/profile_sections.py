"""The member's reviews on their profile: all of them for the member, published ones for others.
The registry is membership/profile_registry.py."""

from __future__ import annotations

from typing import Any

from community.reviews.models import Review
from community.reviews.selectors import reviews_for_profile
from membership.profile_registry import ProfileSection, register_profile_section


def _context(*, member, viewer, is_self: bool) -> dict[str, Any] | None:
    reviews = reviews_for_profile(member=member, is_self=is_self)
    if not reviews and not is_self:
        return None
    return {"reviews": reviews, "is_self": is_self, "member": member, "States": Review.State}


register_profile_section(
    ProfileSection(
        key="reviews", template="community/reviews/profile_reviews.html", context=_context, order=40
    )
)
