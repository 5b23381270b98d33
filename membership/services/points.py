"""The one writer of the points ledger (``PointEntry``) and its cached balances.

Every function takes the member's standing row lock first, so grants, caps, redemptions and
the balance refresh for one member happen one at a time on PostgreSQL (SQLite serialises all
writers anyway). Idempotency has two layers: the unique ``idempotency_key`` and, for a
concurrent duplicate that slipped past the check, the IntegrityError it raises.
A test (tests/membership/services/test_points_single_writer.py) proves no other module writes here.

Besides grants, reversals, redemptions, adjustments and gifts (``points_gift``,
``points_gift_coupon_entry``) it approves pending points and expires unused ones (periodic
jobs), warns of points about to expire, marks the tier-loss warning sent
(``tier_warning_claim``; services/tier_holds.py sends it), rebuilds the cached balances
(``points_rebuild``), and moves members between tiers (``tier_changed``). An approved
reversal sends ``approved_points_reversed``, on which the coupons the points paid for are
voided (services/coupons.py): the ledger never imports what spends it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import Aggregate, Max, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hub.models import CacheVersion
from hub.versions import LOYALTY

from ..languages import in_member_language
from ..models import Campaign, EarningRule, MemberStanding, PointEntry, Redemption, Tier, User
from ..selectors import STATUS_KINDS, STATUS_WINDOW
from ..signals import approved_points_reversed, tier_changed
from .notifications import notification_send
from .tiers import tier_reached_notify

# Points expire, status points count and a tier is held for the same 12 months.
YEAR = STATUS_WINDOW
EXPIRY_WARNING = timedelta(days=30)
State = PointEntry.State
Kind = PointEntry.Kind
# Entries that count toward status (the tier): what was earned, net of its corrections
# (selectors.STATUS_KINDS, which the profile and the tier holds read too).


class InsufficientPoints(Exception):
    def __init__(self, *, needed: int, available: int) -> None:
        self.needed, self.available = needed, available
        if available < 0:
            message = ngettext(
                "Your balance is %(available)s point: points you had already spent were taken "
                "back. New points pay that off first; then you can redeem again.",
                "Your balance is %(available)s points: points you had already spent were taken "
                "back. New points pay that off first; then you can redeem again.",
                available,
            ) % {"available": available}
        else:
            message = _("This needs %(needed)s points; %(available)s are available.") % {
                "needed": needed,
                "available": available,
            }
        super().__init__(message)


# Entries that count as "earned" on the all-time leaderboard: earnings net of their
# reversals, pending or approved (the leaderboard's periods use the same rule).
LEADERBOARD_KINDS = [Kind.EARN, Kind.REVERSAL]
LEADERBOARD_STATES = [State.APPROVED, State.PENDING]


@dataclass(frozen=True)
class Balances:
    status: int
    spendable: int
    pending: int
    last_earned_at: datetime | None
    earned: int = 0


def source_key(source: models.Model | None) -> tuple[ContentType | None, str]:
    if source is None:
        return None, ""
    return ContentType.objects.get_for_model(source, for_concrete_model=False), str(source.pk)


def _locked_standings() -> models.QuerySet[MemberStanding]:
    """Standings to lock, each with its tier and the threshold of the tier above it
    (``tier_above``; the lowest tier's below any tier), so a write learns whether the
    status points moved the tier without reading the tiers (``_tier_earned_at``)."""
    above = Tier.objects.filter(threshold__gt=Coalesce(OuterRef("tier__threshold"), Value(-1)))
    return (
        MemberStanding.objects.select_for_update(of=("self",))
        .select_related("tier")
        .annotate(tier_above=Subquery(above.order_by("threshold").values("threshold")[:1]))
    )


def _standing_for_update(member: User) -> MemberStanding:
    """The member's standing row, locked until the transaction ends (created if missing)."""
    try:
        standing = _locked_standings().get(member=member)
    except MemberStanding.DoesNotExist:
        try:
            with transaction.atomic():
                MemberStanding.objects.create(member=member)
        except IntegrityError:
            pass  # created concurrently; lock that one
        standing = _locked_standings().get(member=member)
    standing.member = member  # the caller's instance: no query to read it back
    return standing


def _create(**fields: Any) -> PointEntry | None:
    """Insert an entry, or return None when its idempotency key already exists."""
    try:
        with transaction.atomic():
            return PointEntry.objects.create(**fields)
    except IntegrityError:
        if PointEntry.objects.filter(idempotency_key=fields["idempotency_key"]).exists():
            return None
        raise


def _balance_sums(now: datetime) -> dict[str, Aggregate]:
    status = Q(state=State.APPROVED, kind__in=STATUS_KINDS, created_at__gt=now - YEAR)
    return {
        "status": Sum("amount", filter=status),
        "status_oldest": Min("created_at", filter=status),
        **_timeless_sums(),
    }


def _timeless_sums() -> dict[str, Aggregate]:
    """The cached balances that do not depend on the moment (status does: its 12-month window)."""
    return {
        "spendable": Sum("amount", filter=Q(state=State.APPROVED)),
        "pending": Sum("amount", filter=Q(state=State.PENDING)),
        "last_earned_at": Max(
            "created_at", filter=Q(kind=Kind.EARN, state__in=[State.PENDING, State.APPROVED])
        ),
        "earned": Sum("amount", filter=Q(kind__in=LEADERBOARD_KINDS, state__in=LEADERBOARD_STATES)),
    }


def _balances(totals: Mapping[str, Any]) -> Balances:
    return Balances(
        status=max(0, totals["status"] or 0),
        spendable=totals["spendable"] or 0,
        pending=max(0, totals["pending"] or 0),
        last_earned_at=totals["last_earned_at"],
        earned=max(0, totals["earned"] or 0),
    )


def compute_balances(member: User, *, now: datetime | None = None) -> Balances:
    """Balances from the ledger alone, in one aggregate query whatever the history."""
    now = now or timezone.now()
    return _balances(PointEntry.objects.filter(member=member).aggregate(**_balance_sums(now)))


def tier_for(status_points: int) -> Tier | None:
    return Tier.objects.filter(threshold__lte=status_points).order_by("-threshold").first()


def _tier_move(
    *, current: Tier | None, reached_at: datetime | None, earned: Tier | None, now: datetime
) -> tuple[Tier | None, datetime | None, bool]:
    """Where the tier goes when the status points earn ``earned``: (tier, reached_at, moved_up).
    Up at once; down only once the current tier was held 12 months (no yo-yo when status dips)."""
    moved_up = earned is not None and (current is None or earned.threshold > current.threshold)
    protected = current is not None and reached_at is not None and reached_at > now - YEAR
    if moved_up:
        return earned, now, True
    if current is not None and not protected and (earned is None or earned.threshold < current.threshold):
        return earned, now if earned else None, False
    return current, reached_at, False


def _tier_announce(member: User, *, old: Tier | None, new: Tier | None, moved_up: bool) -> None:
    if new != old:
        tier_changed.send(sender=MemberStanding, member=member, old_tier=old, new_tier=new)
    # Landing in the entry tier (threshold 0) is not an achievement worth a message.
    if moved_up and new is not None and new.threshold > 0:
        tier_reached_notify(member=member, tier=new)


# Balances kept incrementally. Each write adds its entries to the standing's sums
# (``_count``) under the standing's lock, in the same transaction, so a write costs the same
# at 10 entries and at 100,000. Status points count the last 12 months: the standing keeps
# the window start its sum is for (``status_since``) and a bound on its oldest counted entry
# (``status_oldest``); moving the window to a write's ``now`` (``_kept_to``) reads the ledger
# only for the entries that crossed its start, by the (member, state, created_at) index.
# ``points_rebuild`` recounts everything from the rows and reports any difference.


def _status_rows(member_id: int) -> models.QuerySet[PointEntry]:
    return PointEntry.objects.filter(member_id=member_id, state=State.APPROVED, kind__in=STATUS_KINDS)


def _kept_set(standing: MemberStanding, totals: Mapping[str, Any], *, now: datetime) -> None:
    """Set the kept sums from a recount (``_balance_sums`` at ``now``)."""
    standing.status_sum = totals["status"] or 0
    standing.status_oldest = totals["status_oldest"]
    standing.status_since = now - YEAR
    standing.spendable_points = totals["spendable"] or 0
    standing.pending_sum = totals["pending"] or 0
    standing.earned_sum = totals["earned"] or 0
    standing.last_earned_at = totals["last_earned_at"]


def _recount(standing: MemberStanding, *, now: datetime) -> None:
    """Count the kept sums from the member's whole ledger (once per standing, and rebuilds)."""
    totals = PointEntry.objects.filter(member_id=standing.member_id).aggregate(**_balance_sums(now))
    _kept_set(standing, totals, now=now)


def _kept_to(standing: MemberStanding, *, now: datetime) -> None:
    """Move the kept status window to ``now``: take away the entries that left it, or add
    back those a window moved into the past (a write dated earlier) takes in again."""
    since, start = standing.status_since, now - YEAR
    if since is None:
        _recount(standing, now=now)
        return
    if start > since and standing.status_oldest is not None and standing.status_oldest <= start:
        rows = _status_rows(standing.member_id)
        left = rows.filter(created_at__gt=since, created_at__lte=start).aggregate(total=Sum("amount"))
        standing.status_sum -= left["total"] or 0
        still_in = rows.filter(created_at__gt=start).order_by("created_at")
        standing.status_oldest = still_in.values_list("created_at", flat=True).first()
    elif start < since:
        back = (
            _status_rows(standing.member_id)
            .filter(created_at__gt=start, created_at__lte=since)
            .aggregate(total=Sum("amount"), oldest=Min("created_at"))
        )
        standing.status_sum += back["total"] or 0
        if back["oldest"] is not None:
            standing.status_oldest = min(filter(None, [standing.status_oldest, back["oldest"]]))
    standing.status_since = start


def _count(
    standing: MemberStanding, *, kind: str, state: str, amount: int, created_at: datetime, sign: int = 1
) -> bool:
    """Add (``sign`` 1) or take away (-1) one entry in ``state`` from the kept sums; the
    window must already be at the write's ``now`` (``_kept_to``). True when the member's
    latest earning left the count, so ``last_earned_at`` must be read again."""
    signed = sign * amount
    assert standing.status_since is not None, "_kept_to first"
    if state == State.APPROVED:
        standing.spendable_points += signed
        if kind in STATUS_KINDS and created_at > standing.status_since:
            standing.status_sum += signed
            if sign > 0 and (standing.status_oldest is None or created_at < standing.status_oldest):
                standing.status_oldest = created_at
    elif state == State.PENDING:
        standing.pending_sum += signed
    if kind in LEADERBOARD_KINDS and state in LEADERBOARD_STATES:
        standing.earned_sum += signed
    if kind == Kind.EARN and state in (State.PENDING, State.APPROVED):
        if sign < 0:
            return standing.last_earned_at is not None and created_at >= standing.last_earned_at
        if standing.last_earned_at is None or created_at > standing.last_earned_at:
            standing.last_earned_at = created_at
    return False


def _count_entry(standing: MemberStanding, entry: PointEntry | None) -> None:
    if entry is not None:
        _count(standing, kind=entry.kind, state=entry.state, amount=entry.amount, created_at=entry.created_at)


def _shown_set(standing: MemberStanding) -> None:
    """The balances members see, from the kept sums (status, pending and earned never below 0)."""
    standing.status_points = max(0, standing.status_sum)
    standing.pending_points = max(0, standing.pending_sum)
    standing.earned_points = max(0, standing.earned_sum)


# What a refresh writes (``_refresh`` saves the whole row; the bulk paths these).
REFRESHED_FIELDS = [
    "status_points",
    "spendable_points",
    "pending_points",
    "last_earned_at",
    "earned_points",
    "tier",
    "tier_reached_at",
    "status_sum",
    "pending_sum",
    "earned_sum",
    "status_since",
    "status_oldest",
]


def _standings_save(standings: list[MemberStanding]) -> None:
    """Write refreshed standings in one statement. The rows exist and are locked, so the
    upsert only updates them (``bulk_update`` builds a CASE per row and field: far slower)."""
    MemberStanding.objects.bulk_create(
        standings, update_conflicts=True, unique_fields=["member"], update_fields=REFRESHED_FIELDS
    )


def _tier_earned(by_threshold: list[Tier], status_points: int) -> Tier | None:
    """``tier_for`` over tiers already read, highest threshold first."""
    return next((tier for tier in by_threshold if tier.threshold <= status_points), None)


# The sums of a member without entries (``_balance_sums``).
_NO_TOTALS: Mapping[str, Any] = dict.fromkeys(
    ["status", "status_oldest", "spendable", "pending", "last_earned_at", "earned"]
)


def _refresh_many(standings: dict[int, MemberStanding], *, now: datetime) -> None:
    """``_refresh`` for each of the locked ``standings`` at the same ``now``, in a few queries."""
    # Looked up by a standing's tier_id, which is None below the first tier.
    tiers: dict[int | None, Tier] = {tier.pk: tier for tier in Tier.objects.all()}
    by_threshold = sorted(tiers.values(), key=lambda tier: tier.threshold, reverse=True)
    totals = {
        row["member_id"]: row
        for row in PointEntry.objects.filter(member_id__in=standings)
        .values("member_id")
        .annotate(**_balance_sums(now))
    }
    announcements = []
    for member_id, standing in standings.items():
        _kept_set(standing, totals.get(member_id, _NO_TOTALS), now=now)
        _shown_set(standing)
        current = tiers.get(standing.tier_id)
        standing.tier, standing.tier_reached_at, moved_up = _tier_move(
            current=current,
            reached_at=standing.tier_reached_at,
            earned=_tier_earned(by_threshold, standing.status_points),
            now=now,
        )
        announcements.append((standing.member, current, standing.tier, moved_up))
    _standings_save(list(standings.values()))
    for member, old, new, moved_up in announcements:
        _tier_announce(member, old=old, new=new, moved_up=moved_up)


def _tier_earned_at(standing: MemberStanding, *, now: datetime) -> Tier | None:
    """``tier_for(standing.status_points)``, read only when the tier can move: the status
    reached the tier above (``tier_above`` from ``_locked_standings``), or fell below the
    current tier once its 12-month hold is over."""
    current, status = standing.tier, standing.status_points
    if not hasattr(standing, "tier_above"):  # not read by _locked_standings
        return tier_for(status)
    if standing.tier_above is not None and status >= standing.tier_above:
        return tier_for(status)
    if current is not None and status < current.threshold:
        held = standing.tier_reached_at is not None and standing.tier_reached_at > now - YEAR
        return current if held else tier_for(status)
    return current


def _refresh(standing: MemberStanding, *, now: datetime, last_stale: bool = False) -> MemberStanding:
    """Write the kept balances (``_kept_to`` and ``_count`` brought them to ``now``) and
    move the tier; notify on moving up. ``last_stale``: read ``last_earned_at`` again."""
    if last_stale:
        standing.last_earned_at = (
            PointEntry.objects.filter(
                member_id=standing.member_id, kind=Kind.EARN, state__in=[State.PENDING, State.APPROVED]
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
    _shown_set(standing)
    current = standing.tier
    standing.tier, standing.tier_reached_at, moved_up = _tier_move(
        current=current,
        reached_at=standing.tier_reached_at,
        earned=_tier_earned_at(standing, now=now),
        now=now,
    )
    standing.save()
    _tier_announce(standing.member, old=current, new=standing.tier, moved_up=moved_up)
    return standing


def _grant_key(rule_key: str, source_type: ContentType | None, source_id: str, member_id: int) -> str:
    return f"{rule_key}:{source_type.pk if source_type else '-'}:{source_id}:{member_id}"


def _grant_base(rule: EarningRule, units: Decimal | int, tier: Tier | None) -> int:
    """The award before the daily cap: the rule's points (per unit) times the tier's multiplier."""
    base = rule.points * (max(0, int(units)) if rule.per_currency_unit else 1)
    return math.floor(base * (tier.multiplier if tier else Decimal(1)))


def _day_start(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


# Without a savepoint of its own inside a caller's transaction (two queries an award
# saved): it raises nothing it expects to be caught, so a failure ends the caller's
# transaction either way.
@transaction.atomic(savepoint=False)
def points_grant(
    *,
    member: User,
    rule_key: str,
    source: models.Model | None = None,
    units: Decimal | int = 1,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    note: str = "",
    hold_days: int = 0,
) -> PointEntry | None:
    """Award the rule's points for ``source``. Returns the entry (the existing one when this
    award was already made), or None when the rule is inactive or the daily cap is used up.

    The entry stays pending for the rule's ``pending_days`` or ``hold_days``, whichever is
    longer (reviews pass their hold so a rule edited to 0 days cannot release them early)."""
    now = now or timezone.now()
    source_type, source_id = source_key(source)
    standing = _standing_for_update(member)
    # Read after the lock (a statement of its own, so on PostgreSQL it sees what a concurrent
    # grant committed while we waited): the rule, an award already made under this key, and
    # what the rule earned the member today (its daily cap).
    key = idempotency_key or _grant_key(rule_key, source_type, source_id, member.pk)
    earned_today = (
        PointEntry.objects.filter(
            member=member,
            rule=OuterRef("pk"),
            kind=Kind.EARN,
            created_at__gte=_day_start(now),
            state__in=[State.PENDING, State.APPROVED],
        )
        .order_by()
        .values("rule")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    rule = (
        EarningRule.objects.filter(key=rule_key, active=True)
        .annotate(
            existing_id=Subquery(PointEntry.objects.filter(idempotency_key=key).values("pk")[:1]),
            earned_today=Subquery(earned_today),
        )
        .first()
    )
    if rule is None:
        return None
    if rule.existing_id is not None:
        return PointEntry.objects.get(pk=rule.existing_id)

    amount = _grant_base(rule, units, standing.tier)
    if rule.daily_cap is not None:
        amount = min(amount, rule.daily_cap - (rule.earned_today or 0))
    if amount <= 0:
        return None

    _kept_to(standing, now=now)
    pending_days = max(rule.pending_days, hold_days)
    # No savepoint: under the member's lock the key was just checked, so only another
    # member's entry with the same caller-chosen key can collide, and that error should stop
    # the caller rather than hand it someone else's award.
    entry = PointEntry.objects.create(
        member=member,
        amount=amount,
        kind=Kind.EARN,
        rule=rule,
        source_type=source_type,
        source_id=source_id,
        idempotency_key=key,
        state=State.PENDING if pending_days > 0 else State.APPROVED,
        available_at=now + timedelta(days=pending_days),
        note=note[:300],
        created_at=now,
    )
    _count_entry(standing, entry)
    _refresh(standing, now=now)
    return entry


@dataclass(frozen=True)
class PointsGrant:
    """One award for ``points_grant_many``: the arguments of ``points_grant`` (with the
    default idempotency key and no hold)."""

    member: User
    rule_key: str
    source: models.Model
    now: datetime
    units: Decimal | int = 1
    note: str = ""


@dataclass
class _Replay:
    """One member's standing while ``points_grant_many`` replays their awards in order:
    what ``points_grant`` would read from the ledger at each award."""

    standing: MemberStanding
    tier: Tier | None
    reached_at: datetime | None
    # Approved entries that count toward status, (created_at, amount): compute_balances' status.
    status_entries: list[tuple[datetime, int]] = field(default_factory=list)
    status_oldest: datetime | None = None
    # Earned entries of capped rules, {rule pk: [(created_at, amount)]}: the daily cap's sum.
    capped_entries: dict[int, list[tuple[datetime, int]]] = field(default_factory=dict)
    status: int = 0
    refreshed_at: datetime | None = None
    # Counted on the standing's kept sums (``_count``) rather than replayed from entries.
    kept: bool = False

    def status_at(self, now: datetime) -> int:
        """The status sum at ``now`` (before its floor at zero); notes its oldest entry."""
        counted = [(created, amount) for created, amount in self.status_entries if created > now - YEAR]
        self.status_oldest = min((created for created, _amount in counted), default=None)
        return sum(amount for _created, amount in counted)


_STANDINGS_LOCK = (
    "INSERT INTO {table} ({columns}) VALUES {rows} "
    "ON CONFLICT ({key}) DO UPDATE SET {key} = EXCLUDED.{key} RETURNING {columns}, "
    "COALESCE((SELECT {version} FROM {versions} WHERE {tag} = %s), 0) AS loyalty_version"
)


@dataclass(frozen=True)
class LoyaltyCatalogue:
    """The active earning rules by key and the tiers by pk, as of one ``loyalty`` version."""

    version: int
    read_at: float
    rules: dict[str, EarningRule]
    tiers: dict[int | None, Tier]

    @property
    def by_threshold(self) -> list[Tier]:
        return sorted(self.tiers.values(), key=lambda tier: tier.threshold, reverse=True)


# Writes outside the ORM (a data migration, SQL by hand) bump no version: the copy is read
# again after this long at the latest.
CATALOGUE_MAX_AGE = 300.0
_catalogue: LoyaltyCatalogue | None = None


def loyalty_catalogue(version: int) -> LoyaltyCatalogue:
    """The rules and tiers as of ``version`` (hub.versions ``LOYALTY``, which every ORM write
    to them bumps in its transaction): this process's copy while the version is the same,
    else read again (two queries). Rules and tiers change a few times a year; the ledger
    needs them on every order."""
    global _catalogue
    catalogue = _catalogue
    if (
        catalogue is None
        or catalogue.version != version
        or time.monotonic() - catalogue.read_at > CATALOGUE_MAX_AGE
    ):
        catalogue = LoyaltyCatalogue(
            version=version,
            read_at=time.monotonic(),
            rules={rule.key: rule for rule in EarningRule.objects.filter(active=True)},
            tiers={tier.pk: tier for tier in Tier.objects.all()},
        )
        _catalogue = catalogue
    return catalogue


def _standings_for_update(
    members: dict[int, User], *, kept_at: datetime | None = None
) -> dict[int, MemberStanding]:
    """The members' standing rows, locked in pk order (created when missing), like
    ``_standing_for_update`` for each, in one statement. Each comes with the current
    ``loyalty`` version (``loyalty_version``), so the ledger knows whether its copy of the
    rules and tiers is current without a query of its own.

    ``kept_at``: a missing row is inserted with its kept sums counted at that moment (all
    zero: a member without a standing has no ledger entries, as only this module writes
    either), so the caller counts on them without reading the ledger.

    An upsert whose conflict branch rewrites nothing but the key: a missing row is inserted
    with the model's defaults, an existing one is locked by the no-op update (PostgreSQL
    locks a row ON CONFLICT DO UPDATE touches, as SELECT … FOR UPDATE would), and RETURNING
    brings back every row either way. It was a locked read, then an insert of the missing
    ones and a second locked read (three statements for a member's first points)."""
    if not members:
        return {}
    connection = connections[router.db_for_write(MemberStanding)]
    meta = MemberStanding._meta
    quote = connection.ops.quote_name
    fields = meta.concrete_fields
    key = quote(meta.get_field("member").column or "member_id")
    columns = ", ".join(quote(field.column or field.name) for field in fields)
    rows = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(members))
    params: list[Any] = []
    for pk in sorted(members):
        fresh = MemberStanding(member_id=pk)
        if kept_at is not None:
            fresh.status_since = kept_at - YEAR
        params += [field.get_db_prep_save(getattr(fresh, field.attname), connection) for field in fields]
    versions = CacheVersion._meta
    sql = _STANDINGS_LOCK.format(
        table=quote(meta.db_table),
        columns=columns,
        rows=rows,
        key=key,
        versions=quote(versions.db_table),
        version=quote(versions.get_field("version").column or "version"),
        tag=quote(versions.get_field("tag").column or "tag"),
    )
    params.append(LOYALTY)
    locked = {standing.member_id: standing for standing in MemberStanding.objects.raw(sql, params)}
    for standing in locked.values():
        standing.member = members[standing.member_id]
    return locked


def points_grant_many(*, grants: Sequence[PointsGrant], savepoint: bool = True) -> list[PointEntry | None]:
    """``points_grant`` for each of ``grants`` in turn, with the same ledger, standings, tiers
    and tier signals as those calls, in a number of queries that does not grow with the
    number of awards (imports of order history).

    Each member's awards are replayed in memory in order: the tier multiplier of the moment,
    the daily caps, and the tier that each award's refresh would reach (status counted as
    ``compute_balances`` counts it at that award's time). Then the entries are inserted at
    once and each standing is written once, as its last refresh would have left it. Should
    an award's key turn up meanwhile (a concurrent grant), the whole call is done again
    through ``points_grant``, one award at a time.

    ``savepoint=False`` is for a caller whose own transaction is undone and retried as a
    whole when this fails (a new order through the webhook: four statements fewer): no
    savepoint is made, so a concurrent grant's IntegrityError reaches the caller instead of
    the one-at-a-time fallback."""
    if not grants:
        return []
    if not savepoint:
        with transaction.atomic(savepoint=False):
            return _grant_many(grants)
    try:
        with transaction.atomic():
            return _grant_many(grants)
    except IntegrityError:
        return [
            points_grant(
                member=g.member, rule_key=g.rule_key, source=g.source, units=g.units, now=g.now, note=g.note
            )
            for g in grants
        ]


def _grant_many(grants: Sequence[PointsGrant]) -> list[PointEntry | None]:
    keyed: list[tuple[ContentType | None, str, str]] = []
    for grant in grants:
        source_type, source_id = source_key(grant.source)
        keyed.append(
            (source_type, source_id, _grant_key(grant.rule_key, source_type, source_id, grant.member.pk))
        )
    done = {
        entry.idempotency_key: entry
        for entry in PointEntry.objects.filter(idempotency_key__in=[key for _t, _i, key in keyed])
    }
    members = {
        grant.member.pk: grant.member
        for grant, item in zip(grants, keyed, strict=True)
        if item[2] not in done
    }
    if not members:
        return [done.get(key) for _t, _i, key in keyed]

    earliest = min(grant.now for grant in grants)
    standings = _standings_for_update(members, kept_at=earliest)
    catalogue = loyalty_catalogue(getattr(next(iter(standings.values())), "loyalty_version", 0))
    rules, tiers, by_threshold = catalogue.rules, catalogue.tiers, catalogue.by_threshold
    replays = {
        pk: _Replay(standing=standing, tier=tiers.get(standing.tier_id), reached_at=standing.tier_reached_at)
        for pk, standing in standings.items()
    }
    # A member whose kept sums are current and whose awards are all of one moment (a new
    # order's, with the referral it qualifies) is counted on the kept sums, as points_grant
    # counts one award: no read of their ledger. Others (imports of history, whose awards
    # span months) are replayed from their status entries and summed afresh.
    moments: dict[int, set[datetime]] = {}
    for grant in grants:
        moments.setdefault(grant.member.pk, set()).add(grant.now)
    single = {pk for pk in replays if len(moments[pk]) == 1}
    # Standings from before the sums were kept are counted once, all in one query.
    uncounted = [pk for pk in single if replays[pk].standing.status_since is None]
    if uncounted:
        totals_then = {
            row["member_id"]: row
            for row in PointEntry.objects.filter(member_id__in=uncounted)
            .values("member_id")
            .annotate(**_balance_sums(earliest))
        }
        for pk in uncounted:
            _kept_set(replays[pk].standing, totals_then.get(pk, _NO_TOTALS), now=earliest)
    for pk in single:
        replay = replays[pk]
        replay.kept = True
        _kept_to(replay.standing, now=next(iter(moments[pk])))
        replay.status = replay.standing.status_sum
    replayed = [pk for pk, replay in replays.items() if not replay.kept]
    if replayed:
        for member_id, created, amount in PointEntry.objects.filter(
            member_id__in=replayed,
            state=State.APPROVED,
            kind__in=STATUS_KINDS,
            created_at__gt=earliest - YEAR,
        ).values_list("member_id", "created_at", "amount"):
            replays[member_id].status_entries.append((created, amount))
    granted = {grant.rule_key for grant in grants}
    capped = [rule.pk for key, rule in rules.items() if rule.daily_cap is not None and key in granted]
    if capped:
        for member_id, rule_id, created, amount in PointEntry.objects.filter(
            member_id__in=members,
            rule_id__in=capped,
            kind=Kind.EARN,
            state__in=[State.PENDING, State.APPROVED],
            created_at__gte=_day_start(earliest),
        ).values_list("member_id", "rule_id", "created_at", "amount"):
            replays[member_id].capped_entries.setdefault(rule_id, []).append((created, amount))

    results: list[PointEntry | None] = []
    new: list[PointEntry] = []
    announcements: list[tuple[User, Tier | None, Tier | None, bool]] = []
    for grant, (source_type, source_id, key) in zip(grants, keyed, strict=True):
        if key in done:
            results.append(done[key])
            continue
        rule = rules.get(grant.rule_key)
        if rule is None:
            results.append(None)
            continue
        replay = replays[grant.member.pk]
        amount = _grant_base(rule, grant.units, replay.tier)
        if rule.daily_cap is not None:
            day_start = _day_start(grant.now)
            today = replay.capped_entries.setdefault(rule.pk, [])
            amount = min(amount, rule.daily_cap - sum(a for created, a in today if created >= day_start))
        if amount <= 0:
            results.append(None)
            continue
        state = State.PENDING if rule.pending_days > 0 else State.APPROVED
        entry = PointEntry(
            member=grant.member,
            amount=amount,
            kind=Kind.EARN,
            rule=rule,
            source_type=source_type,
            source_id=source_id,
            idempotency_key=key,
            state=state,
            available_at=grant.now + timedelta(days=rule.pending_days),
            note=grant.note[:300],
            created_at=grant.now,
        )
        new.append(entry)
        done[key] = entry
        results.append(entry)
        if rule.daily_cap is not None:
            replay.capped_entries[rule.pk].append((grant.now, amount))
        # The refresh points_grant makes after this award.
        if replay.kept:
            _count(replay.standing, kind=Kind.EARN, state=state, amount=amount, created_at=grant.now)
            replay.status = replay.standing.status_sum
        else:
            if state == State.APPROVED:
                replay.status_entries.append((grant.now, amount))
            replay.status = replay.status_at(grant.now)
        earned = _tier_earned(by_threshold, max(0, replay.status))
        old = replay.tier
        replay.tier, replay.reached_at, moved_up = _tier_move(
            current=old, reached_at=replay.reached_at, earned=earned, now=grant.now
        )
        replay.refreshed_at = grant.now
        if replay.tier != old or moved_up:
            announcements.append((grant.member, old, replay.tier, moved_up))

    PointEntry.objects.bulk_create(new)
    refreshed = {pk: replay for pk, replay in replays.items() if replay.refreshed_at is not None}
    summed = [pk for pk, replay in refreshed.items() if not replay.kept]
    totals = (
        {
            row["member_id"]: row
            for row in PointEntry.objects.filter(member_id__in=summed)
            .values("member_id")
            .annotate(**_timeless_sums())
        }
        if summed
        else {}
    )
    for pk, replay in refreshed.items():
        assert replay.refreshed_at is not None
        if not replay.kept:
            totals_now = {"status": replay.status, "status_oldest": replay.status_oldest, **totals[pk]}
            _kept_set(replay.standing, totals_now, now=replay.refreshed_at)
        _shown_set(replay.standing)
        replay.standing.tier, replay.standing.tier_reached_at = replay.tier, replay.reached_at
    _standings_save([replay.standing for replay in refreshed.values()])
    for member, old, new_tier, moved_up in announcements:
        _tier_announce(member, old=old, new=new_tier, moved_up=moved_up)
    return results


@transaction.atomic
def points_reverse(
    *,
    entry: PointEntry,
    reason: str,
    fraction: Decimal = Decimal(1),
    idempotency_key: str | None = None,
    actor: User | None = None,
    now: datetime | None = None,
) -> PointEntry | None:
    """Take back ``fraction`` of an earned entry (a refund, removed content).

    A pending entry reversed in full simply becomes ``reversed``; otherwise a negative
    reversal row is added in the entry's state. Reversals of one entry never exceed it.

    Reversing approved points that were already spent never leaves free money: the reversal
    is taken in full, then the member's unused coupons redeemed since the points became
    spendable are voided, newest first, until the balance is back to zero or none is left
    (``coupons_void_to_cover``). What remains is a negative balance that later earnings pay
    off; nothing can be redeemed meanwhile."""
    now = now or timezone.now()
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    standing = _standing_for_update(entry.member)
    entry.refresh_from_db()
    key = idempotency_key or f"reverse:{entry.pk}:{fraction}"
    if existing := PointEntry.objects.filter(idempotency_key=key).first():
        return existing
    if entry.state in (State.REVERSED, State.EXPIRED) or entry.amount <= 0:
        return None

    already = -(entry.reversals.exclude(state=State.REVERSED).aggregate(total=Sum("amount"))["total"] or 0)
    wanted = min(math.ceil(entry.amount * fraction), entry.amount - already)
    if wanted <= 0:
        return None
    _kept_to(standing, now=now)
    if entry.state == State.PENDING and already == 0 and wanted == entry.amount:
        entry.state = State.REVERSED
        entry.note = (entry.note + f" | reversed: {reason}")[:300]
        entry.save(update_fields=["state", "note"])
        last_stale = _count(
            standing,
            kind=entry.kind,
            state=State.PENDING,
            amount=entry.amount,
            created_at=entry.created_at,
            sign=-1,
        )
        _refresh(standing, now=now, last_stale=last_stale)
        return entry

    reversal = _create(
        member=entry.member,
        amount=-wanted,
        kind=Kind.REVERSAL,
        rule=entry.rule,
        source_type=entry.source_type,
        source_id=entry.source_id,
        idempotency_key=key,
        state=entry.state,
        available_at=entry.available_at,
        note=reason[:300],
        actor=actor,
        reverses=entry,
        created_at=now,
    )
    _count_entry(standing, reversal)
    # Written before the coupons are voided: each void locks and writes the standing again.
    _refresh(standing, now=now)
    if reversal is not None and entry.state == State.APPROVED:
        # Coupons paid for with these points are voided (services/coupons.py, through
        # membership/receivers.py); each void calls back into points_void_redemption.
        approved_points_reversed.send(
            sender=PointEntry, member=entry.member, since=entry.available_at, reason=reason, now=now
        )
    return reversal


@transaction.atomic
def points_void_redemption(*, redemption: Redemption, now: datetime | None = None) -> PointEntry | None:
    """Give back what a voided coupon cost (a ``void`` entry, once per redemption). Called by
    ``coupons_void_to_cover`` after it marked the coupon void."""
    now = now or timezone.now()
    standing = _standing_for_update(redemption.member)
    _kept_to(standing, now=now)
    entry = _create(
        member=redemption.member,
        amount=-redemption.entry.amount,
        kind=Kind.VOID,
        source_type=ContentType.objects.get_for_model(Redemption),
        source_id=str(redemption.pk),
        idempotency_key=f"void:{redemption.pk}",
        state=State.APPROVED,
        available_at=now,
        note=redemption.void_reason[:300],
        created_at=now,
    )
    _count_entry(standing, entry)
    _refresh(standing, now=now)
    return entry


@transaction.atomic
def points_reverse_source(
    *, source: models.Model, reason: str, actor: User | None = None
) -> list[PointEntry]:
    """Reverse every earned entry for ``source`` (content removed by moderation)."""
    source_type, source_id = source_key(source)
    entries = PointEntry.objects.filter(
        source_type=source_type,
        source_id=source_id,
        kind=Kind.EARN,
        state__in=[State.PENDING, State.APPROVED],
    )
    return [r for entry in entries if (r := points_reverse(entry=entry, reason=reason, actor=actor))]


@transaction.atomic
def points_redeem(
    *,
    member: User,
    amount: int,
    reason: str,
    idempotency_key: str,
    source: models.Model | None = None,
    now: datetime | None = None,
) -> PointEntry:
    """Spend points. Raises InsufficientPoints, leaving the ledger untouched."""
    now = now or timezone.now()
    if amount <= 0:
        raise ValueError("amount must be positive")
    standing = _standing_for_update(member)
    if existing := PointEntry.objects.filter(idempotency_key=idempotency_key).first():
        return existing
    available = compute_balances(member, now=now).spendable
    if amount > available:
        raise InsufficientPoints(needed=amount, available=available)
    source_type, source_id = source_key(source)
    _kept_to(standing, now=now)
    entry = _create(
        member=member,
        amount=-amount,
        kind=Kind.REDEEM,
        source_type=source_type,
        source_id=source_id,
        idempotency_key=idempotency_key,
        state=State.APPROVED,
        available_at=now,
        note=reason[:300],
        created_at=now,
    )
    _count_entry(standing, entry)
    _refresh(standing, now=now)
    return entry or PointEntry.objects.get(idempotency_key=idempotency_key)


@transaction.atomic
def points_adjust(
    *,
    member: User,
    amount: int,
    reason: str,
    actor: User,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> PointEntry:
    """A manual correction by staff: always with a reason and the person who made it.
    Pass an idempotency key when the adjustment may be retried (imports, the demo)."""
    now = now or timezone.now()
    if amount == 0 or not reason.strip():
        raise ValueError("an adjustment needs a non-zero amount and a reason")
    standing = _standing_for_update(member)
    if idempotency_key and (existing := PointEntry.objects.filter(idempotency_key=idempotency_key).first()):
        return existing
    if amount < 0 and -amount > compute_balances(member, now=now).spendable:
        raise InsufficientPoints(needed=-amount, available=compute_balances(member, now=now).spendable)
    _kept_to(standing, now=now)
    entry = PointEntry.objects.create(
        member=member,
        amount=amount,
        kind=Kind.ADJUSTMENT,
        idempotency_key=idempotency_key or f"adjust:{member.pk}:{now.timestamp()}:{actor.pk}",
        state=State.APPROVED,
        available_at=now,
        note=reason.strip()[:300],
        actor=actor,
        created_at=now,
    )
    _count_entry(standing, entry)
    _refresh(standing, now=now)
    return entry


# The most points one gift may give: a typo of a few zeros is refused, not paid out.
GIFT_MAX_POINTS = 100_000


def _gift_existing(idempotency_key: str, member: User) -> PointEntry | None:
    existing = PointEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None and (existing.kind != Kind.GIFT or existing.member_id != member.pk):
        raise ValueError(f"idempotency key {idempotency_key!r} belongs to another entry")
    return existing


@transaction.atomic
def points_gift(
    *,
    member: User,
    amount: int,
    reason: str,
    actor: User | None,
    idempotency_key: str,
    now: datetime | None = None,
) -> PointEntry:
    """Points staff or a campaign gave (membership/campaigns/gifts.py): approved and
    spendable at once, never status or leaderboard points (``GIFT`` is in neither
    ``STATUS_KINDS`` nor ``LEADERBOARD_KINDS``), and not earning activity (the expiry clock
    reads earned rows only). ``actor`` is the staff member; None for a campaign's automatic
    gift. A replayed key returns the first entry and writes nothing."""
    now = now or timezone.now()
    if not 0 < amount <= GIFT_MAX_POINTS or not reason.strip():
        raise ValueError(f"a gift needs 1–{GIFT_MAX_POINTS} points and a reason")
    if existing := _gift_existing(idempotency_key, member):
        return existing
    standing = _standing_for_update(member)
    if existing := _gift_existing(idempotency_key, member):
        return existing  # given by a concurrent call while we waited for the lock
    _kept_to(standing, now=now)
    entry = _create(
        member=member,
        amount=amount,
        kind=Kind.GIFT,
        idempotency_key=idempotency_key,
        state=State.APPROVED,
        available_at=now,
        note=reason.strip()[:300],
        actor=actor,
        created_at=now,
    )
    if entry is None:
        return PointEntry.objects.get(idempotency_key=idempotency_key)
    _count_entry(standing, entry)
    _refresh(standing, now=now)
    return entry


@transaction.atomic
def points_gift_coupon_entry(
    *,
    member: User,
    reason: str,
    actor: User | None,
    idempotency_key: str,
    now: datetime | None = None,
) -> PointEntry:
    """The ledger's record of a gifted coupon: a zero-point ``GIFT`` row the coupon's
    ``Redemption`` points to, so every gift is in the ledger with its author while the coupon
    costs nothing. Zero points means no balance moves and ``coupons_void_to_cover`` never
    voids the coupon (it gives nothing back). A replayed key returns the first entry."""
    now = now or timezone.now()
    if not reason.strip():
        raise ValueError("a gift needs a reason")
    if existing := _gift_existing(idempotency_key, member):
        return existing
    _standing_for_update(member)
    if existing := _gift_existing(idempotency_key, member):
        return existing
    entry = _create(
        member=member,
        amount=0,
        kind=Kind.GIFT,
        idempotency_key=idempotency_key,
        state=State.APPROVED,
        available_at=now,
        note=reason.strip()[:300],
        actor=actor,
        created_at=now,
    )
    # No refresh: a zero row changes no balance.
    return entry or PointEntry.objects.get(idempotency_key=idempotency_key)


# Members whose due points are approved in one transaction (one lock of their standings).
APPROVE_BATCH = 1000


def points_approve_due(*, now: datetime | None = None) -> int:
    """Approve pending entries whose waiting time is over. Returns how many."""
    now = now or timezone.now()
    member_ids = sorted(
        set(
            PointEntry.objects.filter(state=State.PENDING, available_at__lte=now).values_list(
                "member_id", flat=True
            )
        )
    )
    approved = 0
    for start in range(0, len(member_ids), APPROVE_BATCH):
        chunk = member_ids[start : start + APPROVE_BATCH]
        with transaction.atomic():
            standings = _standings_for_update(User.objects.in_bulk(chunk))
            approved += PointEntry.objects.filter(
                member_id__in=chunk, state=State.PENDING, available_at__lte=now
            ).update(state=State.APPROVED)
            _refresh_many(standings, now=now)
    return approved


def points_expire_due(*, now: datetime | None = None) -> int:
    """Expire the spendable balance of members with no earning activity for 12 months."""
    now = now or timezone.now()
    expired = 0
    due = MemberStanding.objects.filter(last_earned_at__lte=now - YEAR, spendable_points__gt=0)
    for member_id in list(due.values_list("member_id", flat=True)):
        with transaction.atomic():
            standing = _standing_for_update(User.objects.get(pk=member_id))
            balances = compute_balances(standing.member, now=now)
            if not balances.last_earned_at or balances.last_earned_at > now - YEAR or balances.spendable <= 0:
                continue
            _kept_to(standing, now=now)
            created = _create(
                member=standing.member,
                amount=-balances.spendable,
                kind=Kind.EXPIRY,
                idempotency_key=f"expiry:{member_id}:{balances.last_earned_at.isoformat()}",
                state=State.APPROVED,
                available_at=now,
                note=_("No earning activity for 12 months."),
                created_at=now,
            )
            if created:
                expired += 1
            _count_entry(standing, created)
            _refresh(standing, now=now)
    return expired


# What points_rebuild compares: the balances shown, and the sums kept behind them.
SHOWN = ("status_points", "spendable_points", "pending_points", "earned_points")
KEPT = ("status_sum", "pending_sum", "earned_sum", "last_earned_at")


def points_rebuild(*, now: datetime | None = None) -> list[tuple[int, dict[str, tuple[Any, Any]]]]:
    """Recompute every cached balance from the ledger; returns the members whose cache
    differed, with {field: (cached, actual)}. The kept sums are first moved to ``now``'s
    window as a write would move them (``_kept_to``), then compared with the recount: this
    is the proof that the incremental balances equal the rows."""
    now = now or timezone.now()
    differences = []
    for member in User.objects.filter(Q(point_entries__isnull=False) | Q(standing__isnull=False)).distinct():
        with transaction.atomic():
            standing = _standing_for_update(member)
            names: tuple[str, ...] = SHOWN
            if standing.status_since is not None:  # kept: compare the sums too
                names += KEPT
                _kept_to(standing, now=now)
            before = tuple(getattr(standing, name) for name in names)
            _recount(standing, now=now)
            _refresh(standing, now=now)
            after = tuple(getattr(standing, name) for name in names)
            if before != after:
                differences.append(
                    (member.pk, {n: (b, a) for n, b, a in zip(names, before, after, strict=True) if b != a})
                )
    return differences


def points_warn_expiring(*, now: datetime | None = None) -> int:
    """Warn, once per quiet spell, members whose points expire within 30 days."""
    now = now or timezone.now()
    if Campaign.objects.filter(
        kind=Campaign.Kind.LIFECYCLE, trigger=Campaign.Trigger.POINTS_EXPIRING, state=Campaign.State.LIVE
    ).exists():
        # The "points expiring" lifecycle campaign warns them (by email too); one notice is enough.
        return 0
    warned = 0
    due = MemberStanding.objects.filter(
        last_earned_at__lte=now - YEAR + EXPIRY_WARNING, last_earned_at__gt=now - YEAR, spendable_points__gt=0
    ).exclude(expiry_warned_for=models.F("last_earned_at"))
    for standing in due.select_related("member"):
        with transaction.atomic():
            locked = _standing_for_update(standing.member)
            if locked.expiry_warned_for == locked.last_earned_at or locked.last_earned_at is None:
                continue
            expires = timezone.localdate(locked.last_earned_at + YEAR)
            with in_member_language(locked.member):
                title = ngettext(
                    "%(points)s point expires on %(date)s",
                    "%(points)s points expire on %(date)s",
                    locked.spendable_points,
                ) % {
                    "points": locked.spendable_points,
                    "date": formats.date_format(expires, "DATE_FORMAT"),
                }
                body = _("Earn points before then (a review, a forum answer, a purchase) and they all stay.")
            notification_send(
                recipient=locked.member,
                kind="points-expiring",
                title=title,
                body=body,
                url=locked.member.get_absolute_url(),
            )
            locked.expiry_warned_for = locked.last_earned_at
            locked.save(update_fields=["expiry_warned_for"])
            warned += 1
    return warned


def tier_warning_claim(
    *, standing: MemberStanding, tier_id: int, reached_at: datetime, ends_at: datetime
) -> bool:
    """Mark the tier-loss warning for the hold ending at ``ends_at`` as sent
    (``services/tier_holds.py`` sends it). True only for the caller that marked it: a rerun
    or a second worker finds it marked, and a tier that moved meanwhile is not marked."""
    return bool(
        MemberStanding.objects.filter(pk=standing.pk, tier_id=tier_id, tier_reached_at=reached_at)
        .exclude(tier_warned_for=ends_at)
        .update(tier_warned_for=ends_at)
    )
