"""What members should know about the points reviews earn, for the "ways to earn" page
(membership/selectors.py ``earning_rules_public``, plug-in ``earning_terms``): the points
wait while the review is public for the hold (services/reviews.py), whatever the rule's own
days pending, and only a verified buyer's review earns them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _


def earning_terms() -> dict[str, dict[str, Any]]:
    """{rule key: {"hold_days": minimum days pending, "condition": a sentence}}."""
    hold = settings.KANTA_REVIEW_POINTS_HOLD_DAYS
    return {
        "review": {
            "hold_days": hold,
            "condition": _("For a review of a product you bought, whatever its rating."),
        },
        "review-photo": {"hold_days": hold, "condition": _("When that review shows your own photos.")},
    }
