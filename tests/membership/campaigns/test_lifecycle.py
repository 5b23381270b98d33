"""The lifecycle triggers, each with hand-built data through the real services: who enters, with
which occurrence and context; a paused campaign enters nobody; a re-run enters nobody twice;
the campaign's segment restricts; the points-expiry warning is not doubled."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from community.reviews.services.reviews import review_create
from membership.campaigns.consent import consent_set
from membership.campaigns.lifecycle import (
    after_purchase_enter,
    birthday_scan,
    lifecycle_scan,
    points_expiring_scan,
    review_requests_scan,
    tier_hold_scan,
)
from membership.campaigns.models import Campaign, CampaignRecipient, Segment
from membership.campaigns.sending import campaign_send_due
from membership.insight.models import InsightRun
from membership.insight.refresh import insight_refresh
from membership.jobs import PERIODIC_JOBS
from membership.models import EarningRule, Notification, Order
from membership.services.order_import import OrderData, orders_import
from membership.services.orders import LineData
from membership.services.points import points_adjust, points_grant, points_warn_expiring
from membership.services.profiles import profile_birthday_set
from tests.content.conftest import make_guide, make_product, site_tree  # noqa: F401
from tests.factories import make_member
from tests.membership.campaigns.lifecycle_factories import buy, lifecycle, refund

pytestmark = pytest.mark.django_db

T = Campaign.Trigger
DAY = timedelta(days=1)


def rows(campaign: Campaign) -> list[tuple[str, str]]:
    return list(
        CampaignRecipient.objects.filter(campaign=campaign)
        .order_by("member__username", "occurrence")
        .values_list("member__username", "occurrence")
    )


@pytest.fixture
def guides(request):
    """Buying guides that pick products, under a published site (tests/content/conftest.py)."""
    return request.getfixturevalue("make_guide")


@pytest.fixture
def staff(db):
    return make_member("staff", groups=["Staff"])


# --- after purchase ----------------------------------------------------------------------------


def test_a_paid_order_enters_its_member_with_the_guides_of_what_they_bought(member, guides):
    campaign = lifecycle(T.AFTER_PURCHASE, delay_days=3)
    tyre, pump = make_product(name="Kivi W9 studded tyre"), make_product(name="Track pump")
    guide = guides("Best studded tyres", products=[tyre])
    ordered_at = timezone.now() - timedelta(hours=2)

    order = buy(member, [tyre, pump], created_at=ordered_at)

    row = CampaignRecipient.objects.get(campaign=campaign, member=member)
    assert row.occurrence == f"order:{order.pk}"
    assert row.due_at == ordered_at + 3 * DAY
    assert row.state == "queued"
    assert row.context["product"] == "Kivi W9 studded tyre, Track pump"
    assert [link["title"] for link in row.context["links"]] == ["Best studded tyres"]
    url = row.context["links"][0]["url"]
    assert url.startswith("http") and url.endswith(guide.url)


def test_after_purchase_enters_each_order_once_and_nobody_while_paused(member, guides):
    campaign = lifecycle(T.AFTER_PURCHASE, state=Campaign.State.PAUSED)
    tyre = make_product()
    guides("Best studded tyres", products=[tyre])

    paused_order = buy(member, [tyre])
    assert rows(campaign) == []

    lifecycle(T.AFTER_PURCHASE)
    order = buy(member, [tyre])
    # The shop repeats itself, and the paused campaign's order is not entered afterwards.
    buy_again = after_purchase_enter(order=order)
    assert buy_again is None
    assert rows(campaign) == [("aino", f"order:{order.pk}")]
    assert paused_order.pk != order.pk


def test_an_old_order_or_one_with_nothing_to_link_enters_nobody(member, guides):
    campaign = lifecycle(T.AFTER_PURCHASE)
    tyre, lamp = make_product(), make_product(name="Lamp")
    guides("Best studded tyres", products=[tyre])

    # Imported history: its message would have been due weeks ago.
    buy(member, [tyre], created_at=timezone.now() - 40 * DAY)
    # No guide or discussion picks the lamp.
    buy(member, [lamp])

    assert rows(campaign) == []


def test_the_bulk_import_greets_recent_orders_and_not_history(member, guides):
    campaign = lifecycle(T.AFTER_PURCHASE, delay_days=3)
    tyre = make_product()
    guides("Best studded tyres", products=[tyre])
    now = timezone.now()

    def data(external_id: str, created_at):
        return OrderData(
            external_id=external_id,
            email=member.email,
            status="paid",
            currency="EUR",
            total=Decimal("40.00"),
            created_at=created_at,
            lines=[LineData(sku=tyre.sku, quantity=1, price=Decimal("40.00"))],
        )

    result = orders_import(orders=[data("B-old", now - 40 * DAY), data("B-new", now - DAY)], now=now)

    assert result.created == 2
    new = Order.objects.get(external_id="B-new")
    assert rows(campaign) == [("aino", f"order:{new.pk}")]


def test_the_segment_restricts_after_purchase(member, other_member, guides):
    segment = Segment.objects.create(name="Just Eero", conditions={"members": [other_member.pk]})
    campaign = lifecycle(T.AFTER_PURCHASE, segment=segment)
    tyre = make_product()
    guides("Best studded tyres", products=[tyre])

    buy(member, [tyre])
    order = buy(other_member, [tyre])

    assert rows(campaign) == [("eero", f"order:{order.pk}")]


# --- review request ----------------------------------------------------------------------------


def test_review_requests_once_the_return_window_closes(member, other_member):
    campaign = lifecycle(T.REVIEW_REQUEST)
    window = EarningRule.objects.get(key="purchase").pending_days
    now = timezone.now()
    tyre, pump, lamp = make_product(name="Tyre"), make_product(name="Pump"), make_product(name="Lamp")
    closed = buy(member, [tyre, pump], created_at=now - (window + 1) * DAY)
    buy(member, [lamp], created_at=now - (window - 2) * DAY)  # still returnable
    buy(other_member, [lamp], created_at=now - (window + 20) * DAY)  # closed too long ago
    refund(buy(other_member, [pump], created_at=now - (window + 1) * DAY))  # refunded
    review_create(author=member, product=pump, rating=5, title="Great", body="Pumps well.")

    assert review_requests_scan(campaign=campaign, now=now) == 1

    row = CampaignRecipient.objects.get(campaign=campaign)
    assert (row.member, row.occurrence) == (member, f"review:{closed.pk}:{tyre.pk}")
    assert row.context == {
        "product": "Tyre",
        "links": [
            {"title": "Write a review of Tyre", "url": f"http://testserver/products/{tyre.slug}/review/"}
        ],
    }
    # Re-run: nobody twice.
    assert review_requests_scan(campaign=campaign, now=now) == 0
    # A second order of the same product is not asked about again.
    buy(member, [tyre], created_at=now - (window + 2) * DAY)
    assert review_requests_scan(campaign=campaign, now=now) == 0
    assert rows(campaign) == [("aino", f"review:{closed.pk}:{tyre.pk}")]


def test_a_paused_review_request_scans_nobody(member):
    campaign = lifecycle(T.REVIEW_REQUEST, state=Campaign.State.PAUSED)
    window = EarningRule.objects.get(key="purchase").pending_days
    buy(member, [make_product()], created_at=timezone.now() - (window + 1) * DAY)

    assert lifecycle_scan() == {}
    assert rows(campaign) == []


# --- win-back ----------------------------------------------------------------------------------


def test_win_back_enters_members_who_joined_the_at_risk_list_since_the_previous_run(member, other_member):
    campaign = lifecycle(T.WIN_BACK)
    now = timezone.now()
    product = make_product()
    buy(member, [product], created_at=now - 200 * DAY)  # one purchase, long ago: lapsed
    buy(other_member, [product], created_at=now - 10 * DAY)  # a recent buyer

    first = insight_refresh(now=now)
    # The first run has no earlier list to compare with: nobody "enters" it.
    assert rows(campaign) == []

    second = insight_refresh(now=now + 180 * DAY)  # Eero's one purchase is now 190 days old

    assert rows(campaign) == [("eero", f"at-risk:{second.pk}")]
    # The earlier run is gone once the receivers have read it.
    assert list(InsightRun.objects.values_list("pk", flat=True)) == [second.pk]
    assert first.pk != second.pk


def test_a_paused_win_back_enters_nobody(member, other_member):
    campaign = lifecycle(T.WIN_BACK, state=Campaign.State.PAUSED)
    now = timezone.now()
    buy(other_member, [make_product()], created_at=now - 10 * DAY)
    insight_refresh(now=now)
    insight_refresh(now=now + 180 * DAY)

    assert rows(campaign) == []


# --- points expiring ---------------------------------------------------------------------------


def earned_long_ago(member, days: int = 340) -> None:
    points_grant(
        member=member,
        rule_key="signup-verified",
        idempotency_key=f"signup-verified:{member.pk}",
        now=timezone.now() - days * DAY,
    )


def test_points_expiring_enters_once_per_quiet_spell(member, other_member):
    campaign = lifecycle(T.POINTS_EXPIRING)
    earned_long_ago(member, 340)
    earned_long_ago(other_member, 300)  # 65 days left: not yet
    now = timezone.now()

    assert points_expiring_scan(campaign=campaign, now=now) == 1

    row = CampaignRecipient.objects.get(campaign=campaign)
    earned_on = timezone.localdate(now - 340 * DAY)
    assert (row.member, row.occurrence) == (member, f"expiry:{earned_on.isoformat()}")
    assert row.context["points"] == 20
    assert row.context["date"]  # the expiry day, as the member reads dates
    assert points_expiring_scan(campaign=campaign, now=now) == 0
    assert points_expiring_scan(campaign=campaign, now=now + DAY) == 0


def test_a_finnish_member_reads_the_expiry_date_the_finnish_way(member):
    member.language = "fi"
    member.save(update_fields=["language"])
    campaign = lifecycle(T.POINTS_EXPIRING)
    now = timezone.now()
    earned_long_ago(member, 340)

    points_expiring_scan(campaign=campaign, now=now)

    expires = timezone.localdate(now - 340 * DAY + 365 * DAY)
    row = CampaignRecipient.objects.get(campaign=campaign)
    # The site's one Finnish date style (hub/formats/fi): 29.12.2026.
    assert row.context["date"] == f"{expires.day}.{expires.month}.{expires.year}"


def test_points_expiry_is_not_warned_twice_while_the_campaign_is_live(member):
    consent_set(member=member, consent=True)
    campaign = lifecycle(T.POINTS_EXPIRING)
    earned_long_ago(member)

    assert lifecycle_scan() == {T.POINTS_EXPIRING: 1}
    # The old in-app-only warning stays quiet: the campaign warns, in app and by email.
    assert points_warn_expiring() == 0
    campaign_send_due(campaign_id=campaign.pk)

    assert Notification.objects.filter(recipient=member).count() == 1
    assert Notification.objects.filter(recipient=member, kind="points-expiring").count() == 0
    assert [message.to for message in mail.outbox] == [[member.email]]
    assert points_warn_expiring() == 0
    assert Notification.objects.filter(recipient=member).count() == 1


def test_with_the_campaign_paused_the_in_app_warning_is_back(member):
    campaign = lifecycle(T.POINTS_EXPIRING, state=Campaign.State.PAUSED)
    earned_long_ago(member)

    assert lifecycle_scan() == {}
    assert points_warn_expiring() == 1
    assert rows(campaign) == []


# --- tier hold ending --------------------------------------------------------------------------


def test_tier_hold_ending_while_short_of_the_threshold(member, other_member, staff):
    campaign = lifecycle(T.TIER_HOLD_ENDING)
    now = timezone.now()
    # Aino reached Silver (500) 350 days ago; the hold ends in 15 days, and from then on only
    # the points earned since reaching it count (services/tier_holds.py): 300 of them, so she
    # needs 200 more, although her 12-month status (600) is above the threshold today.
    points_adjust(member=member, amount=300, reason="import", actor=staff, now=now - 370 * DAY)
    points_adjust(member=member, amount=300, reason="import", actor=staff, now=now - 350 * DAY)
    points_adjust(member=member, amount=300, reason="import", actor=staff, now=now - 100 * DAY)
    # Eero reached Silver at the same time and has earned the threshold again since.
    points_adjust(member=other_member, amount=600, reason="import", actor=staff, now=now - 350 * DAY)
    points_adjust(member=other_member, amount=500, reason="import", actor=staff, now=now - DAY)

    assert tier_hold_scan(campaign=campaign, now=now) == 1

    row = CampaignRecipient.objects.get(campaign=campaign)
    reached_on = timezone.localdate(now - 350 * DAY)
    assert (row.member, row.occurrence) == (member, f"hold:{reached_on.isoformat()}")
    assert row.context["tier"] == "Silver"
    assert row.context["points_needed"] == 200
    assert row.context["date"]
    assert tier_hold_scan(campaign=campaign, now=now) == 0


# --- birthday ----------------------------------------------------------------------------------


def test_birthday_once_a_year_in_the_birthday_month(member, other_member):
    campaign = lifecycle(T.BIRTHDAY)
    today = timezone.localdate()
    profile_birthday_set(member=member, day=1, month=today.month)
    profile_birthday_set(member=other_member, day=1, month=today.month % 12 + 1)

    assert birthday_scan(campaign=campaign, now=timezone.now()) == 1
    assert birthday_scan(campaign=campaign, now=timezone.now()) == 0
    assert rows(campaign) == [("aino", f"birthday:{today.year}")]


def test_the_segment_restricts_a_scan(member, other_member):
    segment = Segment.objects.create(name="Just Eero", conditions={"members": [other_member.pk]})
    campaign = lifecycle(T.BIRTHDAY, segment=segment)
    month = timezone.localdate().month
    profile_birthday_set(member=member, day=1, month=month)
    profile_birthday_set(member=other_member, day=1, month=month)

    assert lifecycle_scan() == {T.BIRTHDAY: 1}
    assert rows(campaign) == [("eero", f"birthday:{timezone.localdate().year}")]


def test_a_scan_is_bounded(member, other_member):
    campaign = lifecycle(T.BIRTHDAY)
    month = timezone.localdate().month
    profile_birthday_set(member=member, day=1, month=month)
    profile_birthday_set(member=other_member, day=1, month=month)

    assert lifecycle_scan(limit=1) == {T.BIRTHDAY: 1}
    assert lifecycle_scan(limit=1) == {T.BIRTHDAY: 1}
    assert lifecycle_scan(limit=1) == {T.BIRTHDAY: 0}
    assert len(rows(campaign)) == 2


def test_the_worker_runs_the_scans_every_15_minutes():
    (job,) = [job for job in PERIODIC_JOBS if job.name == "lifecycle campaigns"]
    assert job.every == timedelta(minutes=15)
    assert job.run() == ""  # nothing live, nothing entered


def test_an_order_that_was_never_paid_enters_nobody(member, guides):
    campaign = lifecycle(T.AFTER_PURCHASE)
    tyre = make_product()
    guides("Best studded tyres", products=[tyre])

    buy(member, [tyre], status=Order.Status.REFUNDED, price="0")

    assert rows(campaign) == []


def test_a_failing_campaign_never_refuses_the_shops_order(member, guides, monkeypatch, caplog):
    lifecycle(T.AFTER_PURCHASE)
    tyre = make_product()
    guides("Best studded tyres", products=[tyre])

    def broken(**kwargs):
        raise RuntimeError("the campaign broke")

    monkeypatch.setattr("membership.campaigns.lifecycle_receivers.after_purchase_enter", broken)
    order = buy(member, [tyre])

    assert Order.objects.filter(pk=order.pk, member=member).exists()
    assert "after-purchase campaign: order" in caplog.text
