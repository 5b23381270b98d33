"""``insight_refresh``: read the orders and everything else in a few large queries, compute every
figure (``metrics.py``) and store a whole run; pages only ever read the latest finished run.

How a run is kept whole:

- One refresh at a time: a lock that dies with its process (a PostgreSQL session advisory lock;
  on SQLite an OS file lock beside the database file). A second refresh while one runs raises
  ``RefreshBusy`` and writes nothing.
- The run is written as "running", its rows in batches, then marked "done"; only then are older
  runs deleted. Pages read the newest "done" run, so a refresh in progress, or one killed half
  way (its process gone, its lock released), never hides the last finished one. The next
  refresh marks such a run failed and deletes its rows.
- Money is read as integer cents (computed by the database), so every sum is exact.

Queries: a fixed number whatever the number of customers and orders (orders are streamed in
chunks through one cursor), plus the inserts of the stored rows, ``CUSTOMER_BATCH`` rows each
(fewer on SQLite, whose 999-parameter limit Django's ``bulk_create`` respects).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import tempfile
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection
from django.db.models import (
    BigIntegerField,
    CharField,
    DecimalField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Greatest
from django.utils import timezone

from ..campaigns.models import Gift
from ..models import MemberStanding, Order, Redemption, Referral, Reward, Tier, User
from ..selectors import hold_points_kept_totals
from ..services.points import YEAR
from ..services.referrals import email_normalise
from ..signals import insight_refreshed
from . import engagement, metrics
from .models import CurrencyInsight, CustomerInsight, InsightRun, RetentionSettings
from .types import PERIODS, PeriodReport, ReasonDetail, RunSettings

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
DAY = metrics.DAY
ORDER_CHUNK = 20_000
CUSTOMER_BATCH = 2_000
LOCK_KEY = 0x4B414E5441  # "KANTA": this refresh's PostgreSQL advisory lock
# Referrals that brought a genuinely new customer: those refused as the same person or an
# existing customer (or still flagged for staff) did not.
GENUINE_REFUSALS = [Referral.Reason.MONTHLY_LIMIT, Referral.Reason.ORDER_REFUNDED]
ABANDONED = "Stopped before it finished (its process ended); marked failed by the next refresh."


class RefreshBusy(Exception):
    """Another refresh holds the lock."""


# --- the lock ---------------------------------------------------------------------------------


def _lock_path() -> Path:
    name = str(connection.settings_dict.get("NAME") or "")
    if name and name != ":memory:" and "mode=memory" not in name:
        return Path(f"{name}.insight-refresh.lock")
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"kanta-insight-refresh-{digest}.lock"


@contextmanager
def refresh_lock() -> Iterator[bool]:
    """Hold the refresh lock while the block runs; yields whether it was acquired (never waits).
    Released when the block ends or the process dies, so a killed refresh never blocks the next."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            acquired = bool(cursor.fetchone()[0])
        try:
            yield acquired
        finally:
            if acquired:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        return
    with open(_lock_path(), "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- reading ----------------------------------------------------------------------------------


class _Integer(Func):
    """A whole number computed by the database, passed on as the driver returns it (both
    return an int): Django's int() converter per value was a third of reading a million orders."""

    output_field = BigIntegerField()

    @property
    def convert_value(self) -> Callable[..., Any]:
        # Django's own no-op, which get_db_converters recognises and skips (not in django-stubs).
        return self._convert_value_noop  # type: ignore[attr-defined,no-any-return]


class EpochSeconds(_Integer):
    """A datetime column as whole Unix seconds, computed by the database (converting a million
    datetimes in Python would be most of the read)."""

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> _AsSqlType:
        # Django stores UTC text; julianday reads it, 2440587.5 is the Unix epoch's Julian day.
        template = "CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _AsSqlType:
        template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)"
        return self.as_sql(compiler, connection, template=template, **extra)


