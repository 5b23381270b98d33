"""How often a member may write reviews and mark them helpful (``KANTA_REVIEW_RATE_LIMIT``,
``KANTA_HELPFUL_RATE_LIMIT``: how many per how many seconds).

Counted in the cache by hub.rate_limits (attempts, shared by every process; not limiting
while the cache is down). The views apply them, not the services, so the demo and imports
may write in bulk.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import ngettext

from hub.rate_limits import rate_limit_consume


def review_rate_limit(*, member_id: int) -> None:
    """Count one review written; RateLimited past the limit."""
    limit, period = settings.KANTA_REVIEW_RATE_LIMIT
    refusal = ngettext(
        "You can write %(limit)s review per %(minutes)s minutes. Please try again later.",
        "You can write %(limit)s reviews per %(minutes)s minutes. Please try again later.",
        limit,
    ) % {"limit": limit, "minutes": max(1, period // 60)}
    rate_limit_consume(key=f"review:{member_id}", limit=limit, period=period, refusal=refusal)


def helpful_rate_limit(*, member_id: int) -> None:
    """Count one helpful mark (or unmark); RateLimited past the limit."""
    limit, period = settings.KANTA_HELPFUL_RATE_LIMIT
    refusal = ngettext(
        "You can mark %(limit)s review helpful per %(minutes)s minutes. Please try again later.",
        "You can mark %(limit)s reviews helpful per %(minutes)s minutes. Please try again later.",
        limit,
    ) % {"limit": limit, "minutes": max(1, period // 60)}
    rate_limit_consume(key=f"helpful:{member_id}", limit=limit, period=period, refusal=refusal)
