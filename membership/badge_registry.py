"""Badges are declared in code by the app (or feature package) that owns the activity, in its
``badges.py`` (community/reviews/badges.py, say):

    register_badge(BadgeDefinition(
        key="critic", name=_("Critic"), description=_("Writes product reviews."),
        thresholds=(1, 10, 25), events={"review.published"},
        unit=ngettext_lazy("%(count)s review", "%(count)s reviews", "count"),
        counter=lambda member: Review.objects.filter(author=member, visible=True).count(),
    ))

Badges appear in the catalogue by ``order`` (default 100), then in the order they were
registered (INSTALLED_APPS order, then an app's feature packages; membership/badges.py keeps
the default).

``unit`` is a number with its noun in the language's plural forms: ``ngettext_lazy`` with
``%(count)s`` in both forms and the string ``"count"`` as its number, so "1 review" and
"25 reviews" (and Finnish "1 arvostelu", "25 arvostelua") come out right;
``definition.quantity(25)`` writes it, and templates use ``{{ badge.unit|with_count:25 }}``
(hub/templatetags/kanta_plurals.py). A plain noun ("reviews") is refused at registration.

A counter is one query. A badge that also gives its ``count`` as an expression (a subquery
on the member's row) is read with the levels held in one statement instead. Badges that
count the same rows share a ``tally``: one function
that counts all of them in one query, {badge key: count} (community/reviews/badges.py: Critic
and Shutterbug from one aggregate over the member's reviews). Evaluating an event runs each
distinct tally once and the counters of the other badges listening to it, so the cost is
bounded by the number of badges, never by the member's history.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from hub.apps_modules import app_submodules

LEVEL_NAMES = {1: _("Bronze"), 2: _("Silver"), 3: _("Gold")}


@dataclass(frozen=True)
class BadgeDefinition:
    key: str
    name: str | Promise
    description: str | Promise
    thresholds: tuple[int, ...]  # one per level, ascending; a single value means one level
    unit: Promise  # ngettext_lazy("%(count)s review", "%(count)s reviews", "count")
    counter: Callable[..., int]
    events: frozenset[str] = field(default_factory=frozenset)
    icon: str = "badge"
    # Optional: the counter for many members in one query, {member pk: count} (absent = 0).
    # Bulk paths (orders_import) use it; without it they call ``counter`` for each member.
    counter_many: Callable[[Sequence[Any]], dict[int, int]] | None = None
    # Optional: one query counting this badge and the others that share it, {badge key:
    # count}. Evaluation calls it once for all of them instead of each one's ``counter``
    # (which must agree with it; pages still read ``counter`` one badge at a time).
    tally: Callable[[Any], Mapping[str, int]] | None = None
    # Optional: the count as an expression over the member's row (a scalar subquery on
    # ``OuterRef("pk")``). Evaluation reads every such count, and the levels held, in one
    # statement; it must agree with ``counter``.
    count: Callable[[], Any] | None = None
    order: int = 100  # place in the catalogue (and in evaluation); ties keep registration order

    def level_for(self, count: int) -> int:
        return sum(1 for threshold in self.thresholds if count >= threshold)

    def quantity(self, count: int) -> str:
        """``count`` with the badge's noun: "1 published review", "25 published reviews"."""
        return str(self.unit % {"count": count})

    def level_name(self, level: int) -> str | Promise:
        return LEVEL_NAMES.get(level, "") if len(self.thresholds) > 1 else ""


def _counts(definition: BadgeDefinition) -> bool:
    """Does the unit write the number itself (so it can agree with it)?"""
    try:
        # The source language: no catalog needed, so this also works while apps load.
        with override(None):
            return all(str(n) in definition.quantity(n) for n in (1, 2))
    except (TypeError, KeyError, ValueError):
        return False


_BADGES: dict[str, BadgeDefinition] = {}
_loaded = False


def register_badge(definition: BadgeDefinition) -> None:
    if list(definition.thresholds) != sorted(definition.thresholds) or not definition.thresholds:
        raise ValueError(f"badge {definition.key}: thresholds must be ascending and non-empty")
    if not _counts(definition):
        raise ValueError(
            f"badge {definition.key}: unit must be plural-aware, "
            'ngettext_lazy("%(count)s review", "%(count)s reviews", "count")'
        )
    _BADGES[definition.key] = definition


def badge_definitions() -> list[BadgeDefinition]:
    global _loaded
    if not _loaded:
        list(app_submodules("badges"))  # importing each app's badges.py registers its badges
        _loaded = True
    return sorted(_BADGES.values(), key=lambda badge: badge.order)


def badges_for_event(event: str | None) -> list[BadgeDefinition]:
    return [badge for badge in badge_definitions() if event is None or event in badge.events]


def badge_counts(member: Any, badges: Sequence[BadgeDefinition]) -> dict[str, int]:
    """The member's count for each of ``badges``: each distinct tally once, then the
    counters of the badges without one."""
    counts: dict[str, int] = {}
    tallies: list[Callable[[Any], Mapping[str, int]]] = []
    for badge in badges:
        if badge.tally is not None and badge.tally not in tallies:
            tallies.append(badge.tally)
            counts.update(badge.tally(member))
    for badge in badges:
        if badge.tally is None or badge.key not in counts:
            counts[badge.key] = badge.counter(member)
    return counts
