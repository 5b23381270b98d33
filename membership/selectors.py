"""Reads about members, with visibility rules built in: public profiles, notifications, the
member's standing, tier progress and level, points history, the leaderboard, badges, rewards
and redemptions, the staff dashboard's loyalty figures, and referrals."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any, Final

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Greatest, Now
from django.utils import timezone

from content.renditions import with_renditions
from hub.apps_modules import app_submodules

from .badge_registry import badge_definitions
from .models import (
    BadgeAward,
    EarningRule,
    MemberStanding,
    Notification,
    PointEntry,
    Redemption,
    Referral,
    ReferralLink,
    Reward,
    ShopCoupon,
    Tier,
    User,
)


def member_get_public(*, username: str) -> User | None:
    """An active member by username (case-insensitive), or None."""
    return User.objects.filter(username__iexact=username, is_active=True).first()


def notifications_for(*, member: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=member).order_by("-id")


def notifications_since(*, member: User, since: int, limit: int = 100) -> list[Notification]:
    """Notifications newer than ``since``, oldest first, for a reconnecting socket."""
    return list(Notification.objects.filter(recipient=member, pk__gt=since).order_by("pk")[:limit])


def notifications_unread_count(*, member: User) -> int:
    return Notification.objects.filter(recipient=member, read_at__isnull=True).count()


def notifications_latest_id(*, member: User) -> int:
    latest = (
        Notification.objects.filter(recipient=member).order_by("-pk").values_list("pk", flat=True).first()
    )
    return latest or 0


def member_standing(*, member: User) -> MemberStanding:
    """The member's cached standing (unsaved zero standing when they have no points yet)."""
    return MemberStanding.objects.select_related("tier").filter(member=member).first() or MemberStanding(
        member=member
    )


def member_level(user: User | AnonymousUser | None) -> int | None:
    """The member's level: their tier's status-points threshold (0 without a tier), so "Gold
    or higher" is one comparison; None for anonymous visitors. Cached on the user object, so
    a page asks the database once however many categories, rooms or events it checks."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return None
    cached: int | None = getattr(user, "_member_level", None)
    if cached is None:
        standing = member_standing(member=user)
        cached = standing.tier.threshold if standing.tier is not None else 0
        user._member_level = cached
    return cached


def member_levels_preload(*, members: Iterable[User]) -> None:
    """Fill :func:`member_level`'s cache for many members in one query (a batch of votes)."""
    members = list(members)
    # Two numbers per member, not two model instances: a storm's batch holds hundreds.
    levels = dict(
        MemberStanding.objects.filter(member__in=members).values_list("member_id", "tier__threshold")
    )
    for member in members:
        member._member_level = levels.get(member.pk) or 0


def tier_progress(*, standing: MemberStanding, now: datetime | None = None) -> dict[str, Any]:
    """The current tier, the next one and how far away it is, for the profile; ``hold`` is
    the tier's hold when it ends within 30 days short of the threshold (``tier_hold_for``:
    one query more, only then). ``window_months`` names the status window."""
    tiers = list(Tier.objects.order_by("threshold"))
    current = standing.tier or (tiers[0] if tiers else None)
    later = [tier for tier in tiers if current is None or tier.threshold > current.threshold]
    upcoming = later[0] if later else None
    common = {"hold": tier_hold_for(standing, now=now), "window_months": STATUS_WINDOW_MONTHS}
    if upcoming is None:
        return {"tier": current, "next": None, "needed": 0, "percent": 100, **common}
    floor = current.threshold if current else 0
    span = max(1, upcoming.threshold - floor)
    needed = max(0, upcoming.threshold - standing.status_points)
    percent = min(100, max(0, round((standing.status_points - floor) * 100 / span)))
    return {"tier": current, "next": upcoming, "needed": needed, "percent": percent, **common}


# --- tier holds ----------------------------------------------------------------------------
# A tier is held 12 months from the moment it was reached (``MemberStanding.tier_reached_at``;
# services/points.py ``_tier_move``). Status points are those of the last 12 months, so when
# the hold ends every point earned before the tier was reached has left the window: what
# counts then is what was earned since. A member short of the threshold by then drops to the
# tier those points earn at the next refresh of their standing. The profile, the in-app
# warning (services/tier_holds.py), the "tier hold ending" lifecycle campaign and the
# retention insight's at-risk reason all read the hold end and the points needed from here.

