"""Community activity and negative feedback, reported by other apps for the retention insight.

membership never imports the apps that hold the activity (community imports membership, not
the other way round). Each app declares its sources in ``<app>/insight_sources.py``:

    register_activity_source(ActivitySource(
        key="forum-posts", kind="posted",
        counts=lambda *, windows: counts_by_member(
            Post.objects.filter(state="visible"), member="author_id", date="created_at", windows=windows
        ),
    ))
    register_feedback_source(FeedbackSource(key="reviews", negative=lambda *, since, until: [...]))

A source answers for every member at once, in one query (``counts_by_member`` builds it), so a
refresh costs one query per source whatever the number of members. What counts as activity is
docs/insight.md, "Engaged".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.db.models import Count, Q, QuerySet

from hub.apps_modules import app_submodules

# "posted, reviewed, reacted or attended an event" (issue 12); the kind is for documentation
# and for a source's label: every kind counts the same toward being engaged.
ActivityKind = Literal["posted", "reviewed", "reacted", "attended"]


@dataclass(frozen=True)
class Window:
    """A span of time: ``start`` included (None: since the beginning), ``end`` excluded."""

    start: datetime | None
    end: datetime


@dataclass(frozen=True)
class ActivitySource:
    key: str
    kind: ActivityKind
    # counts(windows=...) -> {member id: [count in each window, in the windows' order]};
    # members with nothing in any window may be left out.
    counts: Callable[..., Mapping[int, Sequence[int]]]
    # Optional: the same activity as rows (a queryset factory, its member and date fields), so
    # a segment can test it inside one SQL query (membership/campaigns/conditions.py).
    rows: Callable[[], QuerySet] | None = None
    member: str = ""
    date: str = ""


@dataclass(frozen=True)
class Feedback:
    """One piece of negative feedback: a review of one or two stars, say."""

    member_id: int
    rating: int
    date: datetime
    product: str


@dataclass(frozen=True)
class FeedbackSource:
    key: str
    # negative(since=..., until=...) -> the negative feedback given in [since, until).
    negative: Callable[..., Iterable[Feedback]]
    # Optional, as ActivitySource.rows: the negative feedback as rows, for segments.
    rows: Callable[[], QuerySet] | None = None
    member: str = ""
    date: str = ""


_ACTIVITY: dict[str, ActivitySource] = {}
_FEEDBACK: dict[str, FeedbackSource] = {}
_loaded = False


def register_activity_source(source: ActivitySource) -> None:
    _ACTIVITY[source.key] = source


def register_feedback_source(source: FeedbackSource) -> None:
    _FEEDBACK[source.key] = source


def _load() -> None:
    global _loaded
    if not _loaded:
        list(app_submodules("insight_sources"))  # importing each module registers its sources
        _loaded = True


def activity_sources() -> list[ActivitySource]:
    _load()
    return sorted(_ACTIVITY.values(), key=lambda source: source.key)


def feedback_sources() -> list[FeedbackSource]:
    _load()
    return sorted(_FEEDBACK.values(), key=lambda source: source.key)


def counts_by_member(
    queryset: QuerySet, *, member: str, date: str, windows: Sequence[Window]
) -> dict[int, list[int]]:
    """One grouped query: per member (the ``member`` field, e.g. ``"author_id"``), how many
    rows of ``queryset`` have ``date`` in each window."""
    if not windows:
        return {}
    rows = queryset.filter(**{f"{date}__lt": max(window.end for window in windows)})
    starts = [window.start for window in windows]
    if all(start is not None for start in starts):
        rows = rows.filter(**{f"{date}__gte": min(start for start in starts if start is not None)})
    aggregates = {}
    for index, window in enumerate(windows):
        condition = Q(**{f"{date}__lt": window.end})
        if window.start is not None:
            condition &= Q(**{f"{date}__gte": window.start})
        aggregates[f"w{index}"] = Count("pk", filter=condition)
    result: dict[int, list[int]] = {}
    for row in rows.order_by().values(member).annotate(**aggregates):
        if row[member] is not None:
            result[row[member]] = [row[f"w{index}"] for index in range(len(windows))]
    return result


def activity_counts(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    """Every member's community activity in each window, summed over the registered sources
    (one query per source). Members with no activity at all are left out."""
    totals: dict[int, list[int]] = {}
    for source in activity_sources():
        for member_id, counts in source.counts(windows=windows).items():
            if len(counts) != len(windows):
                raise ValueError(
                    f"activity source {source.key} answered {len(counts)} counts for {len(windows)}"
                )
            current = totals.setdefault(member_id, [0] * len(windows))
            for index, count in enumerate(counts):
                current[index] += int(count)
    return totals


def negative_feedback(*, since: datetime, until: datetime) -> dict[int, list[Feedback]]:
    """Negative feedback given in [since, until), per member, newest first (one query per source)."""
    found: dict[int, list[Feedback]] = {}
    for source in feedback_sources():
        for feedback in source.negative(since=since, until=until):
            found.setdefault(feedback.member_id, []).append(feedback)
    for items in found.values():
        items.sort(key=lambda item: (item.date, item.rating), reverse=True)
    return found


__all__ = [
    "ActivityKind",
    "ActivitySource",
    "Feedback",
    "FeedbackSource",
    "Window",
    "activity_counts",
    "activity_sources",
    "counts_by_member",
    "feedback_sources",
    "negative_feedback",
    "register_activity_source",
    "register_feedback_source",
]
