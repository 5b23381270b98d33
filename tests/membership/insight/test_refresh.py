"""``insight_refresh`` end to end through the real services (orders, refunds, forum posts, reviews,
coupons, referrals, points): the stored run, docs/insight.md's worked example figure for figure,
the too-thin fallback and a fitted model, runs killed or failing, the lock, and a query count
that does not grow with the number of customers."""

from __future__ import annotations

import io
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from community.reviews.services.reviews import review_create
from content.models import Product
from hub.jobs import periodic_jobs
from membership.insight import metrics
from membership.insight.models import CurrencyInsight, CustomerInsight, InsightRun, RetentionSettings
from membership.insight.refresh import (
    ABANDONED,
    RefreshBusy,
    _lock_path,
    insight_refresh,
    insight_refresh_due,
    refresh_lock,
)
from membership.models import MemberStanding, Reward, User
from membership.services.coupons import coupon_use
from membership.services.orders import LineData, order_receive
from membership.services.points import points_adjust, points_grant
from membership.services.rewards import reward_redeem
from tests.community.forum_factories import make_category, reply, start_thread
from tests.factories import make_member
from tests.membership.referral_factories import refer

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Europe/Helsinki")
AS_OF = datetime(2026, 1, 15, 12, 0, tzinfo=ZONE)


@pytest.fixture(autouse=True, scope="module")
def _lock_file_removed():
    # On SQLite the refresh lock is a file beside the database; the test database goes at the
    # end of the session, and so should its lock file.
    yield
    _lock_path().unlink(missing_ok=True)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


def order(
    external_id: str, email: str, when: str, total: str, *, currency: str = "EUR", coupon: str = ""
) -> None:
    order_receive(
        external_id=external_id,
        email=email,
        status="paid",
        currency=currency,
        total=Decimal(total),
        created_at=local(when),
        lines=[LineData(sku="ANY-SKU", quantity=1, price=Decimal(total))],
        coupon_code=coupon,
        notify=False,
    )


def refund(external_id: str, email: str, when: str, left: str) -> None:
    order_receive(
        external_id=external_id,
        email=email,
        status="refunded" if Decimal(left) == 0 else "partially_refunded",
        currency="EUR",
        total=Decimal(left),
        created_at=local(when),
        lines=[],
        notify=False,
    )


def joined_long_ago(member: User) -> User:
    # The forum and reviews hold a new member's first words for moderation; these members
    # joined before the example's history starts.
    User.objects.filter(pk=member.pk).update(date_joined=local("2024-01-01 12:00"))
    member.refresh_from_db()
    return member


def worked_example() -> dict[str, User | Product]:
    """docs/insight.md, "A worked example": two members, two customers who never joined."""
    aino = joined_long_ago(make_member("aino", display_name="Aino"))
    eero = joined_long_ago(make_member("eero", display_name="Eero"))
    order("A1", "aino@example.com", "2025-03-10 10:00", "60.00")
    order("A2", "aino@example.com", "2025-03-10 16:00", "20.00")  # the same day: one purchase
    order("A3", "aino@example.com", "2025-06-10 12:00", "40.00")
    order("A4", "aino@example.com", "2025-12-20 12:00", "50.00")
    refund("A4", "aino@example.com", "2025-12-20 12:00", "30.00")  # 20 € back
    order("E1", "eero@example.com", "2025-05-05 12:00", "100.00")
    order("E2", "eero@example.com", "2025-07-01 12:00", "80.00")
    refund("E2", "eero@example.com", "2025-07-01 12:00", "0.00")  # refunded in full: no purchase
    order("M1", "Mia@Example.com", "2025-11-02 12:00", "25.00")
    order("M2", "mia+outdoor@example.com", "2025-11-20 12:00", "35.00")  # the same person
    order("O1", "olli@example.com", "2026-01-05 12:00", "45.00")
    # Aino: three forum posts in August and September, one in January.
    category = make_category("trails")
    thread = start_thread(aino, category, now=local("2025-08-05 12:00"))
    reply(aino, thread, "Tubeless, every time.", now=local("2025-08-20 12:00"))
    reply(aino, thread, "And carry a plug kit.", now=local("2025-09-10 12:00"))
    reply(aino, thread, "Still true this winter.", now=local("2026-01-10 12:00"))
    # Eero: a one-star review in November.
    product = Product.objects.create(
        name="Trail shoe", slug="trail-shoe", sku="SHOE-1", price=Decimal("120.00")
    )
    review_create(
        author=eero,
        product=product,
        rating=1,
        title="Fell apart",
        body="The sole came off.",
        now=local("2025-11-25 12:00"),
    )
    return {"aino": aino, "eero": eero, "product": product}