class Cents(_Integer):
    """A two-place decimal column as integer cents, computed by the database."""

    template = "CAST(ROUND(%(expressions)s * 100) AS BIGINT)"


@dataclass
class Customers:
    """Every customer of every currency: index → currency, member id (0: none), email."""

    index: dict[tuple[str, int | str], int] = field(default_factory=dict)
    currency: list[str] = field(default_factory=list)
    member: list[int] = field(default_factory=list)
    email: list[str] = field(default_factory=list)

    def get(self, currency: str, member_id: int | None, email: str) -> int:
        key: tuple[str, int | str] = (currency, member_id) if member_id else (currency, email)
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.currency)
            self.currency.append(currency)
            self.member.append(member_id or 0)
            self.email.append("" if member_id else email)
        return found


@dataclass
class OrderRead:
    customers: Customers
    customer: np.ndarray
    time: np.ndarray
    cents: np.ndarray
    coupon: np.ndarray
    coupon_currency: dict[str, str]  # coupon code → the currency of the order that used it


def _read_orders(as_of: datetime) -> OrderRead:
    """The orders that count (not refunded in full) before ``as_of``, streamed in chunks
    through one query. A customer is the member, or for orders without one the normalised
    email (``email_normalise``: one person's address in one spelling)."""
    rows = (
        Order.objects.filter(created_at__lt=as_of)
        .exclude(status=Order.Status.REFUNDED)
        .order_by()
        .values_list(
            "member_id", "email", "currency", "coupon_code", Cents("total"), EpochSeconds("created_at")
        )
    )
    customers = Customers()
    customer, moment, cents = array("q"), array("q"), array("q")
    coupon = bytearray()
    coupon_currency: dict[str, str] = {}
    normalised: dict[str, str] = {}
    get = customers.get
    for member_id, email, currency, code, total, created in rows.iterator(chunk_size=ORDER_CHUNK):
        if not member_id:
            email = normalised.get(email) or normalised.setdefault(email, email_normalise(email))
        customer.append(get(currency, member_id, email))
        moment.append(created)
        cents.append(total)
        if code:
            coupon.append(1)
            coupon_currency[code.strip().upper()] = currency
        else:
            coupon.append(0)
    return OrderRead(
        customers=customers,
        customer=np.frombuffer(customer, dtype=np.int64).copy() if customer else np.zeros(0, dtype=np.int64),
        time=np.frombuffer(moment, dtype=np.int64).copy() if moment else np.zeros(0, dtype=np.int64),
        cents=np.frombuffer(cents, dtype=np.int64).copy() if cents else np.zeros(0, dtype=np.int64),
        coupon=np.frombuffer(bytes(coupon), dtype=np.uint8).astype(np.bool_),
        coupon_currency=coupon_currency,
    )


@dataclass(frozen=True)
class MemberFacts:
    email: str
    tier_id: int | None
    points_expiring: ReasonDetail | None
    tier_hold_ending: ReasonDetail | None