# Status points are those of the last STATUS_WINDOW (services/points.py reads it as YEAR),
# from the entries of STATUS_KINDS.
STATUS_WINDOW: Final = timedelta(days=365)
STATUS_WINDOW_MONTHS: Final = 12  # how the pages name STATUS_WINDOW
STATUS_KINDS: Final = [PointEntry.Kind.EARN, PointEntry.Kind.REVERSAL, PointEntry.Kind.ADJUSTMENT]
# The tier is protected this long after it was reached.
TIER_HOLD: Final = STATUS_WINDOW
# Members are warned this long before their hold ends.
TIER_HOLD_WARNING: Final = timedelta(days=30)
HOLD_CHUNK: Final = 500


def tier_hold_ends_at(reached_at: datetime) -> datetime:
    """When a tier reached at ``reached_at`` stops being protected."""
    return reached_at + TIER_HOLD


@dataclass(frozen=True)
class TierHold:
    """A member's hold: the tier, when it ends, and the status points that will still count
    then (earned since the tier was reached, approved or still pending, net of reversals)."""

    member_id: int
    tier: Tier
    reached_at: datetime
    ends_at: datetime
    kept: int

    @property
    def needed(self) -> int:
        """Status points still to earn before ``ends_at`` to keep the tier."""
        return max(0, self.tier.threshold - self.kept)


def hold_points_kept_totals(*, now: datetime, **members: Any) -> QuerySet[PointEntry, tuple[int, int]]:
    """(member id, total) of the status points that count when each member's hold ends (or
    now, for a hold already over): those earned after the later of the tier's date and 12
    months ago, approved or pending, net of reversals. One aggregate query; ``members`` are
    filters on the entries (``member_id__in=...``, ``member__standing__...``)."""
    counted_after = Greatest(F("member__standing__tier_reached_at"), Value(now - STATUS_WINDOW))
    return (
        PointEntry.objects.filter(
            kind__in=STATUS_KINDS,
            state__in=[PointEntry.State.APPROVED, PointEntry.State.PENDING],
            created_at__lte=now,
            **members,
        )
        .filter(created_at__gt=counted_after)
        .order_by()
        .values("member_id")
        .annotate(total=Sum("amount"))
        .values_list("member_id", "total")
    )


def hold_points_kept(member_ids: Sequence[int], *, now: datetime) -> dict[int, int]:
    """``hold_points_kept_totals`` for ``member_ids`` (absent: 0), never below zero."""
    if not member_ids:
        return {}
    rows = hold_points_kept_totals(now=now, member_id__in=member_ids)
    return {member_id: max(0, int(total or 0)) for member_id, total in rows}


def _hold(standing: MemberStanding, kept: int) -> TierHold:
    assert standing.tier is not None and standing.tier_reached_at is not None
    return TierHold(
        member_id=standing.member_id,
        tier=standing.tier,
        reached_at=standing.tier_reached_at,
        ends_at=tier_hold_ends_at(standing.tier_reached_at),
        kept=kept,
    )


def _in_warning_window(standing: MemberStanding, now: datetime) -> bool:
    # The entry tier (threshold 0) cannot be lost.
    return (
        standing.tier is not None
        and standing.tier.threshold > 0
        and standing.tier_reached_at is not None
        and now < tier_hold_ends_at(standing.tier_reached_at) <= now + TIER_HOLD_WARNING
    )


def tier_hold_for(standing: MemberStanding, *, now: datetime | None = None) -> TierHold | None:
    """The member's hold when it ends within 30 days and they are short of the threshold
    (what the profile warns about); None otherwise. One query, only inside the window."""
    now = now or timezone.now()
    if not _in_warning_window(standing, now):
        return None
    hold = _hold(standing, hold_points_kept([standing.member_id], now=now).get(standing.member_id, 0))
    return hold if hold.needed > 0 else None


def _ending_soon(now: datetime) -> QuerySet[MemberStanding]:
    return (
        MemberStanding.objects.filter(
            tier__isnull=False,
            tier__threshold__gt=0,
            tier_reached_at__gt=now - TIER_HOLD,
            tier_reached_at__lte=now - TIER_HOLD + TIER_HOLD_WARNING,
            member__is_active=True,
        )
        .select_related("member", "tier")
        .order_by("tier_reached_at", "pk")
    )