def test_the_worked_example_figure_for_figure():
    """docs/insight.md, "A worked example": every figure there is checked here."""
    people = worked_example()
    run = insight_refresh(now=AS_OF)

    assert run.state == InsightRun.State.DONE and run.as_of == AS_OF
    eur = CurrencyInsight.objects.get(run=run)
    assert (eur.currency, eur.customers, eur.purchases) == ("EUR", 4, 7)
    assert eur.model["state"] == "too_thin"
    assert eur.model["message"].startswith("Only 2 of 4 customers bought more than once")

    everything = eur.periods["all"]
    assert everything["start"] is None and everything["previous"] is None
    assert everything["current"] == pytest.approx(
        {
            "customers": 4,
            "active_customers": 4,
            "purchases": 7,
            "revenue": "355.00",
            "repeat_rate": 0.5,
            "window_repeat_rate": 0.5,
            "frequency": 3 * 365 / 650,  # 3 repeat purchases in 311 + 255 + 74 + 10 days
            "aov": "50.71",
            "historic_clv": "88.75",
            "churn_rate": None,
            "active_at_start": 0,
            "lapsed": 0,
            "members_share": 250 / 355,
        }
    )
    quarter = eur.periods["90d"]
    assert quarter["days"] == 90 and quarter["start"].startswith("2025-10-17")
    assert quarter["current"] == pytest.approx(
        {
            "customers": 4,
            "active_customers": 3,
            "purchases": 4,
            "revenue": "135.00",
            "repeat_rate": 0.5,
            "window_repeat_rate": 0.5,  # Mia and Olli started; Mia came back
            "frequency": 2 * 365 / 264,  # Aino's December and Mia's second; 90 + 90 + 74 + 10 days
            "aov": "33.75",
            "historic_clv": "88.75",
            "churn_rate": 0.5,  # Aino and Eero active on 17 October; Eero lapsed
            "active_at_start": 2,
            "lapsed": 1,
            "members_share": 30 / 135,
        }
    )
    assert quarter["previous"] == pytest.approx(
        {
            "customers": 2,
            "active_customers": 0,
            "purchases": 0,
            "revenue": "0.00",
            "repeat_rate": 0.5,
            "window_repeat_rate": None,
            "frequency": 0.0,
            "aov": None,
            "historic_clv": "110.00",
            "churn_rate": 0.0,
            "active_at_start": 2,
            "lapsed": 0,
            "members_share": None,
        }
    )
    month = eur.periods["30d"]
    assert month["current"] == pytest.approx(
        {
            "customers": 4,
            "active_customers": 2,
            "purchases": 2,
            "revenue": "75.00",
            "repeat_rate": 0.5,
            "window_repeat_rate": 0.0,
            "frequency": 1 * 365 / 100,
            "aov": "37.50",
            "historic_clv": "88.75",
            "churn_rate": 0.0,  # only Mia was active on 16 December (Aino 189 days, Eero 225)
            "active_at_start": 1,
            "lapsed": 0,
            "members_share": 0.4,
        }
    )
    segments = {
        "members": {
            "customers": 2,
            "active_customers": 1,
            "purchases": 1,
            "revenue": "30.00",
            "repeat_rate": 0.5,
            "frequency": 365 / 60,
            "aov": "30.00",
            "historic_clv": "125.00",
        },
        "non_members": {
            "customers": 2,
            "active_customers": 1,
            "purchases": 1,
            "revenue": "45.00",
            "repeat_rate": 0.5,
            "frequency": 0.0,
            "aov": "45.00",
            "historic_clv": "52.50",
        },
        "engaged": {  # Aino posted on 10 January
            "customers": 1,
            "active_customers": 1,
            "purchases": 1,
            "revenue": "30.00",
            "repeat_rate": 1.0,
            "frequency": 365 / 30,
            "aov": "30.00",
            "historic_clv": "150.00",
        },
        "not_engaged": {  # Eero's review was in November
            "customers": 1,
            "active_customers": 0,
            "purchases": 0,
            "revenue": "0.00",
            "repeat_rate": 0.0,
            "frequency": 0.0,
            "aov": None,
            "historic_clv": "100.00",
        },
    }
    assert set(month["segments"]) == set(segments)
    for key, expected in segments.items():
        assert month["segments"][key] == pytest.approx(expected), key
    assert quarter["programme"]["points_liability"] == sum(
        max(s.spendable_points, 0) + s.pending_points for s in MemberStanding.objects.all()
    )
    assert quarter["programme"]["referred_revenue"] == "0.00"

    cohorts = {row["month"]: row for row in eur.cohorts}
    assert list(cohorts) == [f"2025-{m:02d}" for m in range(3, 13)] + ["2026-01"]
    assert cohorts["2025-03"] == {
        "month": "2025-03",
        "size": 1,
        "retention": [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, None, None, None],
    }
    assert cohorts["2025-05"]["retention"] == [0.0] * 7 + [None] * 5
    assert cohorts["2025-11"] == {"month": "2025-11", "size": 1, "retention": [0.0] + [None] * 11}
    assert cohorts["2026-01"] == {"month": "2026-01", "size": 1, "retention": [None] * 12}
    assert cohorts["2025-04"] == {"month": "2025-04", "size": 0, "retention": [None] * 12}

    months = {row["month"]: row for row in eur.monthly}
    assert list(months) == [f"2025-{m:02d}" for m in range(3, 13)]
    assert months["2025-11"] == pytest.approx(
        {
            "month": "2025-11",
            "customers": 3,
            "active_customers": 1,
            "purchases": 2,
            "revenue": "60.00",
            "repeat_rate": 2 / 3,
            "churn_rate": 0.5,  # Eero: 180 days on 1 November (not yet lapsed), 210 on 1 December
            "active_at_start": 2,
            "lapsed": 1,
        }
    )
    assert months["2025-12"] == pytest.approx(
        {
            "month": "2025-12",
            "customers": 3,
            "active_customers": 1,
            "purchases": 1,
            "revenue": "30.00",
            "repeat_rate": 2 / 3,
            "churn_rate": 0.0,
            "active_at_start": 2,
            "lapsed": 0,
        }
    )

    tiers = {row["tier"]: row for row in eur.tiers}
    assert tiers["Member"] == {
        "tier_id": tiers["Member"]["tier_id"],
        "tier": "Member",
        "customers": 2,
        "historic_clv": "125.00",
        "predicted_clv": None,
    }
    assert tiers[""] == {
        "tier_id": None,
        "tier": "",
        "customers": 2,
        "historic_clv": "52.50",
        "predicted_clv": None,
    }
    assert tiers["Gold"]["customers"] == 0 and tiers["Gold"]["historic_clv"] is None

    rows = {row.email: row for row in CustomerInsight.objects.filter(currency_insight=eur)}
    assert set(rows) == {"aino@example.com", "eero@example.com", "mia@example.com", "olli@example.com"}
    aino, eero, mia, olli = (rows[f"{name}@example.com"] for name in ("aino", "eero", "mia", "olli"))
    assert (aino.member, aino.purchases, aino.net_revenue) == (people["aino"], 3, Decimal("150.00"))
    assert aino.first_purchase == local("2025-03-10 10:00") and aino.last_purchase == local(
        "2025-12-20 12:00"
    )
    assert aino.reasons == ["engaging_less"]
    assert aino.reason_details == {"engaging_less": {"recent": 1, "before": 3}}
    assert (eero.member, eero.purchases, eero.net_revenue, eero.lapsed) == (
        people["eero"],
        1,
        Decimal("100.00"),
        True,
    )
    assert eero.reasons == ["lapsed", "negative_review"]
    assert eero.reason_details == {
        "lapsed": {"days_since": 255},
        "negative_review": {"rating": 1, "date": "2025-11-25", "product": "Trail shoe"},
    }
    assert (mia.member, mia.purchases, mia.net_revenue) == (None, 2, Decimal("60.00"))
    assert mia.reasons == ["overdue"] and mia.reason_details == {
        "overdue": {"days_since": 56, "usual_interval": 18}
    }
    assert (olli.purchases, olli.reasons, olli.lapsed) == (1, [], False)
    for row in rows.values():  # the model was not fitted: no predicted figure anywhere
        assert row.p_alive is None and row.predicted_clv is None and row.expected_purchases_90d is None
        assert row.expected_order_value is None and row.value_at_risk == 0
    assert aino.tier.name == "Member" and mia.tier is None