def _read_members(as_of: datetime, tiers: dict[int, Tier], zone: tzinfo) -> dict[int, MemberFacts]:
    """Members who have an order: email, tier, and the points and tier warning signs (two
    queries: members with their standing, and the status points of those whose hold ends)."""
    soon = as_of + timedelta(days=metrics.EXPIRY_WARNING_DAYS)
    lowest = min((tier for tier in tiers.values() if tier.threshold == 0), key=lambda t: t.pk, default=None)
    hold_ends_by = soon - YEAR
    # The points that will still count when the hold ends (services/tier_holds.py: the same
    # figure the member's warning and the lifecycle campaign give).
    status = dict(
        hold_points_kept_totals(
            now=as_of,
            member__standing__tier__isnull=False,
            member__standing__tier_reached_at__lte=hold_ends_by,
        )
    )
    rows = (
        User.objects.filter(Exists(Order.objects.filter(member=OuterRef("pk"))))
        .order_by()
        .values_list(
            "pk",
            "email",
            "standing__tier_id",
            "standing__tier_reached_at",
            "standing__spendable_points",
            "standing__last_earned_at",
        )
    )
    facts: dict[int, MemberFacts] = {}
    for pk, email, tier_id, reached_at, spendable, last_earned_at in rows.iterator(chunk_size=ORDER_CHUNK):
        expiring = None
        if spendable and spendable > 0 and last_earned_at is not None:
            expires = last_earned_at + YEAR
            if as_of < expires <= soon:
                expiring = ReasonDetail(
                    points=int(spendable), date=expires.astimezone(zone).date().isoformat()
                )
        hold = None
        tier = tiers.get(tier_id) if tier_id else None
        if tier is not None and reached_at is not None and reached_at + YEAR <= soon:
            points = max(0, int(status.get(pk) or 0))
            if points < tier.threshold:
                hold = ReasonDetail(
                    tier=tier.name,
                    status_points=points,
                    threshold=tier.threshold,
                    date=(reached_at + YEAR).astimezone(zone).date().isoformat(),
                )
        # A member without a standing row has no points: the tier for 0 points is theirs.
        facts[pk] = MemberFacts(
            email=email,
            tier_id=tier_id or (lowest.pk if lowest else None),
            points_expiring=expiring,
            tier_hold_ending=hold,
        )
    return facts


def _genuine_referral_friends() -> set[int]:
    State = Referral.State
    return set(
        Referral.objects.filter(
            Q(state__in=[State.SIGNED_UP, State.QUALIFYING, State.CONVERTED])
            | Q(state=State.REFUSED, reason__in=GENUINE_REFUSALS)
        ).values_list("friend_id", flat=True)
    )


@dataclass(frozen=True)
class CouponRow:
    code: str
    redeemed_at: int
    used_at: int | None
    kind: str
    value: Decimal
    product_price: Decimal | None
    product_currency: str | None
    source: int = metrics.COUPON_BOUGHT


# The kind a points gift's row carries in the coupon read (no reward kind is spelled so).
GIFTED_POINTS = "gifted_points"


def _read_coupons() -> tuple[list[CouponRow], metrics.GiftedPoints]:
    """What the programme gave away, in one query: every coupon not voided (taken for points,
    or gifted, by a campaign or by staff) and, in the same rows, every points gift."""
    coupons = (
        Redemption.objects.filter(voided_at__isnull=True)
        .order_by()
        .values_list(
            "coupon_code",
            EpochSeconds("created_at"),
            EpochSeconds("used_at"),
            "reward__kind",
            "reward__value",
            "reward__product__price",
            "reward__product__currency",
            "gift__id",
            "gift__campaign_id",
        )
    )
    points = (
        Gift.objects.filter(kind=Gift.Kind.POINTS, points__gt=0)
        .order_by()
        .values_list(
            Value("", output_field=CharField()),
            EpochSeconds("created_at"),
            Value(None, output_field=BigIntegerField()),
            Value(GIFTED_POINTS, output_field=CharField()),
            "points",
            Value(None, output_field=DecimalField()),
            Value(None, output_field=CharField()),
            "id",
            "campaign_id",
        )
    )
    rows: list[CouponRow] = []
    given_at, given, by_campaign = array("q"), array("q"), bytearray()
    for code, redeemed, used, kind, value, price, product_currency, gift, campaign in coupons.union(
        points, all=True
    ).iterator(chunk_size=ORDER_CHUNK):
        if kind == GIFTED_POINTS:
            given_at.append(redeemed)
            given.append(int(value))
            by_campaign.append(campaign is not None)
            continue
        rows.append(
            CouponRow(
                code=code,
                redeemed_at=redeemed,
                used_at=used,
                kind=kind,
                value=value,
                product_price=price,
                product_currency=product_currency,
                source=metrics.COUPON_BOUGHT
                if gift is None
                else metrics.COUPON_GIFT_CAMPAIGN
                if campaign is not None
                else metrics.COUPON_GIFT_STAFF,
            )
        )
    gifted = metrics.GiftedPoints(
        given_at=np.array(given_at, dtype=np.int64),
        points=np.array(given, dtype=np.int64),
        by_campaign=np.frombuffer(bytes(by_campaign), dtype=np.uint8).astype(np.bool_),
    )
    return rows, gifted


