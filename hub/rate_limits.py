"""The one rate limiter: at most ``limit`` hits in ``period`` seconds per member (or address),
and a refusal in the feature's own words.

Features declare their limits (how many, how long, from their settings) and the words a
refused member reads; this module knows no feature. A refusal raises :class:`RateLimited`,
whose message is meant for the member (views answer 429 with it, sockets an error frame
``rate_limited``). Hits are counted one of two ways:

- :func:`rate_limit_check`, from the rows the hits stored (posts, questions, chat messages,
  visits): a sliding window, so the limit holds across every server process, needs no cache
  and works with frozen time in tests. The refusal says how long to wait: until the
  ``limit``-th newest hit leaves the window (:func:`rate_limit_free_at`).
- :func:`rate_limit_consume`, in the cache, for limits on attempts rather than on what they
  store (reviews, helpful marks): a fixed window counter (Redis in production, shared by every
  process; the local-memory cache in development). While the cache is down it does not limit:
  hub/cache.py answers ``incr`` as "no such key", so each attempt starts a new count.

allauth's sign-in limits are allauth's own (membership/account_limits.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet


class RateLimited(Exception):
    """Too many attempts; the message is meant for the member."""


def rate_limit_free_at(
    rows: QuerySet[Any], *, limit: int, period: float, now: datetime, field: str = "created_at"
) -> datetime | None:
    """When one more hit fits: None if it fits now, else when the ``limit``-th newest of
    ``rows`` stamped within ``period`` seconds before ``now`` leaves that window. A row
    stamped after ``now`` (a concurrent write that committed first) counts as ``now``; a
    limit of 0 never fits before a whole period has passed."""
    window = timedelta(seconds=period)
    recent = list(
        rows.filter(**{f"{field}__gt": now - window})
        .order_by(f"-{field}")
        .values_list(field, flat=True)[: max(limit, 0)]
    )
    if len(recent) < limit:
        return None
    free_at = min(recent[-1], now) + window if recent else now + window
    return free_at if free_at > now else None


def rate_limit_check(
    rows: QuerySet[Any],
    *,
    limit: int,
    period: float,
    now: datetime,
    refusal: Callable[[int], str],
    field: str = "created_at",
) -> None:
    """Raise RateLimited with ``refusal(seconds to wait)`` (at least 1) when ``rows`` hold
    ``limit`` hits within ``period`` seconds before ``now``."""
    free_at = rate_limit_free_at(rows, limit=limit, period=period, now=now, field=field)
    if free_at is not None:
        raise RateLimited(refusal(max(1, int((free_at - now).total_seconds() + 0.999))))


def rate_limit_consume(*, key: str, limit: int, period: int, refusal: str, now: float | None = None) -> None:
    """Count one attempt under ``key`` (the limit's name and who: ``"review:12"``) and raise
    RateLimited with ``refusal`` when this is more than ``limit`` in the current window of
    ``period`` seconds."""
    window = int((now if now is not None else time.time()) // period)
    cache_key = f"ratelimit:{key}:{window}"
    cache.add(cache_key, 0, timeout=period + 60)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr (or the cache is down)
        cache.set(cache_key, 1, timeout=period + 60)
        count = 1
    if count > limit:
        raise RateLimited(refusal)


def rate_limit_reached(*, key: str, limit: int, period: int, now: float | None = None) -> bool:
    """Whether ``key`` has used up ``limit`` in the current window of ``period`` seconds,
    without counting an attempt: for limits counted only on failure (rate_limit_consume
    after the failure), checked before the work."""
    window = int((now if now is not None else time.time()) // period)
    count = cache.get(f"ratelimit:{key}:{window}")
    return isinstance(count, int) and count >= limit