def tier_holds_ending(*, now: datetime, unwarned: bool = False) -> Iterator[tuple[MemberStanding, TierHold]]:
    """Active members whose hold ends within 30 days while short of the threshold, read
    ``HOLD_CHUNK`` standings at a time with one points aggregate per chunk. ``unwarned`` leaves
    out those already warned for this hold (``tier_warned_for``)."""
    iterator = _ending_soon(now).iterator(chunk_size=HOLD_CHUNK)
    while chunk := list(islice(iterator, HOLD_CHUNK)):
        holds = [(standing, _hold(standing, 0)) for standing in chunk]
        if unwarned:
            holds = [(standing, hold) for standing, hold in holds if standing.tier_warned_for != hold.ends_at]
        kept = hold_points_kept([hold.member_id for _standing, hold in holds], now=now)
        for standing, hold in holds:
            hold = replace(hold, kept=kept.get(standing.member_id, 0))
            if hold.needed > 0:
                yield standing, hold


def points_history(*, member: User, limit: int = 25) -> QuerySet[PointEntry]:
    return (
        PointEntry.objects.filter(member=member).select_related("rule").order_by("-created_at", "-id")[:limit]
    )


LEADERBOARD_PERIODS = {"all": None, "30d": 30, "7d": 7}
# Ranking every member's ledger costs a few hundred milliseconds with 50,000 members (see
# docs/PERFORMANCE.md), and a leaderboard a minute old is still right: each period's ranking is
# computed at most once a minute (per cache). The page says so.
LEADERBOARD_CACHE_SECONDS = 60


def leaderboard(*, period: str = "all", limit: int = 50, now: datetime | None = None) -> list[dict[str, Any]]:
    """Members ranked by points earned (net of reversals) in the period; opted-out and
    inactive members are left out. Two queries when the ranking is computed (the aggregate,
    the members), one when it comes from the cache; the members are always read fresh, so
    leaving the leaderboard or a new display name shows at once. An explicit ``now`` bypasses
    the cache."""
    days = LEADERBOARD_PERIODS.get(period)
    key = f"leaderboard:{days or 'all'}:{limit}"
    ranking = cache.get(key) if now is None else None
    members = None
    if ranking is None:
        ranking, members = _leaderboard_ranking(days=days, limit=limit, now=now or timezone.now())
        if now is None:
            cache.set(key, ranking, LEADERBOARD_CACHE_SECONDS)
    if members is None:
        members = _leaderboard_members([member_id for member_id, _points in ranking])
    rows = [(members[member_id], points) for member_id, points in ranking if member_id in members]
    return [{"rank": n, "member": member, "points": points} for n, (member, points) in enumerate(rows, 1)]


def _leaderboard_members(ids: list[int]) -> dict[int, User]:
    return User.objects.filter(pk__in=ids, is_active=True, show_on_leaderboard=True).in_bulk()


