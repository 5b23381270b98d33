"""The campaign report's reads (membership/campaigns/report_selectors.py): which orders count
for whom, coupon use, opens, and a query count that does not grow with the recipients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.test import override_settings

from membership.campaigns.gifts import gift_reward
from membership.campaigns.models import Campaign, CampaignRecipient, MessageTemplate
from membership.campaigns.report import Verdict
from membership.campaigns.report_selectors import campaign_report, provider_reports_opens
from membership.models import Order, Reward, User
from membership.services.coupons import coupon_use
from membership.services.orders import LineData, order_receive
from tests.factories import make_member

pytestmark = pytest.mark.django_db

ENTERED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AS_OF = ENTERED + timedelta(days=90)
_ids = count(1)


def _campaign(*, holdout_percent: int = 10) -> Campaign:
    message = MessageTemplate.objects.create(name=f"Win-back {next(_ids)}", key=f"win-back-{next(_ids)}")
    return Campaign.objects.create(name="Win-back", message=message, holdout_percent=holdout_percent)


def _row(campaign: Campaign, member: User, *, group: str = "treatment", **fields) -> CampaignRecipient:
    # The rows as sending.py leaves them; the report reads them however they came to be.
    state = CampaignRecipient.State.SENT if group == "treatment" else CampaignRecipient.State.HELD_OUT
    fields.setdefault("state", state)
    return CampaignRecipient.objects.create(
        campaign=campaign, member=member, group=group, entered_at=ENTERED, due_at=ENTERED, **fields
    )


def _pay(email: str, total: str, *, at: datetime, coupon_code: str = "", currency: str = "EUR") -> Order:
    amount = Decimal(total)
    return order_receive(
        external_id=f"C-{next(_ids)}",
        email=email,
        status=Order.Status.PAID,
        currency=currency,
        total=amount,
        created_at=at,
        lines=[LineData(sku="WAX-1", quantity=1, price=amount)],
        coupon_code=coupon_code,
        now=at,
        notify=False,
    ).order


def _refund(order: Order, *, left: str) -> None:
    order_receive(
        external_id=order.external_id,
        email=order.email,
        status=Order.Status.REFUNDED if Decimal(left) == 0 else Order.Status.PARTIALLY_REFUNDED,
        currency=order.currency,
        total=Decimal(left),
        created_at=order.created_at,
        lines=[],
        now=order.created_at + timedelta(days=1),
        notify=False,
    )


def test_orders_of_the_member_or_their_address_within_each_window():
    campaign = _campaign()
    linked = make_member("linked")
    unlinked = make_member("unlinked", verified=False)  # their orders stay without a member
    late = make_member("late")
    early = make_member("early")
    other = make_member("other")
    for member in (linked, unlinked, late, early):
        _row(campaign, member)
    _row(campaign, other, group="holdout")
    _pay(linked.email, "30.00", at=ENTERED + timedelta(days=2))
    _pay(unlinked.email.upper(), "20.00", at=ENTERED + timedelta(days=3))
    _pay(late.email, "50.00", at=ENTERED + timedelta(days=40))
    _pay(early.email, "99.00", at=ENTERED - timedelta(days=1))  # before the campaign
    _pay(other.email, "10.00", at=ENTERED + timedelta(days=61))  # after every window
    _pay("stranger@example.com", "70.00", at=ENTERED + timedelta(days=1))  # nobody's

    page = campaign_report(campaign, now=AS_OF)
    seven, thirty, sixty = page.figures.windows
    assert Order.objects.get(email=unlinked.email.upper()).member_id is None
    assert (seven.treatment.members, seven.treatment.converted, seven.treatment.revenue_cents) == (4, 2, 5000)
    assert (thirty.treatment.converted, thirty.treatment.revenue_cents) == (2, 5000)
    assert (sixty.treatment.converted, sixty.treatment.revenue_cents) == (3, 10000)
    assert sixty.treatment.revenue_per_member == 25.0
    assert sixty.holdout.converted == 0
    assert page.figures.treatment.assigned == 4
    assert page.figures.holdout.assigned == 1
    assert page.figures.currency == "EUR"
    assert page.as_of == AS_OF


def test_refunded_orders_do_not_count_and_partial_refunds_count_net():
    campaign = _campaign()
    full, partial = make_member("full"), make_member("partial")
    _row(campaign, full)
    _row(campaign, partial)
    _refund(_pay(full.email, "40.00", at=ENTERED + timedelta(days=1)), left="0")
    _refund(_pay(partial.email, "40.00", at=ENTERED + timedelta(days=1)), left="15.00")

    seven = campaign_report(campaign, now=AS_OF).figures.windows[0]
    assert (seven.treatment.converted, seven.treatment.revenue_cents) == (1, 1500)


def test_a_window_not_yet_over_counts_only_those_it_has_closed_for():
    campaign = _campaign()
    members = [make_member(f"m{i}") for i in range(3)]
    for member in members:
        _row(campaign, member)
    figures = campaign_report(campaign, now=ENTERED + timedelta(days=10)).figures
    seven, thirty, _ = figures.windows
    assert (seven.treatment.members, seven.treatment.waiting) == (3, 0)
    assert (thirty.treatment.members, thirty.treatment.waiting) == (0, 3)


def test_coupon_use_through_the_coupon_service_or_named_on_an_order():
    campaign = _campaign()
    reward = Reward.objects.create(name="10 € off", kind=Reward.Kind.FIXED, value=Decimal(10), cost=500)
    used, named, unused, skipped = (make_member(name) for name in ("used", "named", "unused", "skipped"))
    for member in (used, named, unused):
        gift = gift_reward(
            member=member,
            reward=reward,
            reason="Welcome back",
            author=None,
            idempotency_key=f"campaign:{campaign.pk}:{member.pk}",
            campaign=campaign,
            notify=False,
            now=ENTERED,
        )
        _row(campaign, member, gift=gift)
    _row(campaign, skipped, state=CampaignRecipient.State.SKIPPED, skip_reason="no_consent")
    coupon_use(code=CampaignRecipient.objects.get(member=used).gift.redemption.coupon_code, now=ENTERED)
    code = CampaignRecipient.objects.get(member=named).gift.redemption.coupon_code
    _pay(named.email, "25.00", at=ENTERED + timedelta(days=1), coupon_code=code.lower())

    figures = campaign_report(campaign, now=AS_OF).figures
    assert (figures.treatment.assigned, figures.treatment.sent) == (4, 3)
    assert (figures.treatment.coupons_given, figures.treatment.coupons_used) == (3, 2)
    assert figures.treatment.coupon_use == 0.5  # 2 of the 4 assigned (intention to treat)


def test_opens_are_reported_only_when_recorded_or_tracked():
    campaign = _campaign()
    first, second = make_member("first"), make_member("second")
    _row(campaign, first, emailed=True)
    _row(campaign, second, emailed=True)
    assert campaign_report(campaign, now=AS_OF).figures.opens_reported is False

    with override_settings(ANYMAIL={"SEND_DEFAULTS": {"track_opens": True}}):
        assert provider_reports_opens()
        assert campaign_report(campaign, now=AS_OF).figures.opens_reported is True
    with override_settings(ANYMAIL_POSTMARK_SEND_DEFAULTS={"track_opens": True}):
        assert provider_reports_opens()

    CampaignRecipient.objects.filter(member=first).update(opened_at=ENTERED + timedelta(hours=2))
    figures = campaign_report(campaign, now=AS_OF).figures
    assert figures.opens_reported is True
    assert (figures.treatment.emailed, figures.treatment.opened) == (2, 1)
    assert figures.treatment.open_rate == 0.5


def test_an_empty_campaign_reports_without_orders():
    figures = campaign_report(_campaign(holdout_percent=0), now=AS_OF).figures
    assert figures.treatment.assigned == 0
    assert {window.verdict for window in figures.windows} == {Verdict.NO_HOLDOUT}


def _bulk_campaign(size: int) -> Campaign:
    campaign = _campaign()
    start = User.objects.count()
    users = User.objects.bulk_create(
        [User(username=f"bulk{start + i}", email=f"bulk{start + i}@example.com") for i in range(size)]
    )
    CampaignRecipient.objects.bulk_create(
        [
            CampaignRecipient(
                campaign=campaign,
                member=user,
                group="holdout" if i % 10 == 0 else "treatment",
                state="held_out" if i % 10 == 0 else "sent",
                entered_at=ENTERED,
                due_at=ENTERED,
            )
            for i, user in enumerate(users)
        ]
    )
    Order.objects.bulk_create(
        [
            Order(
                external_id=f"B-{next(_ids)}",
                email=user.email,
                member=user,
                status=Order.Status.PAID,
                currency="EUR",
                original_total=Decimal("10.00"),
                total=Decimal("10.00"),
                created_at=ENTERED + timedelta(days=1 + i % 50),
            )
            for i, user in enumerate(users[::3])
        ]
    )
    return campaign


def test_the_query_count_does_not_grow_with_the_recipients(django_assert_num_queries):
    small, large = _bulk_campaign(20), _bulk_campaign(600)
    with django_assert_num_queries(3):  # the rows, the coupon codes named on orders, the orders
        campaign_report(small, now=AS_OF)
    with django_assert_num_queries(3):  # the rows, the coupon codes named on orders, the orders
        page = campaign_report(large, now=AS_OF)
    sixty = page.figures.windows[2]
    assert sixty.treatment.members + sixty.holdout.members == 600
    assert sixty.treatment.converted + sixty.holdout.converted == 200
