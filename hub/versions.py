"""Versions of what cached pages and fragments are built from: read before rendering, part of
every cache key or stored beside the cached value, bumped in the transaction that changes it.

A tag names one thing a page shows: ``CONTENT`` (any live page, snippet, product or site
setting), ``REVIEWS`` (any review or rating), ``FORUM`` (the forum index: threads, counts, last
posts) and ``thread_tag(id)`` (one thread's posts); and ``LOYALTY``, the earning rules and
tiers the points ledger keeps a copy of in each process. A tag never bumped reads as version 0.

Versions are random, not counters, so one upsert bumps any number of tags on SQLite and
PostgreSQL alike; a reader only ever compares them for equality.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from .models import CacheVersion

CONTENT = "content"
REVIEWS = "reviews"
FORUM = "forum"
# The earning rules and tiers (membership.models): each process keeps a copy for the ledger.
LOYALTY = "loyalty"


# Read together with the first tag a request asks for: one query serves the routing of a
# page and every fragment on it.
COMMON_TAGS = (CONTENT, REVIEWS, FORUM, LOYALTY)
_REQUEST_ATTR = "_kanta_versions"


def thread_tag(thread_id: int) -> str:
    return f"thread:{thread_id}"


def versions(tags: Iterable[str]) -> dict[str, int]:
    """The current version of each tag, in one query."""
    wanted = sorted(set(tags))
    found = dict(CacheVersion.objects.filter(tag__in=wanted).values_list("tag", "version"))
    return {tag: found.get(tag, 0) for tag in wanted}


def request_versions(request: Any, tags: Iterable[str]) -> dict[str, int]:
    """The versions of ``tags``, read at most once per request (with the common tags).

    ``request`` may be None (a render outside a request): the versions are then read afresh.
    """
    wanted = set(tags)
    if request is None:
        return versions(wanted)
    memo: dict[str, int] | None = getattr(request, _REQUEST_ATTR, None)
    if memo is None:
        memo = {}
        setattr(request, _REQUEST_ATTR, memo)
    missing = wanted - memo.keys()
    if missing:
        memo.update(versions(missing | (set(COMMON_TAGS) - memo.keys())))
    return {tag: memo[tag] for tag in wanted}


def versions_key(tags: Iterable[str]) -> str:
    """The versions of ``tags`` as one string, for a cache key."""
    return ".".join(f"{version:x}" for _, version in sorted(versions(tags).items()))


def bump(*tags: str) -> None:
    """Give each tag a new version, inside the caller's transaction (one upsert)."""
    if not tags:
        return
    CacheVersion.objects.bulk_create(
        [CacheVersion(tag=tag, version=secrets.randbits(62) or 1) for tag in sorted(set(tags))],
        update_conflicts=True,
        update_fields=["version"],
        unique_fields=["tag"],
    )