def test_a_fitted_model_gives_every_customer_a_prediction_and_ranks_the_value_at_risk():
    RetentionSettings.objects.update_or_create(pk=1, defaults={"min_repeat_buyers": 10, "holdout_weeks": 8})
    RetentionSettings.objects.exclude(pk=1).delete()
    rng = np.random.default_rng(3)
    start = AS_OF - timedelta(weeks=60)
    members = [make_member(f"buyer{n}") for n in range(6)]
    count = 0
    for customer in range(70):
        email = members[customer].email if customer < len(members) else f"shopper{customer}@example.com"
        rate, dropout, week = rng.gamma(0.9, 1 / 3.0), rng.beta(0.9, 2.5), rng.uniform(0, 40)
        spend = rng.gamma(4.0, 15.0)  # customers differ in what they usually spend
        while week < 60:
            count += 1
            when = (start + timedelta(weeks=week)).strftime("%Y-%m-%d %H:%M")
            order(f"S{count}", email, when, f"{rng.gamma(6.0, spend / 6.0) + 1:.2f}")
            if rng.random() < dropout:
                break
            week += rng.exponential(1 / rate)

    run = insight_refresh(now=AS_OF)

    eur = run.currencies.get()
    assert eur.model["state"] == "fitted", eur.model["message"]
    assert eur.model["bgnbd"]["alpha"] > 0 and eur.model["gamma_gamma"]["customers"] >= 10
    assert eur.model["holdout"]["weeks"] == 8 and eur.model["holdout"]["rows"]
    assert all(row["predicted_clv"] is not None for row in eur.tiers if row["customers"])
    rows = list(CustomerInsight.objects.filter(currency_insight=eur))
    assert len(rows) == 70
    for row in rows:
        assert row.predicted_clv is not None and row.expected_purchases_90d >= 0
        assert row.expected_order_value > 0
        if row.purchases >= 2:
            assert 0 < row.p_alive <= 1
            assert row.lapsed == (row.p_alive < 0.3)
            expected = row.predicted_clv * Decimal(1 - row.p_alive)
        else:
            assert row.p_alive is None  # the model's 1 for one purchase is not shown
            expected = row.predicted_clv if row.lapsed else Decimal(0)
        assert abs(row.value_at_risk - expected) <= Decimal("0.02")
    ranked = list(
        CustomerInsight.objects.filter(currency_insight=eur).values_list("value_at_risk", flat=True)
    )
    assert ranked == sorted(ranked, reverse=True)