def _coupons_for(
    currency: str, *, main: str, coupons: list[CouponRow], used_in: dict[str, str]
) -> metrics.Coupons:
    """The coupons reported under ``currency``: a used coupon under the currency of the order
    that used it (when the shop named the coupon on an order), every other coupon under the
    store's main currency (the one with the most purchases), in which rewards are priced. A
    fixed-amount coupon is worth its face value and a free product its catalogue price (in the
    product's currency); a percentage or free shipping is counted only."""
    redeemed, used, value, source = [], [], [], []
    for row in coupons:
        reported = used_in.get(row.code.upper(), main) if row.used_at is not None else main
        if reported != currency:
            continue
        cents = -1
        if row.kind == Reward.Kind.FIXED and currency == main:
            cents = int((row.value * 100).to_integral_value())
        elif (
            row.kind == Reward.Kind.PRODUCT
            and row.product_price is not None
            and row.product_currency == currency
        ):
            cents = int((row.product_price * 100).to_integral_value())
        redeemed.append(row.redeemed_at)
        used.append(np.nan if row.used_at is None else float(row.used_at))
        value.append(cents)
        source.append(row.source)
    return metrics.Coupons(
        redeemed_at=np.array(redeemed, dtype=np.int64),
        used_at=np.array(used, dtype=np.float64),
        value_cents=np.array(value, dtype=np.int64),
        source=np.array(source, dtype=np.int64),
    )


# --- computing one currency -------------------------------------------------------------------


def _iso(moment: int, zone: tzinfo) -> str:
    return datetime.fromtimestamp(moment, zone).isoformat()


def _decimal(value: float) -> Decimal:
    return Decimal(round(value * 100)).scaleb(-2)


def _aware(moment: int) -> datetime:
    return datetime.fromtimestamp(int(moment), UTC)


# --- the refresh --------------------------------------------------------------------------------


def _settings() -> RunSettings:
    stored = RetentionSettings.load()
    return RunSettings(
        lapse_probability=float(stored.lapse_probability),
        lapse_days=int(stored.lapse_days),
        min_repeat_buyers=int(stored.min_repeat_buyers),
        holdout_weeks=int(stored.holdout_weeks),
    )


def _abandoned_fail(now: datetime) -> None:
    """Runs left "running" (their process died: we hold the lock, so none is alive) become
    failed, and their partial rows go."""
    abandoned = list(InsightRun.objects.filter(state=InsightRun.State.RUNNING).values_list("pk", flat=True))
    if abandoned:
        CurrencyInsight.objects.filter(run_id__in=abandoned).delete()
        InsightRun.objects.filter(pk__in=abandoned).update(
            state=InsightRun.State.FAILED, finished_at=now, error=ABANDONED
        )


def insight_refresh(*, now: datetime | None = None, progress: Progress | None = None) -> InsightRun:
    """Recompute every retention figure as of ``now`` and store them as a new run; returns the
    finished run. Raises RefreshBusy (nothing written) when another refresh is running; any
    other failure marks the run failed (with the error) and is raised."""
    now = now or timezone.now()
    report = progress or (lambda step, done, total: None)
    with refresh_lock() as acquired:
        if not acquired:
            raise RefreshBusy("Another retention refresh is running; try again when it has finished.")
        _abandoned_fail(timezone.now())
        run_settings = _settings()
        run = InsightRun.objects.create(as_of=now, state=InsightRun.State.RUNNING, settings=run_settings)
        try:
            _refresh(run, now=now, run_settings=run_settings, report=report)
        except BaseException as exc:
            CurrencyInsight.objects.filter(run=run).delete()
            InsightRun.objects.filter(pk=run.pk).update(
                state=InsightRun.State.FAILED,
                finished_at=timezone.now(),
                error=f"{type(exc).__name__}: {exc}",
            )
            logger.exception("retention refresh %s failed", run.pk)
            raise
        run.state, run.finished_at = InsightRun.State.DONE, timezone.now()
        run.save(update_fields=["state", "finished_at"])
        # Listeners (the win-back campaign) compare with the previous run before it goes;
        # send_robust logs a failing listener and never undoes the run.
        insight_refreshed.send_robust(sender=InsightRun, run=run)
        # Only now that the new run is done: the older ones (done or failed) go.
        InsightRun.objects.exclude(pk=run.pk).delete()
        return run