def _leaderboard_ranking(
    *, days: int | None, limit: int, now: datetime
) -> tuple[list[tuple[int, int]], dict[int, User]]:
    """The top ``limit`` eligible (member id, points) pairs, and those members.

    The aggregate does not join the members: joining them row by row costs more than the sum
    itself. It ranks a window a little larger than ``limit`` and drops the members who left
    the leaderboard; only when too many of them sit at the top is a further window read.
    The covering indexes ``point_entry_leaderboard`` (member first, for all time) and
    ``point_entry_leaderboard_recent`` (date first, for a period) answer it from the index
    alone; the period is a closed range, which is what makes SQLite's planner take the date
    index instead of scanning in member order to skip a sort."""
    if not days:
        # All time: the points service keeps each member's total on their standing
        # (``earned_points``, same rule as below), so the ranking is the top of that index.
        top = list(
            MemberStanding.objects.filter(
                earned_points__gt=0, member__is_active=True, member__show_on_leaderboard=True
            )
            .select_related("member")
            .order_by("-earned_points", "member_id")[:limit]
        )
        return [(row.member_id, row.earned_points) for row in top], {row.member_id: row.member for row in top}

    entries = PointEntry.objects.filter(
        kind__in=[PointEntry.Kind.EARN, PointEntry.Kind.REVERSAL],
        state__in=[PointEntry.State.APPROVED, PointEntry.State.PENDING],
    )
    if days:
        entries = entries.filter(created_at__range=(now - timedelta(days=days), now))
    totals = (
        entries.order_by()
        .values("member_id")
        .annotate(points=Sum("amount"))
        .filter(points__gt=0)
        .order_by("-points", "member_id")
        .values_list("member_id", "points")
    )
    ranking: list[tuple[int, int]] = []
    members: dict[int, User] = {}
    offset, window = 0, limit + max(10, limit // 4)
    while True:
        ranked = list(totals[offset : offset + window])
        found = _leaderboard_members([member_id for member_id, _points in ranked])
        members.update(found)
        ranking += [(member_id, points) for member_id, points in ranked if member_id in found]
        if len(ranking) >= limit or len(ranked) < window:
            return ranking[:limit], members
        offset, window = offset + window, window * 2


def badge_catalogue(*, member: User | None = None, with_holders: bool = True) -> list[dict[str, Any]]:
    """Every badge with its levels, how many members hold each level and, for a signed-in
    member, what they hold and their count. Queries: one for holders, one for the member's
    awards, and one counter per badge."""
    holders = (
        {
            (row["badge"], row["level"]): row["n"]
            for row in BadgeAward.objects.values("badge", "level").annotate(n=Count("member", distinct=True))
        }
        if with_holders
        else {}
    )
    held = set()
    if member is not None:
        held = set(BadgeAward.objects.filter(member=member).values_list("badge", "level"))
    catalogue = []
    for badge in badge_definitions():
        count = badge.counter(member) if member is not None else None
        levels = [
            {
                "level": index,
                "name": badge.level_name(index),
                "threshold": threshold,
                "holders": holders.get((badge.key, index), 0),
                "held": (badge.key, index) in held,
            }
            for index, threshold in enumerate(badge.thresholds, start=1)
        ]
        next_level = next((lv for lv in levels if not lv["held"]), None)
        catalogue.append({"badge": badge, "levels": levels, "count": count, "next": next_level})
    return catalogue


def member_badges(*, member: User) -> list[dict[str, Any]]:
    by_key = {badge.key: badge for badge in badge_definitions()}
    best: dict[str, int] = {}
    for key, level in BadgeAward.objects.filter(member=member).values_list("badge", "level"):
        best[key] = max(level, best.get(key, 0))
    return [
        {"badge": by_key[key], "level": level, "level_name": by_key[key].level_name(level)}
        for key, level in sorted(best.items())
        if key in by_key
    ]


def rewards_for(*, member: User | None, standing: MemberStanding | None = None) -> list[dict[str, Any]]:
    """Active rewards, each with whether this member can redeem it now and why not.
    ``standing``: the member's, when the caller has read it already."""
    # Each reward's picture comes with its renditions: no query per card.
    rewards = list(
        with_renditions(Reward.objects.filter(active=True).select_related("min_tier", "product"), "image")
    )
    if member is None:
        standing = None
    elif standing is None:
        standing = member_standing(member=member)
    used: dict[int, int] = {}
    if member is not None:
        for reward_id in Redemption.objects.filter(member=member).values_list("reward_id", flat=True):
            used[reward_id] = used.get(reward_id, 0) + 1
    rows = []
    for reward in rewards:
        reason = ""
        if standing is None:
            reason = "login"
        elif reward.min_tier and (
            standing.tier is None or standing.tier.threshold < reward.min_tier.threshold
        ):
            reason = "tier"
        elif reward.stock is not None and reward.stock <= 0:
            reason = "stock"
        elif reward.per_member_limit is not None and used.get(reward.pk, 0) >= reward.per_member_limit:
            reason = "limit"
        elif standing.spendable_points < reward.cost:
            reason = "points"
        rows.append(
            {
                "reward": reward,
                "blocked": reason,
                "short": max(0, reward.cost - (standing.spendable_points if standing else 0)),
            }
        )
    return rows


def redemptions_for(*, member: User) -> QuerySet[Redemption]:
    """The member's coupons, newest first, each with ``gifted`` (staff or a campaign gave it:
    its ledger row is a gift), ``expired`` (a gifted coupon past its expiry), and while a shop
    that takes coupons does not have it yet, ``shop_waiting`` (being created) or
    ``shop_failed`` (the shop refused it): the code is shown once every shop has it."""
    in_shop = ShopCoupon.objects.filter(redemption=OuterRef("pk"))
    return (
        Redemption.objects.filter(member=member)
        .select_related("reward")
        .annotate(
            gifted=ExpressionWrapper(Q(entry__kind=PointEntry.Kind.GIFT), output_field=BooleanField()),
            expired=ExpressionWrapper(Q(expires_at__lte=Now()), output_field=BooleanField()),
            shop_waiting=Exists(in_shop.filter(state=ShopCoupon.State.PENDING)),
            shop_failed=Exists(in_shop.filter(state=ShopCoupon.State.FAILED)),
        )
        .order_by("-created_at")
    )


def loyalty_overview(*, now: datetime, days: int = 30, top_rules: int = 5) -> dict[str, Any]:
    """The staff dashboard's figures: members per tier, and points earned (members' own
    activity), pending, added and taken away by staff adjustments (balances carried over
    from elsewhere, corrections), redeemed, reversed and expired in the last ``days``, with
    the rules that earned the most.
    Five queries whatever the size of the ledger (tiers, then four aggregates)."""
    since = now - timedelta(days=days)
    Kind, State = PointEntry.Kind, PointEntry.State
    tiers = list(Tier.objects.order_by("threshold"))
    per_tier = dict(
        MemberStanding.objects.filter(member__is_active=True, tier__isnull=False)
        .values_list("tier")
        .annotate(n=Count("member"))
    )
    active = User.objects.filter(is_active=True).count()
    # Members without a standing row (no points yet) or without a tier are in the first tier.
    if tiers:
        per_tier[tiers[0].pk] = per_tier.get(tiers[0].pk, 0) + active - sum(per_tier.values())
    recent = PointEntry.objects.filter(created_at__gte=since)
    totals = recent.aggregate(
        # Earned by members' own activity only: balances carried over from elsewhere and staff
        # corrections are adjustments, a figure of their own (they are not activity).
        earned=Sum("amount", filter=Q(kind=Kind.EARN, state__in=[State.APPROVED, State.PENDING])),
        adjusted_in=Sum("amount", filter=Q(kind=Kind.ADJUSTMENT, amount__gt=0)),
        adjusted_out=Sum("amount", filter=Q(kind=Kind.ADJUSTMENT, amount__lt=0)),
        pending=Sum("amount", filter=Q(kind=Kind.EARN, state=State.PENDING)),
        # Net of coupons voided since (their cost went back to the member).
        redeemed=Sum("amount", filter=Q(kind__in=[Kind.REDEEM, Kind.VOID])),
        reversed_rows=Sum("amount", filter=Q(kind=Kind.REVERSAL) & ~Q(state=State.REVERSED)),
        reversed_pending=Sum("amount", filter=Q(kind=Kind.EARN, state=State.REVERSED)),
        expired=Sum("amount", filter=Q(kind=Kind.EXPIRY)),
    )
    rules = list(
        recent.filter(kind=Kind.EARN, state__in=[State.APPROVED, State.PENDING], rule__isnull=False)
        .values("rule__name")
        .annotate(points=Sum("amount"), entries=Count("id"))
        .order_by("-points")[:top_rules]
    )
    return {
        "days": days,
        "members": active,
        "tiers": [{"tier": tier, "members": per_tier.get(tier.pk, 0)} for tier in tiers],
        "earned": totals["earned"] or 0,
        # Points added (carried-over balances, corrections in the member's favour) and taken
        # away by staff adjustments, both as positive numbers.
        "adjusted_in": totals["adjusted_in"] or 0,
        "adjusted_out": -(totals["adjusted_out"] or 0),
        "pending": totals["pending"] or 0,
        "redeemed": -(totals["redeemed"] or 0),
        "reversed": -(totals["reversed_rows"] or 0) + (totals["reversed_pending"] or 0),
        "expired": -(totals["expired"] or 0),
        "top_rules": rules,
    }


def referral_link_by_code(*, code: str) -> ReferralLink | None:
    """An active member's referral link by its code, with the member, or None."""
    return ReferralLink.objects.select_related("member").filter(code=code, member__is_active=True).first()


def referral_link_for(*, member: User) -> ReferralLink | None:
    """The member's referral link (None before the first one is made), annotated in the same
    query with what the profile explains: the points on each side and the return window."""

    def rule(key: str, field: str) -> Subquery:
        return Subquery(EarningRule.objects.filter(key=key, active=True).values(field)[:1])

    return (
        ReferralLink.objects.filter(member=member)
        .annotate(
            referrer_points=rule("referral-referrer", "points"),
            friend_points=rule("referral-friend", "points"),
            window_days=rule("purchase", "pending_days"),
        )
        .first()
    )


def referrals_for(*, member: User) -> QuerySet[Referral]:
    """The friends ``member`` referred, newest first, each with ``points_on``: when this
    member's pending referral points become available (None when there are none)."""
    pending = PointEntry.objects.filter(
        member=member,
        source_type=ContentType.objects.get_for_model(Referral),
        source_id=Cast(OuterRef("pk"), CharField()),
        kind=PointEntry.Kind.EARN,
        state=PointEntry.State.PENDING,
    ).values("available_at")[:1]
    return (
        Referral.objects.filter(referrer=member)
        .select_related("friend")
        .annotate(points_on=Subquery(pending))
        .order_by("-created_at", "-pk")
    )


# --- Loyalty pages: ways to earn, redeeming one reward -------------------------------------


def _points_figure(value: Decimal) -> int | Decimal:
    """A rule's points as members read them: 50 rather than 50.00, 0.5 rather than 0.50."""
    return int(value) if value == value.to_integral_value() else value.normalize()


def earning_terms() -> dict[str, dict[str, Any]]:
    """What the features that award points add to a rule's figures, by rule key: a longer
    wait than the rule's (``hold_days``) and a ``condition`` in a sentence. Each app or
    feature may declare ``earning_terms()`` in an ``earning_terms`` module
    (community/reviews/earning_terms.py)."""
    terms: dict[str, dict[str, Any]] = {}
    for _label, module in app_submodules("earning_terms"):
        for key, extra in module.earning_terms().items():
            terms.setdefault(key, {}).update(extra)
    return terms


def earning_rules_public() -> dict[str, Any]:
    """What the "ways to earn" page lists, from the data staff edit: every active earning
    rule (points, per euro or per award, days pending, daily cap) and every tier's
    multiplier, with what the awarding features add (:func:`earning_terms`). Two queries."""
    terms = earning_terms()
    rules = [
        {
            "rule": rule,
            "points": _points_figure(rule.points),
            # For the plural form: a part point (0.5) reads as plural in English and Finnish.
            "points_count": int(rule.points) if rule.points == rule.points.to_integral_value() else 2,
            "per_currency_unit": rule.per_currency_unit,
            "pending_days": max(rule.pending_days, terms.get(rule.key, {}).get("hold_days", 0)),
            "daily_cap": rule.daily_cap,
            "condition": terms.get(rule.key, {}).get("condition", ""),
        }
        for rule in EarningRule.objects.filter(active=True).order_by("-per_currency_unit", "-points", "name")
    ]
    tiers = [
        {
            "tier": tier,
            "multiplier": _points_figure(tier.multiplier),
            # 1.25 → 25 (% more points); 0 for a tier that earns the base rate.
            "bonus_percent": _points_figure((tier.multiplier - 1) * 100) if tier.multiplier > 1 else 0,
        }
        for tier in Tier.objects.order_by("threshold")
    ]
    return {"rules": rules, "tiers": tiers}


def reward_offers(*, member: User | None, standing: MemberStanding | None = None) -> list[dict[str, Any]]:
    """:func:`rewards_for`'s rows, each with the member's ``balance`` and what it would be
    after redeeming (``balance_after``), for the confirmation step. ``standing``: the member's,
    when the caller has read it already (read once here otherwise)."""
    if member is None:
        return rewards_for(member=None)
    standing = standing or member_standing(member=member)
    rows = rewards_for(member=member, standing=standing)
    spendable = standing.spendable_points
    return [{**row, "balance": spendable, "balance_after": spendable - row["reward"].cost} for row in rows]


def reward_offer(*, member: User, reward_id: int) -> dict[str, Any] | None:
    """One active reward as :func:`reward_offers` has it (``blocked`` says why it cannot be
    redeemed now); None when the reward is not in the catalogue."""
    return next((row for row in reward_offers(member=member) if row["reward"].pk == reward_id), None)