def test_too_thin_data_store_no_prediction_and_say_why():
    order("T1", "a@example.com", "2025-10-01 12:00", "10.00")
    order("T2", "a@example.com", "2025-11-01 12:00", "10.00")
    order("T3", "b@example.com", "2025-12-01 12:00", "10.00")
    run = insight_refresh(now=AS_OF)
    eur = run.currencies.get()
    assert eur.model["state"] == "too_thin" and eur.model["bgnbd"] is None and eur.model["holdout"] is None
    assert "at least 30 repeat buyers" in eur.model["message"]
    assert eur.model["repeat_buyers"] == 1 and eur.model["min_repeat_buyers"] == 30
    assert all(row["predicted_clv"] is None for row in eur.tiers)
    assert not CustomerInsight.objects.filter(predicted_clv__isnull=False).exists()
    assert not CustomerInsight.objects.filter(p_alive__isnull=False).exists()


def test_each_currency_is_its_own_report_and_a_refresh_with_no_orders_stores_an_empty_run():
    empty = insight_refresh(now=AS_OF)
    assert empty.state == InsightRun.State.DONE and not empty.currencies.exists()
    order("C1", "a@example.com", "2025-10-01 12:00", "10.00")
    order("C2", "a@example.com", "2025-11-01 12:00", "20.00", currency="SEK")
    run = insight_refresh(now=AS_OF)
    assert sorted(run.currencies.values_list("currency", "customers", "purchases")) == [
        ("EUR", 1, 1),
        ("SEK", 1, 1),
    ]
    assert not InsightRun.objects.filter(pk=empty.pk).exists()  # the older run went


