"""Per-member rate limits on writes that can be farmed (reviews, helpful votes).

A fixed window counter in the cache (Redis in production, shared by every process; the
local-memory cache in development). The views apply them, not the services, so the demo and
imports may write in bulk.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class RateLimited(Exception):
    """Too many attempts; the message is meant for the member."""


def rate_limit_consume(
    *, scope: str, member_id: int, limit: int, period: int, now: float | None = None
) -> None:
    """Count one attempt; raise RateLimited when this is more than ``limit`` in the window."""
    window = int((now if now is not None else time.time()) // period)
    key = f"ratelimit:{scope}:{member_id}:{window}"
    cache.add(key, 0, timeout=period + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period + 60)
        count = 1
    if count > limit:
        raise RateLimited(_limit_message(scope, limit, period))


def _limit_message(scope: str, limit: int, period: int) -> str:
    minutes = max(1, period // 60)
    if scope == "review":
        return ngettext(
            "You can write %(limit)s review per %(minutes)s minutes. Please try again later.",
            "You can write %(limit)s reviews per %(minutes)s minutes. Please try again later.",
            limit,
        ) % {"limit": limit, "minutes": minutes}
    if scope == "helpful":
        return ngettext(
            "You can mark %(limit)s review helpful per %(minutes)s minutes. Please try again later.",
            "You can mark %(limit)s reviews helpful per %(minutes)s minutes. Please try again later.",
            limit,
        ) % {"limit": limit, "minutes": minutes}
    return _("Too many attempts. Please try again later.")


def review_rate_limit(*, member_id: int) -> None:
    limit, period = settings.KANTA_REVIEW_RATE_LIMIT
    rate_limit_consume(scope="review", member_id=member_id, limit=limit, period=period)


def helpful_rate_limit(*, member_id: int) -> None:
    limit, period = settings.KANTA_HELPFUL_RATE_LIMIT
    rate_limit_consume(scope="helpful", member_id=member_id, limit=limit, period=period)
