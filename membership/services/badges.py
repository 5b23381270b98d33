"""Awarding badges: once per (member, badge, level), with a live notification."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from django.db import IntegrityError, connections, router, transaction
from django.db.models import Exists, Field, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from ..badge_registry import BadgeDefinition, badge_counts, badges_for_event
from ..languages import in_member_language
from ..models import BadgeAward, User
from .notifications import notification_send


def _award(member: User, badge: BadgeDefinition, level: int) -> BadgeAward | None:
    """Award one level and tell the member; None when it was awarded concurrently."""
    try:
        with transaction.atomic():
            award = BadgeAward.objects.create(member=member, badge=badge.key, level=level)
    except IntegrityError:
        return None
    _notify(member, badge, level)
    return award


def _notify(member: User, badge: BadgeDefinition, level: int) -> None:
    with in_member_language(member):
        level_name = badge.level_name(level)
        # No savepoint: nothing in it raises an error meant to be caught, and the award's
        # transaction undoes it with the award.
        notification_send(
            savepoint=False,
            recipient=member,
            kind="badge-awarded",
            title=(
                _("You earned the %(badge)s badge (%(level)s)") % {"badge": badge.name, "level": level_name}
                if level_name
                else _("You earned the %(badge)s badge") % {"badge": badge.name}
            ),
            body=str(badge.description),
            url="/badges/",
        )


# Without a savepoint of its own inside a caller's transaction (two queries saved on every
# evaluation): nothing in it raises an error meant to be caught.
@transaction.atomic(savepoint=False)
def badges_evaluate(*, member: User, event: str | None = None) -> list[BadgeAward]:
    """Award every level the member has reached in the badges listening to ``event`` (all
    badges when None). Returns the new awards.

    Queries: one for the levels held with the counts given as expressions, one per distinct
    tally or other counter (the two review badges share one), and when a level is new, its
    insert (all new levels at once) and notifications."""
    badges = badges_for_event(event)
    if not badges:
        return []
    held, counts = _held_and_counts(member, badges)
    due = [
        (badge, level)
        for badge in badges
        for level in range(1, badge.level_for(counts[badge.key]) + 1)
        if (badge.key, level) not in held
    ]
    if not due:
        return []
    new = _awards_insert(member, due)
    definitions = {badge.key: badge for badge in badges}
    for award in new:
        _notify(member, definitions[award.badge], award.level)
    return new


def _held_and_counts(
    member: User, badges: Sequence[BadgeDefinition]
) -> tuple[set[tuple[str, int]], dict[str, int]]:
    """The levels the member holds of ``badges`` and their counts: the levels and every count
    a badge gives as an expression (``BadgeDefinition.count``) in one statement, then the
    tallies and counters of the others (``badge_counts``)."""
    read: dict[str, Any] = {}
    for n, badge in enumerate(badges):
        for level in range(1, len(badge.thresholds) + 1):
            awards = BadgeAward.objects.filter(member=OuterRef("pk"), badge=badge.key, level=level)
            read[f"held_{n}_{level}"] = Exists(awards)
        if badge.count is not None:
            read[f"count_{n}"] = Coalesce(Subquery(badge.count()), 0)
    row: Mapping[str, Any] = User.objects.filter(pk=member.pk).values(**read).first() or {}
    held = {
        (badge.key, level)
        for n, badge in enumerate(badges)
        for level in range(1, len(badge.thresholds) + 1)
        if row.get(f"held_{n}_{level}")
    }
    counts: dict[str, int] = {
        badge.key: int(row.get(f"count_{n}") or 0)
        for n, badge in enumerate(badges)
        if badge.count is not None
    }
    others = [badge for badge in badges if badge.count is None]
    if others:
        counts.update(badge_counts(member, others))
    return held, counts


# ON CONFLICT … DO NOTHING RETURNING (PostgreSQL, SQLite ≥ 3.35; as the API's seen
# signatures): the levels awarded concurrently meanwhile come back as nothing and are
# neither inserted twice nor announced twice. One statement and no savepoint, where a
# bulk_create in atomic() catching IntegrityError cost three on every award.
_AWARDS_INSERT = (
    "INSERT INTO {table} ({member}, {badge}, {level}, {awarded_at}) VALUES {rows} "
    "ON CONFLICT ({member}, {badge}, {level}) DO NOTHING RETURNING {pk}, {badge}, {level}"
)


def _awards_insert(member: User, due: list[tuple[BadgeDefinition, int]]) -> list[BadgeAward]:
    """Insert the due levels; returns the ones this call inserted (the unique constraint
    decides, across processes)."""
    meta = BadgeAward._meta
    connection = connections[router.db_for_write(BadgeAward)]
    quote = connection.ops.quote_name
    fields = {
        name: cast("Field[Any, Any]", meta.get_field(name))
        for name in ("id", "member", "badge", "level", "awarded_at")
    }
    columns = {name: quote(field.column or field.name) for name, field in fields.items()}
    pk = columns.pop("id")
    sql = _AWARDS_INSERT.format(
        table=quote(meta.db_table),
        pk=pk,
        rows=", ".join(["(%s, %s, %s, %s)"] * len(due)),
        **columns,
    )
    awarded_at = timezone.now()
    stamp = fields["awarded_at"].get_db_prep_save(awarded_at, connection)
    params = [value for badge, level in due for value in (member.pk, badge.key, level, stamp)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = cursor.fetchall()
    by_key = {(badge, level): pk for pk, badge, level in inserted}
    # In the order they were due (levels low to high), as bulk_create returned them.
    return [
        BadgeAward(
            pk=by_key[badge.key, level], member=member, badge=badge.key, level=level, awarded_at=awarded_at
        )
        for badge, level in due
        if (badge.key, level) in by_key
    ]


@transaction.atomic
def badges_evaluate_many(*, members: Sequence[User], event: str) -> list[BadgeAward]:
    """``badges_evaluate`` for each of ``members``, each badge's counts read in one query
    when it declares ``counter_many`` (bulk imports). Returns the new awards."""
    badges = badges_for_event(event)
    if not badges or not members:
        return []
    held = set(
        BadgeAward.objects.filter(member__in=members, badge__in=[b.key for b in badges]).values_list(
            "member_id", "badge", "level"
        )
    )
    counts = {
        badge.key: (
            badge.counter_many(members)
            if badge.counter_many
            else {member.pk: badge.counter(member) for member in members}
        )
        for badge in badges
    }
    new = []
    for member in members:
        for badge in badges:
            reached = badge.level_for(counts[badge.key].get(member.pk, 0))
            for level in range(1, reached + 1):
                if (member.pk, badge.key, level) not in held and (award := _award(member, badge, level)):
                    new.append(award)
    return new


def badges_evaluate_all(*, event: str) -> int:
    """Evaluate one event for every active member (the daily job); returns new awards."""
    total = 0
    for member in User.objects.filter(is_active=True).iterator():
        total += len(badges_evaluate(member=member, event=event))
    return total