def test_coupons_referrals_and_points_warnings_come_from_the_services():
    aino = make_member("aino")
    points_adjust(member=aino, amount=500, reason="welcome", actor=aino, now=AS_OF - timedelta(days=100))
    fixed = Reward.objects.create(name="10 € off", kind=Reward.Kind.FIXED, value=Decimal("10.00"), cost=100)
    percent = Reward.objects.create(name="15 % off", kind=Reward.Kind.PERCENT, value=Decimal("15"), cost=100)
    used = reward_redeem(member=aino, reward_id=fixed.pk, now=AS_OF - timedelta(days=20))
    reward_redeem(member=aino, reward_id=percent.pk, now=AS_OF - timedelta(days=10))
    coupon_use(code=used.coupon_code, now=AS_OF - timedelta(days=5))
    order("P1", "aino@example.com", "2026-01-10 12:00", "70.00", coupon=used.coupon_code.lower())
    liisa = refer(aino, "liisa", now=AS_OF - timedelta(days=30)).friend
    order("P2", liisa.email, "2026-01-12 12:00", "55.00")
    # Points that expire within 30 days: earned 350 days ago, nothing since.
    expiring = make_member("erkki")
    order("P3", expiring.email, "2025-01-20 12:00", "10.00")
    points_grant(
        member=expiring,
        rule_key="accepted-answer",
        idempotency_key="old-answer",
        now=AS_OF - timedelta(days=350),
    )
    # Silver reached 350 days ago, then 300 status points taken back: short when the hold ends.
    holder = make_member("hilla")
    order("P4", holder.email, "2025-01-21 12:00", "10.00")
    points_adjust(member=holder, amount=500, reason="migrated", actor=holder, now=AS_OF - timedelta(days=350))
    points_adjust(
        member=holder, amount=-300, reason="correction", actor=holder, now=AS_OF - timedelta(days=340)
    )

    run = insight_refresh(now=AS_OF)

    programme = run.currencies.get().periods["30d"]["programme"]
    assert programme == {
        "coupons_redeemed": 2,
        "coupons_redeemed_value": "10.00",
        "coupons_redeemed_unvalued": 1,  # the percentage
        "coupons_used": 1,
        "coupons_used_value": "10.00",
        "coupons_used_unvalued": 0,
        "points_liability": sum(
            max(s.spendable_points, 0) + s.pending_points for s in MemberStanding.objects.all()
        ),
        "referred_revenue": "55.00",
        "coupon_order_revenue": "70.00",
    }
    erkki = CustomerInsight.objects.get(member=expiring)
    assert erkki.reasons == ["lapsed", "points_expiring"]
    assert erkki.reason_details["points_expiring"] == {"points": 25, "date": "2026-01-30"}
    hilla = CustomerInsight.objects.get(member=holder)
    assert "tier_hold_ending" in hilla.reasons
    assert hilla.reason_details["tier_hold_ending"] == {
        "tier": "Silver",
        # What counts when the hold ends: only points earned since reaching Silver (the 500
        # that reached it leave the 12-month window then), here net -300, so none.
        "status_points": 0,
        "threshold": 500,
        "date": "2026-01-30",
    }
    assert hilla.tier.name == "Silver"


# --- runs that do not finish ----------------------------------------------------------------------


def test_a_run_killed_half_way_never_hides_the_last_finished_one():
    order("K1", "a@example.com", "2025-10-01 12:00", "10.00")
    done = insight_refresh(now=AS_OF - timedelta(days=1))
    # A worker killed while writing: its run stays "running", with some rows written.
    killed = InsightRun.objects.create(as_of=AS_OF, state=InsightRun.State.RUNNING)
    CurrencyInsight.objects.create(run=killed, currency="EUR", customers=99)

    latest = InsightRun.objects.filter(state=InsightRun.State.DONE).order_by("-as_of", "-pk").first()
    assert latest == done and latest.currencies.get().customers == 1

    fresh = insight_refresh(now=AS_OF)
    assert fresh.state == InsightRun.State.DONE
    assert list(InsightRun.objects.values_list("pk", flat=True)) == [fresh.pk]  # older runs deleted
    assert list(CurrencyInsight.objects.values_list("run_id", flat=True)) == [fresh.pk]