def _refresh(run: InsightRun, *, now: datetime, run_settings: RunSettings, report: Progress) -> None:
    zone = timezone.get_default_timezone()
    as_of = int(now.timestamp())
    steps = ["orders", "members and points", "community", "coupons and referrals"]
    total = len(steps) + 2

    report("reading orders", 0, total)
    orders = _read_orders(now)
    currencies_in_use = sorted(set(orders.customers.currency))
    total = len(steps) + 2 * len(currencies_in_use)
    report("reading members and points", 1, total)
    tiers = {tier.pk: tier for tier in Tier.objects.order_by("threshold")}
    members = _read_members(now, tiers, zone)
    liability = MemberStanding.objects.aggregate(
        spendable=Sum(Greatest(F("spendable_points"), 0)), pending=Sum("pending_points")
    )
    points_liability = int(liability["spendable"] or 0) + int(liability["pending"] or 0)

    report("reading community activity", 2, total)
    windows = _engagement_windows(now)
    activity = engagement.activity_counts(windows=[window for _key, window in windows])
    window_index = {key: n for n, (key, _window) in enumerate(windows)}
    feedback = engagement.negative_feedback(
        since=now - timedelta(days=metrics.NEGATIVE_REVIEW_DAYS), until=now
    )

    report("reading coupons and referrals", 3, total)
    coupons, gifted_points = _read_coupons()
    friends = _genuine_referral_friends()

    customers = orders.customers
    customer_currency = np.array(customers.currency, dtype=object)
    customer_member = np.array(customers.member, dtype=np.int64)
    purchases_by_currency = {
        currency: int(((customer_currency == currency)[orders.customer]).sum())
        for currency in currencies_in_use
    }
    main = max(currencies_in_use, key=lambda c: (purchases_by_currency[c], c == "EUR", c), default="")
    step = len(steps)
    for currency in currencies_in_use:
        step += 1
        report(f"computing {currency}", step, total)
        chosen = np.flatnonzero(customer_currency == currency)
        local = np.full(len(customers.currency), -1, dtype=np.int64)
        local[chosen] = np.arange(len(chosen))
        in_currency = local[orders.customer] >= 0
        history = metrics.History(
            metrics.purchases_from_orders(
                metrics.Orders(
                    customer=local[orders.customer[in_currency]],
                    time=orders.time[in_currency],
                    cents=orders.cents[in_currency],
                    coupon=orders.coupon[in_currency],
                ),
                customers=len(chosen),
                zone=zone,
            ),
            zone=zone,
        )
        insight, rows = _currency(
            run,
            currency=currency,
            history=history,
            as_of=as_of,
            member_ids=customer_member[chosen],
            emails=[customers.email[i] for i in chosen],
            members=members,
            tiers=tiers,
            activity=activity,
            window_index=window_index,
            feedback=feedback,
            friends=friends,
            coupons=_coupons_for(currency, main=main, coupons=coupons, used_in=orders.coupon_currency),
            points_liability=points_liability,
            gifted_points=gifted_points,
            run_settings=run_settings,
            zone=zone,
        )
        # Stored before the next currency is computed: only one currency's arrays in memory.
        step += 1
        report(f"storing {currency}", step, total)
        insight.save()
        iterator = rows(insight)
        while batch := list(islice(iterator, CUSTOMER_BATCH)):
            CustomerInsight.objects.bulk_create(batch, batch_size=CUSTOMER_BATCH)
        del history, insight, rows, iterator
    report("done", total, total)


