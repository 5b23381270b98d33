"""The campaign report page and its CSV (membership/campaigns/report_views.py): Staff only,
verdicts in words, the too-small rule on the page, the export, a bounded query count."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone, translation

from membership.campaigns.gifts import gift_reward
from membership.campaigns.models import Campaign, CampaignRecipient, MessageTemplate
from membership.campaigns.report_views import CSV_COLUMNS
from membership.models import Order, Reward, User
from membership.services.coupons import coupon_use
from tests.factories import make_member

pytestmark = pytest.mark.django_db
_ids = count(1)


def _campaign(*, holdout_percent: int = 10) -> Campaign:
    n = next(_ids)
    message = MessageTemplate.objects.create(name=f"Win-back {n}", key=f"win-back-{n}")
    return Campaign.objects.create(name="Spring win-back", message=message, holdout_percent=holdout_percent)


def _fill(campaign: Campaign, *, treatment: int, holdout: int, bought: int, held_bought: int) -> None:
    """Rows entered 90 days ago (every window over) and one 20.00 order for the first
    ``bought`` recipients and ``held_bought`` holdout members, two days after entering."""
    entered = timezone.now() - timedelta(days=90)
    start = User.objects.count()
    users = User.objects.bulk_create(
        [
            User(username=f"r{start + i}", email=f"r{start + i}@example.com")
            for i in range(treatment + holdout)
        ]
    )
    CampaignRecipient.objects.bulk_create(
        [
            CampaignRecipient(
                campaign=campaign,
                member=user,
                group="treatment" if i < treatment else "holdout",
                state="sent" if i < treatment else "held_out",
                entered_at=entered,
                due_at=entered,
            )
            for i, user in enumerate(users)
        ]
    )
    buyers = users[:bought] + users[treatment : treatment + held_bought]
    Order.objects.bulk_create(
        [
            Order(
                external_id=f"V-{next(_ids)}",
                email=user.email,
                member=user,
                status=Order.Status.PAID,
                currency="EUR",
                original_total=Decimal("20.00"),
                total=Decimal("20.00"),
                created_at=entered + timedelta(days=2),
            )
            for user in buyers
        ]
    )


def _url(campaign: Campaign) -> str:
    return reverse("campaigns_admin:campaign_report", args=[campaign.pk])


def _staff(username: str = "staffer") -> User:
    # Staff hold send_campaign (granted by the campaigns' data migration); made sure of here so
    # this file tests the gate, whatever state the group's grant is in on this branch.
    Group.objects.get(name="Staff").permissions.add(
        Permission.objects.get(content_type__app_label="membership", codename="send_campaign")
    )
    return make_member(username, groups=["Staff"])


@pytest.fixture
def staff_client(client):
    client.force_login(_staff())
    return client


def test_the_address():
    assert _url(Campaign(pk=7)) == "/admin/campaigns/7/report/"


def test_staff_only(client):
    campaign = _campaign()
    url = _url(campaign)
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(make_member("member"))
    assert client.get(url).status_code == 403
    assert client.get(url + "?export=csv").status_code == 403
    client.force_login(_staff())
    assert client.get(url).status_code == 200
    assert client.get(reverse("campaigns_admin:campaign_report", args=[campaign.pk + 999])).status_code == 404


def test_a_clear_uplift_is_told_in_words_with_its_interval(staff_client):
    campaign = _campaign()
    _fill(campaign, treatment=100, holdout=100, bought=30, held_bought=15)
    with translation.override("en"):
        response = staff_client.get(_url(campaign))
    body = response.content.decode()
    # 30 % vs 15 %: +15.0 points, Newcombe's interval 3.4 to 26.1 (tests/…/test_report.py).
    assert "Recipients bought more: +15.0 points (95 % CI +3.4 to +26.1)" in body
    assert "Recipients spent more: +3.00 EUR per member" in body
    assert "Newcombe" in body and "Welch" in body
    assert "Not reported" in body  # no opens recorded, no tracking configured


def test_too_small_groups_show_no_figure(staff_client):
    campaign = _campaign()
    _fill(campaign, treatment=40, holdout=10, bought=20, held_bought=3)
    with translation.override("en"):
        body = staff_client.get(_url(campaign)).content.decode()
    assert "Too few members to tell yet" in body
    assert "Only 10 holdout members are counted in this window; at least 30 are needed." in body
    assert "points (95 % CI" not in body


def test_no_holdout_says_so(staff_client):
    campaign = _campaign(holdout_percent=0)
    _fill(campaign, treatment=50, holdout=0, bought=10, held_bought=0)
    with translation.override("en"):
        body = staff_client.get(_url(campaign)).content.decode()
    assert "No holdout, nothing to compare with" in body


def test_the_csv_export(staff_client):
    campaign = _campaign()
    _fill(campaign, treatment=100, holdout=100, bought=30, held_bought=15)
    response = staff_client.get(_url(campaign) + "?export=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert f"campaign-{campaign.pk}-report-" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == CSV_COLUMNS
    assert [row["window_days"] for row in rows] == ["7", "30", "60"]
    seven = rows[0]
    assert seven["verdict"] == "more"
    assert (seven["treatment_counted"], seven["treatment_converted"], seven["treatment_conversion"]) == (
        "100",
        "30",
        "0.300000",
    )
    assert seven["holdout_revenue_per_member"] == "3.00"
    assert seven["uplift_conversion"] == "0.150000"
    assert seven["uplift_conversion_low"].startswith("0.034")
    assert seven["currency"] == "EUR"


def test_the_page_in_finnish_renders(staff_client):
    campaign = _campaign()
    _fill(campaign, treatment=100, holdout=100, bought=30, held_bought=15)
    staff_client.cookies["django_language"] = "fi"
    assert staff_client.get(_url(campaign), HTTP_ACCEPT_LANGUAGE="fi").status_code == 200


def test_the_query_count_does_not_grow_with_the_recipients(staff_client, django_assert_max_num_queries):
    small, large = _campaign(), _campaign()
    _fill(small, treatment=10, holdout=2, bought=2, held_bought=1)
    _fill(large, treatment=500, holdout=60, bought=100, held_bought=6)
    staff_client.get(_url(small))  # warm the session and Wagtail's caches
    # The report's own reads are four (the campaign, its rows, the coupon codes orders named, the
    # orders); the rest (13 in all today) is the session, permissions and the admin's menus.
    with django_assert_max_num_queries(16) as small_queries:
        staff_client.get(_url(small))
    with django_assert_max_num_queries(16) as large_queries:
        staff_client.get(_url(large))
    assert len(large_queries.captured_queries) == len(small_queries.captured_queries)


def test_coupon_use_and_opens_on_the_page(staff_client):
    campaign = _campaign()
    _fill(campaign, treatment=4, holdout=0, bought=0, held_bought=0)
    reward = Reward.objects.create(name="5 € off", kind=Reward.Kind.FIXED, value=Decimal(5), cost=100)
    rows = list(CampaignRecipient.objects.filter(campaign=campaign).select_related("member"))
    for row in rows[:2]:
        row.gift = gift_reward(
            member=row.member,
            reward=reward,
            reason="We miss you",
            author=None,
            idempotency_key=f"view:{row.pk}",
            campaign=campaign,
            notify=False,
        )
        row.emailed = True
        row.save(update_fields=["gift", "emailed"])
    coupon_use(code=rows[0].gift.redemption.coupon_code)
    CampaignRecipient.objects.filter(pk=rows[0].pk).update(opened_at=timezone.now())
    with translation.override("en"):
        body = staff_client.get(_url(campaign)).content.decode()
    assert "25.0 % of the recipients used their campaign coupon (1 of 2 coupons given, 50.0 %)." in body
    assert "50.0 % (1 of 2 emailed)" in body