def test_a_failing_refresh_marks_itself_and_an_abandoned_run_failed_and_keeps_the_last_done(monkeypatch):
    order("F1", "a@example.com", "2025-10-01 12:00", "10.00")
    done = insight_refresh(now=AS_OF - timedelta(days=1))
    killed = InsightRun.objects.create(as_of=AS_OF, state=InsightRun.State.RUNNING)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(metrics, "customer_model", broken)
    with pytest.raises(RuntimeError):
        insight_refresh(now=AS_OF)

    killed.refresh_from_db()
    assert killed.state == InsightRun.State.FAILED and killed.error == ABANDONED
    failed = InsightRun.objects.exclude(pk__in=[done.pk, killed.pk]).get()
    assert failed.state == InsightRun.State.FAILED and failed.error == "RuntimeError: disk full"
    assert not failed.currencies.exists()
    done.refresh_from_db()
    assert done.state == InsightRun.State.DONE and done.currencies.get().customers == 1


def test_two_refreshes_at_once_do_not_both_write():
    order("L1", "a@example.com", "2025-10-01 12:00", "10.00")
    holding, release = threading.Event(), threading.Event()
    held: list[bool] = []

    def other_refresh() -> None:
        # Another process's refresh, on its own database connection.
        try:
            with refresh_lock() as acquired:
                held.append(acquired)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_refresh)
    thread.start()
    try:
        assert holding.wait(timeout=30) and held == [True]
        with pytest.raises(RefreshBusy):
            insight_refresh(now=AS_OF)
        assert not InsightRun.objects.exists()  # nothing written
    finally:
        release.set()
        thread.join()
    assert insight_refresh(now=AS_OF).state == InsightRun.State.DONE  # free again


# --- query count ------------------------------------------------------------------------------------


def shop_history(customers: int, prefix: str) -> None:
    """Half members (with forum posts and reviews), half not; two purchases each."""
    category = make_category(f"{prefix}-talk")
    product = Product.objects.create(
        name=f"{prefix} tyre", slug=f"{prefix}-tyre", sku=f"{prefix}-T", price=10
    )
    for n in range(customers):
        email = f"{prefix}{n}@example.com"
        if n % 2 == 0:
            member = joined_long_ago(make_member(f"{prefix}{n}", email=email))
            start_thread(member, category, title=f"Question {n}", now=local("2025-12-01 12:00"))
            review_create(
                author=member,
                product=product,
                rating=2,
                title="Meh",
                body="Fine.",
                now=local("2025-12-02 12:00"),
            )
        order(f"{prefix}-a-{n}", email, "2025-06-01 12:00", "20.00")
        order(f"{prefix}-b-{n}", email, "2025-09-01 12:00", "30.00")


@pytest.mark.parametrize("customers", [10, 40])
def test_the_query_count_does_not_grow_with_the_customers(customers, django_assert_max_num_queries):
    """Reads are a fixed number of queries (orders stream through one cursor); the stored rows
    are inserted CUSTOMER_BATCH at a time (58 on SQLite, Django's parameter limit), so both
    sizes here are one insert."""
    shop_history(customers, "q")
    insight_refresh(now=AS_OF)  # the same work as the measured one, including deleting a run
    # 28 on SQLite; PostgreSQL takes and frees its lock. One of them asks whether the win-back
    # campaign is on (the insight_refreshed receiver).
    with django_assert_max_num_queries(30):
        run = insight_refresh(now=AS_OF)
    assert run.currencies.get().customers == customers


# --- the command and the job ----------------------------------------------------------------------


def test_the_command_shows_progress_a_line_per_step_in_a_log():
    order("M1", "a@example.com", "2025-10-01 12:00", "10.00")
    out, err = io.StringIO(), io.StringIO()
    call_command("insight_refresh", stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("[") and "reading orders" in lines[0]
    assert lines[-1].endswith("done") and "#" * 30 in lines[-1]
    assert "EUR: 1 customers, 1 purchases; model too_thin" in out.getvalue()


def test_the_worker_refreshes_nightly_unless_a_recent_run_exists():
    assert "retention insight" in {job.name for job in periodic_jobs()}
    order("N1", "a@example.com", "2025-10-01 12:00", "10.00")
    assert insight_refresh_due().startswith("retention figures refreshed: 1 customers")
    assert insight_refresh_due() == ""  # done less than 20 hours ago
    assert InsightRun.objects.count() == 1
