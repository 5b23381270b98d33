"""Segment conditions (membership/campaigns/conditions.py): each one on hand-built data with the
expected members written out, how they combine, what ``conditions_clean`` refuses, and that a
count is one query.

Orders, points, reviews and forum posts go through the real services; the retention rows are
written directly, as tests/membership/insight/test_retention_views.py does (they are the cache
``insight_refresh`` writes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.reviews.services.reviews import review_create
from membership.campaigns.conditions import (
    CONDITIONS,
    conditions_clean,
    conditions_queryset,
    segment_count,
    segment_members,
)
from membership.campaigns.models import Segment
from membership.insight.models import CurrencyInsight, CustomerInsight, InsightRun
from membership.models import Tier, User
from membership.services.orders import LineData, order_receive
from membership.services.points import points_adjust, points_grant
from tests.community.forum_factories import forum_member, make_category, reply, start_thread
from tests.content.conftest import make_product
from tests.factories import make_member

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
_orders = count(1)


def names(queryset) -> set[str]:
    return set(queryset.values_list("username", flat=True))


def matching(conditions: dict[str, Any], *, now: datetime = NOW) -> set[str]:
    return names(conditions_queryset(conditions_clean(conditions), now=now))


def run(*, as_of: datetime = NOW - timedelta(hours=9), state: str = InsightRun.State.DONE) -> InsightRun:
    return InsightRun.objects.create(as_of=as_of, state=state, finished_at=as_of, settings={})


def currency(insight_run: InsightRun, code: str = "EUR") -> CurrencyInsight:
    return CurrencyInsight.objects.create(run=insight_run, currency=code, customers=10, purchases=20)


def row(insight: CurrencyInsight, member: User, **values: Any) -> CustomerInsight:
    base: dict[str, Any] = {
        "email": member.email,
        "member": member,
        "purchases": 2,
        "first_purchase": NOW - timedelta(days=400),
        "last_purchase": NOW - timedelta(days=100),
        "net_revenue": Decimal("100.00"),
        "p_alive": 0.5,
        "predicted_clv": Decimal("50.00"),
        "value_at_risk": Decimal("0.00"),
        "reasons": [],
    }
    base.update(values)
    return CustomerInsight.objects.create(currency_insight=insight, **base)


def buy(member: User, *products, when: datetime = NOW - timedelta(days=30), status: str = "paid") -> None:
    order_receive(
        external_id=f"T-{next(_orders)}",
        email=member.email,
        status=status,
        currency="EUR",
        total=Decimal("0") if status == "refunded" else Decimal("59.90") * len(products),
        created_at=when,
        lines=[LineData(sku=product.sku, quantity=1, price=Decimal("59.90")) for product in products],
        now=when,
        notify=False,
    )


# --- retention ------------------------------------------------------------------------------------


def test_retention_conditions_read_the_latest_finished_run_on_one_row():
    aino, eero, liisa, olli = (make_member(name) for name in ("aino", "eero", "liisa", "olli"))
    old = currency(run(as_of=NOW - timedelta(days=30)))
    row(old, olli, p_alive=0.1)  # an older run: ignored
    currency(run(as_of=NOW, state=InsightRun.State.RUNNING))  # still running: ignored
    eur, sek = currency(run()), None
    sek = CurrencyInsight.objects.create(run=eur.run, currency="SEK", customers=1, purchases=1)
    row(
        eur,
        aino,
        p_alive=0.2,
        predicted_clv=Decimal("150.00"),
        purchases=5,
        last_purchase=NOW - timedelta(days=200),
    )
    row(
        eur,
        eero,
        p_alive=0.8,
        predicted_clv=Decimal("20.00"),
        purchases=1,
        last_purchase=NOW - timedelta(days=3),
    )
    # Liisa's low probability is in SEK, her high CLV in EUR: no single record has both.
    row(eur, liisa, p_alive=0.9, predicted_clv=Decimal("300.00"))
    row(sek, liisa, p_alive=0.1, predicted_clv=Decimal("5.00"))

    assert matching({"p_alive": {"max": 0.3}}) == {"aino", "liisa"}
    assert matching({"p_alive": {"min": 0.8, "max": 1}}) == {"eero", "liisa"}
    assert matching({"predicted_clv": {"min": "100"}}) == {"aino", "liisa"}
    assert matching({"p_alive": {"max": 0.3}, "predicted_clv": {"min": "100"}}) == {"aino"}
    assert matching({"days_since_purchase": {"min": 150}}) == {"aino"}
    assert matching({"days_since_purchase": {"max": 3}}) == {"eero"}
    assert matching({"days_since_purchase": {"max": 2}}) == set()
    assert matching({"purchases": {"min": 2, "max": 5}}) == {"aino", "liisa"}
    assert matching({"purchases": {"max": 1}}) == {"eero"}


def test_at_risk_means_what_the_at_risk_page_filters():
    gold = Tier.objects.get(slug="gold")
    aino, eero, liisa, olli = (make_member(name) for name in ("aino", "eero", "liisa", "olli"))
    eur = currency(run())
    sek = CurrencyInsight.objects.create(run=eur.run, currency="SEK", customers=1, purchases=1)
    row(eur, aino, reasons=["lapsed", "overdue"], value_at_risk=Decimal("90.00"), tier=gold)
    row(eur, eero, reasons=["engaging_less"], value_at_risk=Decimal("10.00"))
    row(sek, liisa, reasons=["points_expiring"], value_at_risk=Decimal("500.00"))
    row(eur, olli, reasons=[], value_at_risk=Decimal("0"))

    assert matching({"at_risk": True}) == {"aino", "eero", "liisa"}
    assert matching({"at_risk": {"currency": "eur"}}) == {"aino", "eero"}
    assert matching({"at_risk": {"reasons": ["overdue", "engaging_less"]}}) == {"aino", "eero"}
    assert matching({"at_risk": {"min_value": "50"}}) == {"aino", "liisa"}
    assert matching({"at_risk": {"currency": "EUR", "tier": gold.pk, "min_value": "50"}}) == {"aino"}


# --- purchases --------------------------------------------------------------------------------------


def test_bought_a_product_a_tag_or_something_sustainable():
    aino, eero, liisa, olli = (make_member(name) for name in ("aino", "eero", "liisa", "olli"))
    tyre = make_product()
    tyre.tags.add("winter", "tyres")
    lamp = make_product(is_sustainable=True)
    lamp.tags.add("lights")
    bell = make_product()
    buy(aino, tyre)
    buy(eero, lamp, bell)
    buy(liisa, tyre, status="refunded")  # refunded in full: never counts as bought
    buy(olli, bell)

    assert matching({"products": [tyre.pk]}) == {"aino"}
    assert matching({"products": [tyre.pk, bell.pk]}) == {"aino", "eero", "olli"}
    assert matching({"product_tags": ["winter"]}) == {"aino"}
    assert matching({"product_tags": ["lights", "tyres"]}) == {"aino", "eero"}
    assert matching({"sustainable": True}) == {"eero"}
    assert "eero" not in matching({"sustainable": False})
    assert {"aino", "olli", "liisa"} <= matching({"sustainable": False})


# --- community --------------------------------------------------------------------------------------


def test_engagement_rising_and_falling_compares_the_last_90_days_with_the_90_before():
    now = timezone.now() + timedelta(minutes=1)
    aino, eero, liisa, olli = (forum_member(name) for name in ("aino", "eero", "liisa", "olli"))
    thread = start_thread(olli, make_category(), now=now - timedelta(days=300))
    # Aino: 4 posts before, 1 lately (below half): falling.
    for days in (100, 120, 140, 160):
        reply(aino, thread, f"Before {days}.", now=now - timedelta(days=days))
    reply(aino, thread, "Lately.", now=now - timedelta(days=10))
    # Eero: 1 before, 3 lately: rising.
    reply(eero, thread, "Before.", now=now - timedelta(days=100))
    for days in (5, 15, 25):
        reply(eero, thread, f"Lately {days}.", now=now - timedelta(days=days))
    # Liisa: 2 before, 1 lately: exactly half, neither falling nor rising.
    reply(liisa, thread, "One.", now=now - timedelta(days=100))
    reply(liisa, thread, "Two.", now=now - timedelta(days=110))
    reply(liisa, thread, "Three.", now=now - timedelta(days=10))

    assert matching({"engagement": "falling"}, now=now) == {"aino"}
    assert matching({"engagement": "rising"}, now=now) == {"eero"}


def test_a_review_of_one_or_two_stars_optionally_within_days():
    now = timezone.now() + timedelta(minutes=1)
    aino, eero, liisa = (forum_member(name) for name in ("aino", "eero", "liisa"))
    product = make_product()
    review_create(
        author=aino, product=product, rating=1, title="Bad", body="Broke.", now=now - timedelta(days=5)
    )
    review_create(
        author=eero, product=product, rating=2, title="Meh", body="Slips.", now=now - timedelta(days=70)
    )
    review_create(
        author=liisa, product=product, rating=4, title="Fine", body="Good.", now=now - timedelta(days=1)
    )

    assert matching({"negative_review": True}, now=now) == {"aino", "eero"}
    assert matching({"negative_review": {"within_days": 30}}, now=now) == {"aino"}


# --- points ---------------------------------------------------------------------------------------


def test_points_balance_and_points_expiring():
    aino, eero, liisa, _olli = (make_member(name) for name in ("aino", "eero", "liisa", "olli"))
    staff = make_member("staffer", groups=["Staff"])
    points_adjust(member=aino, amount=100, reason="Test", actor=staff, now=NOW - timedelta(days=10))
    # An accepted answer earns 25 points (the earning that starts the 12-month expiry clock).
    points_grant(member=eero, rule_key="accepted-answer", idempotency_key="e", now=NOW - timedelta(days=350))
    points_adjust(member=eero, amount=475, reason="Test", actor=staff, now=NOW - timedelta(days=340))
    points_grant(member=liisa, rule_key="accepted-answer", idempotency_key="l", now=NOW - timedelta(days=300))
    User.objects.filter(pk=staff.pk).update(is_active=False)  # out of every segment from here
    # Olli has no standing at all: 0 points.

    assert matching({"points": {"min": 100}}) == {"aino", "eero"}
    assert matching({"points": {"min": 50, "max": 150}}) == {"aino"}
    assert "olli" in matching({"points": {"max": 30}})
    assert matching({"points": {"max": 30}}) >= {"liisa", "olli"}
    assert "olli" not in matching({"points": {"min": 1}})
    # Expiring: the last earning between 11 and 12 months ago, points left.
    assert matching({"points_expiring": True}) == {"eero"}


# --- member -----------------------------------------------------------------------------------------


def test_tier_joined_language_consent_and_explicit_members():
    aino, eero, liisa = (make_member(name) for name in ("aino", "eero", "liisa"))
    staff = make_member("staffer", groups=["Staff"])
    points_adjust(member=aino, amount=1750, reason="Test", actor=staff, now=NOW)  # gold
    User.objects.filter(pk=staff.pk).update(is_active=False)  # out of every segment from here
    gold, silver = Tier.objects.get(slug="gold"), Tier.objects.get(slug="silver")
    User.objects.filter(pk=aino.pk).update(
        date_joined=datetime(2024, 3, 1, 12, tzinfo=UTC), language="fi", marketing_consent=True
    )
    User.objects.filter(pk=eero.pk).update(date_joined=datetime(2025, 6, 1, 12, tzinfo=UTC), language="en")
    User.objects.filter(pk=liisa.pk).update(date_joined=datetime(2026, 1, 1, 12, tzinfo=UTC), language="")

    assert matching({"tier": [gold.pk]}) == {"aino"}
    assert matching({"tier": [gold.pk, silver.pk]}) == {"aino"}
    assert "aino" not in matching({"tier": [silver.pk]})
    assert matching({"joined": {"before": "2025-01-01"}}) == {"aino"}
    assert matching({"joined": {"after": "2025-06-01", "before": "2026-01-01"}}) == {"eero"}
    assert matching({"language": ["fi"]}) == {"aino"}
    assert matching({"language": ["en"]}) == {"eero", "liisa"}  # blank: the site's language
    assert matching({"marketing_consent": True}) == {"aino"}
    assert matching({"marketing_consent": False}) == {"eero", "liisa"}
    assert matching({"members": [aino.pk, liisa.pk]}) == {"aino", "liisa"}
    assert matching({"members": f"{eero.pk}, {liisa.pk}"}) == {"eero", "liisa"}


def test_conditions_combine_with_and_and_only_active_members_count():
    aino, eero, liisa = (make_member(name) for name in ("aino", "eero", "liisa"))
    User.objects.filter(pk__in=[aino.pk, eero.pk]).update(marketing_consent=True)
    User.objects.filter(pk=eero.pk).update(is_active=False)
    eur = currency(run())
    for member in (aino, eero, liisa):
        row(eur, member, p_alive=0.2)

    assert matching({}) >= {"aino", "liisa"}
    assert "eero" not in matching({})
    assert matching({"marketing_consent": True, "p_alive": {"max": 0.5}}) == {"aino"}
    segment = Segment.objects.create(
        name="Lapsing", conditions={"marketing_consent": True, "p_alive": {"max": 0.5}}
    )
    assert names(segment_members(segment, now=NOW)) == {"aino"}
    assert segment_count(segment, now=NOW) == 1
    assert segment_count({"members": [aino.pk, eero.pk, liisa.pk]}, now=NOW) == 2


def test_a_count_is_one_query_whatever_the_conditions():
    make_member("aino")
    every = {
        "p_alive": {"min": 0, "max": 1},
        "predicted_clv": {"min": "0"},
        "days_since_purchase": {"min": 0},
        "purchases": {"min": 0},
        "at_risk": {"reasons": ["lapsed"]},
        "products": [1],
        "product_tags": ["x"],
        "sustainable": True,
        "engagement": "falling",
        "negative_review": {"within_days": 30},
        "points": {"min": 0, "max": 10},
        "points_expiring": True,
        "tier": [1],
        "joined": {"after": "2020-01-01"},
        "language": ["fi"],
        "marketing_consent": True,
        "members": [1, 2],
    }
    assert set(every) == set(CONDITIONS)  # every condition is in this query
    with CaptureQueriesContext(connection) as queries:
        assert segment_count(conditions_clean(every), now=NOW) == 0
    assert len(queries) == 1


# --- cleaning ---------------------------------------------------------------------------------------


def test_clean_stores_a_canonical_form_and_drops_empty_conditions():
    assert conditions_clean(
        {
            "p_alive": {"min": "0.2", "max": None},
            "predicted_clv": {"min": 10, "max": "250.5"},
            "tier": ["3", 1, 3],
            "language": "fi",
            "marketing_consent": "yes",
            "points_expiring": False,
            "product_tags": " winter, tyres ,",
            "negative_review": {"within_days": ""},
            "joined": {"after": "", "before": ""},
            "engagement": "",
        }
    ) == {
        "p_alive": {"min": 0.2, "max": None},
        "predicted_clv": {"min": "10", "max": "250.5"},
        "negative_review": {"within_days": None},
        "tier": [1, 3],
        "language": ["fi"],
        "marketing_consent": True,
        "product_tags": ["tyres", "winter"],
    }


def test_cleaning_a_cleaned_form_changes_nothing():
    raw = {
        "p_alive": {"min": "0.2"},
        "predicted_clv": {"max": "99.90"},
        "days_since_purchase": {"min": 30, "max": 90},
        "at_risk": True,
        "products": [3, 1],
        "sustainable": False,
        "negative_review": True,
        "points": {"min": -5},
        "points_expiring": True,
        "joined": {"after": "2025-01-31"},
        "language": "en",
        "marketing_consent": False,
        "members": "7 5",
    }
    cleaned = conditions_clean(raw)
    assert conditions_clean(cleaned) == cleaned
    assert cleaned["at_risk"] == {"currency": None, "tier": None, "reasons": [], "min_value": None}
    with pytest.raises(ValidationError):
        segment_count({"engagement": "sideways"})


def test_clean_names_every_bad_condition():
    with pytest.raises(ValidationError) as raised:
        conditions_clean(
            {
                "p_alive": {"min": 0.9, "max": 0.1},
                "predicted_clv": {"min": "lots"},
                "days_since_purchase": {"min": -1},
                "engagement": "sideways",
                "language": ["sv"],
                "joined": {"after": "2026-02-01", "before": "2026-01-01"},
                "at_risk": {"reasons": ["bored"]},
                "members": ["x"],
                "colour": "blue",
            }
        )
    errors = raised.value.message_dict
    assert set(errors) == {
        "p_alive",
        "predicted_clv",
        "days_since_purchase",
        "engagement",
        "language",
        "joined",
        "at_risk",
        "members",
        "colour",
    }
    assert errors["p_alive"] == ["The minimum is above the maximum."]
    assert errors["predicted_clv"] == ["Enter a number."]
    assert errors["days_since_purchase"] == ["Enter at least 0."]
    assert errors["colour"] == ["There is no condition “colour”."]
    with pytest.raises(ValidationError):
        conditions_clean({"p_alive": {"max": 1.5}})
    with pytest.raises(ValidationError):
        conditions_clean(["not", "a", "dict"])  # type: ignore[arg-type]


def test_a_long_selection_goes_as_one_parameter():
    aino, eero, _liisa = (make_member(name) for name in ("aino", "eero", "liisa"))
    ids = [aino.pk, eero.pk, *range(10_000_000, 10_040_000)]  # beyond SQLite's 32,766 parameters
    with CaptureQueriesContext(connection) as queries:
        assert matching({"members": ids}) == {"aino", "eero"}
    assert len(queries) == 1
    assert segment_count({"members": [aino.pk]}) == 1