def _engagement_windows(now: datetime) -> list[tuple[str, engagement.Window]]:
    windows = [
        (key, engagement.Window(start=None if days is None else now - timedelta(days=days), end=now))
        for key, days in PERIODS.items()
    ]
    before = now - timedelta(days=metrics.ENGAGEMENT_DAYS)
    windows.append(
        ("before", engagement.Window(start=before - timedelta(days=metrics.ENGAGEMENT_DAYS), end=before))
    )
    return windows


def _currency(
    run: InsightRun,
    *,
    currency: str,
    history: metrics.History,
    as_of: int,
    member_ids: np.ndarray,
    emails: list[str],
    members: dict[int, MemberFacts],
    tiers: dict[int, Tier],
    activity: dict[int, list[int]],
    window_index: dict[str, int],
    feedback: dict[int, list[engagement.Feedback]],
    friends: set[int],
    coupons: metrics.Coupons,
    points_liability: int,
    gifted_points: metrics.GiftedPoints,
    run_settings: RunSettings,
    zone: tzinfo,
) -> tuple[CurrencyInsight, Callable[[CurrencyInsight], Iterator[CustomerInsight]]]:
    is_member = member_ids > 0
    model = metrics.customer_model(
        history,
        as_of=as_of,
        min_repeat_buyers=run_settings["min_repeat_buyers"],
        holdout_weeks=run_settings["holdout_weeks"],
    )
    rule = metrics.LapseRule(
        lapse_days=run_settings["lapse_days"],
        lapse_probability=run_settings["lapse_probability"],
        model=model.bgnbd if model.fitted else None,
    )
    predicted = metrics.predictions(history, model, as_of=as_of)

    def activity_in(key: str) -> np.ndarray:
        index = window_index[key]
        return np.array(
            [activity.get(int(m), [0] * len(window_index))[index] if m else 0 for m in member_ids]
        )

    engaged = {key: is_member & (activity_in(key) > 0) for key in PERIODS}
    referred = np.array([int(m) in friends for m in member_ids], dtype=np.bool_)

    periods: dict[str, PeriodReport] = {}
    for key, days in PERIODS.items():
        start = None if days is None else as_of - days * DAY
        previous = None
        if start is not None and days is not None:
            previous = metrics.figures(
                history, start=start - days * DAY, end=start, rule=rule, members=is_member
            )
        periods[key] = PeriodReport(
            key=key,  # type: ignore[typeddict-item]
            start=None if start is None else _iso(start, zone),
            end=_iso(as_of, zone),
            days=days,
            current=metrics.figures(history, start=start, end=as_of, rule=rule, members=is_member),
            previous=previous,
            segments={
                "members": metrics.segment(history, start=start, end=as_of, mask=is_member),
                "non_members": metrics.segment(history, start=start, end=as_of, mask=~is_member),
                "engaged": metrics.segment(history, start=start, end=as_of, mask=engaged[key]),
                "not_engaged": metrics.segment(
                    history, start=start, end=as_of, mask=is_member & ~engaged[key]
                ),
            },
            programme=metrics.programme(
                history,
                start=start,
                end=as_of,
                coupons=coupons,
                points_liability=points_liability,
                referred=referred,
            ),
            gifts=metrics.gift_costs(start=start, end=as_of, coupons=coupons, gifted_points=gifted_points),
        )

    tier_list = list(tiers.values())
    tier_position: dict[int | None, int] = {tier.pk: index for index, tier in enumerate(tier_list)}
    customer_tier = np.array(
        [
            tier_position.get(members[int(m)].tier_id, -1) if m and int(m) in members else -1
            for m in member_ids
        ],
        dtype=np.int64,
    )
    tier_rows = metrics.tier_values(
        history,
        as_of=as_of,
        tiers=[metrics.TierInfo(tier_id=tier.pk, name=tier.name) for tier in tier_list],
        customer_tier=customer_tier,
        members=is_member,
        predicted=None if predicted is None else predicted.clv_12m,
    )

    customer_of_member = {int(m): index for index, m in enumerate(member_ids) if m}
    signals = metrics.MemberSignals(
        activity_recent=activity_in("90d"),
        activity_before=activity_in("before"),
        negative_review={
            customer_of_member[member_id]: ReasonDetail(
                rating=items[0].rating,
                date=items[0].date.astimezone(zone).date().isoformat(),
                product=items[0].product,
            )
            for member_id, items in feedback.items()
            if member_id in customer_of_member
        },
        points_expiring={
            index: facts.points_expiring
            for member_id, index in customer_of_member.items()
            if (facts := members.get(member_id)) and facts.points_expiring
        },
        tier_hold_ending={
            index: facts.tier_hold_ending
            for member_id, index in customer_of_member.items()
            if (facts := members.get(member_id)) and facts.tier_hold_ending
        },
    )
    codes, details = metrics.reasons(history, as_of=as_of, rule=rule, members=is_member, signals=signals)
    e = history.at(as_of)
    lapsed_now = metrics.lapsed(e, rule)
    at_risk = metrics.value_at_risk(predicted, lapsed_now=lapsed_now)

    insight = CurrencyInsight(
        run=run,
        currency=currency,
        customers=int(e.customers.sum()),
        purchases=int(e.count.sum()),
        model=model.report,
        periods=periods,
        monthly=metrics.monthly(history, as_of=as_of, rule=rule),
        cohorts=metrics.cohorts(history, as_of=as_of),
        tiers=tier_rows,
    )

    def rows(saved: CurrencyInsight) -> Iterator[CustomerInsight]:
        for index in np.flatnonzero(e.customers):
            member_id = int(member_ids[index]) or None
            facts = members.get(member_id) if member_id else None
            tier_id = facts.tier_id if facts else None
            yield CustomerInsight(
                currency_insight=saved,
                email=(facts.email if facts else emails[index])[:254],
                member_id=member_id,
                tier_id=tier_id,
                purchases=int(e.count[index]),
                first_purchase=_aware(e.first_time[index]),
                last_purchase=_aware(e.last_time[index]),
                net_revenue=Decimal(int(e.cents[index])).scaleb(-2),
                p_alive=None
                if predicted is None or np.isnan(predicted.p_alive[index])
                else float(predicted.p_alive[index]),
                expected_purchases_90d=None
                if predicted is None
                else float(predicted.expected_purchases_90d[index]),
                expected_order_value=None
                if predicted is None
                else _decimal(predicted.expected_order_value[index]),
                predicted_clv=None if predicted is None else _decimal(predicted.clv_12m[index]),
                lapsed=bool(lapsed_now[index]),
                value_at_risk=_decimal(at_risk[index]),
                reasons=codes[index],
                reason_details=details[index],
            )

    return insight, rows


def insight_refresh_due(*, now: datetime | None = None, min_age: timedelta = timedelta(hours=20)) -> str:
    """The worker's nightly job: refresh unless a run finished less than ``min_age`` ago (a
    restarted worker runs every job at once) or another refresh is running."""
    now = now or timezone.now()
    recent = InsightRun.objects.filter(state=InsightRun.State.DONE, finished_at__gt=now - min_age).exists()
    if recent:
        return ""
    try:
        run = insight_refresh(now=now)
    except RefreshBusy:
        return "another retention refresh is running"
    customers = sum(run.currencies.values_list("customers", flat=True))
    return f"retention figures refreshed: {customers} customers"


__all__ = ["RefreshBusy", "insight_refresh", "insight_refresh_due", "refresh_lock"]
