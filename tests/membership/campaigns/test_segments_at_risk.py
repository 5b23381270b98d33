"""The at-risk list's bulk actions (/admin/retention/at-risk/): save the list as a segment from
its filters or from the ticked members, then open it, give it a gift or send it a campaign."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from membership.campaigns.conditions import segment_members
from membership.campaigns.models import Segment
from membership.insight.models import CurrencyInsight, CustomerInsight, InsightRun
from membership.models import Tier, User
from tests.factories import make_member

pytestmark = pytest.mark.django_db

AS_OF = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
AT_RISK = "/admin/retention/at-risk/"


@pytest.fixture
def staff():
    return make_member("staffer", groups=["Staff"])


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def listing():
    """A run in EUR: Aino (gold, lapsed, 90 at risk), Eero (engaging less, 10), Liisa (no
    reason: not on the list); Olli in SEK (points expiring)."""
    gold = Tier.objects.get(slug="gold")
    run = InsightRun.objects.create(as_of=AS_OF, state=InsightRun.State.DONE, finished_at=AS_OF, settings={})
    eur = CurrencyInsight.objects.create(
        run=run, currency="EUR", customers=3, purchases=9, model={"state": "fitted"}, tiers=[]
    )
    sek = CurrencyInsight.objects.create(
        run=run, currency="SEK", customers=1, purchases=2, model={}, tiers=[]
    )
    members = {name: make_member(name) for name in ("aino", "eero", "liisa", "olli")}

    def row(insight, name, reasons, value, tier=None):
        CustomerInsight.objects.create(
            currency_insight=insight,
            email=members[name].email,
            member=members[name],
            tier=tier,
            purchases=3,
            first_purchase=AS_OF - timedelta(days=400),
            last_purchase=AS_OF - timedelta(days=200),
            net_revenue=Decimal("240.00"),
            p_alive=0.25,
            predicted_clv=Decimal("120.00"),
            value_at_risk=Decimal(value),
            reasons=reasons,
        )

    row(eur, "aino", ["lapsed", "overdue"], "90.00", tier=gold)
    row(eur, "eero", ["engaging_less"], "10.00")
    row(eur, "liisa", [], "0")
    row(sek, "olli", ["points_expiring"], "50.00")
    return members


def names(segment: Segment) -> set[str]:
    return set(segment_members(segment).values_list("username", flat=True))


def test_the_page_offers_the_actions_to_staff(staff_client, listing):
    page = staff_client.get(AT_RISK)
    assert page.status_code == 200
    assert 'name="select_all"' in page.text and "Save as segment" in page.text
    assert f'name="member" value="{listing["aino"].pk}" form="at-risk-actions"' in page.text
    assert 'name="csrfmiddlewaretoken"' in page.text


def test_save_everyone_matching_the_filters(staff_client, listing):
    response = staff_client.post(
        AT_RISK + "?currency=EUR&min_value=50",
        {"action": "segment", "name": "Big at risk", "select_all": "on"},
    )
    segment = Segment.objects.get(name="Big at risk")
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns_admin:segment_members", args=[segment.pk])
    assert segment.conditions == {
        "at_risk": {"currency": "EUR", "tier": None, "reasons": [], "min_value": "50"}
    }
    assert names(segment) == {"aino"}
    assert "value at risk at least 50" in segment.description

    staff_client.post(
        AT_RISK + "?reason=engaging_less", {"action": "segment", "name": "Quiet", "select_all": "on"}
    )
    assert names(Segment.objects.get(name="Quiet")) == {"eero"}
    staff_client.post(AT_RISK, {"action": "segment", "name": "All EUR", "select_all": "on"})
    assert names(Segment.objects.get(name="All EUR")) == {"aino", "eero"}  # the page's currency only
    staff_client.post(AT_RISK + "?currency=SEK", {"action": "segment", "name": "All SEK", "select_all": "on"})
    assert names(Segment.objects.get(name="All SEK")) == {"olli"}


def test_save_the_ticked_members_then_gift_or_campaign(staff_client, staff, listing):
    aino, eero = listing["aino"], listing["eero"]
    response = staff_client.post(
        AT_RISK, {"action": "gift", "name": "Two of them", "member": [str(aino.pk), str(eero.pk)]}
    )
    segment = Segment.objects.get(name="Two of them")
    assert segment.conditions == {"members": sorted([aino.pk, eero.pk])}
    assert segment.created_by == staff
    assert response["Location"] == reverse("campaigns_admin:gift_new") + f"?segment={segment.pk}"
    assert names(segment) == {"aino", "eero"}

    response = staff_client.post(
        AT_RISK, {"action": "campaign", "name": "Just Aino", "member": [str(aino.pk)]}
    )
    segment = Segment.objects.get(name="Just Aino")
    assert response["Location"] == reverse("campaigns_admin:campaign_new") + f"?segment={segment.pk}"


def test_bad_input_gets_field_errors(staff_client, listing):
    Segment.objects.create(name="Taken")
    aino = listing["aino"]
    response = staff_client.post(AT_RISK, {"action": "segment", "name": ""})
    assert response.status_code == 400
    form = response.context["bulk_form"]
    assert form.errors["name"] == ["This field is required."]
    assert form.errors["member"] == ["Tick the members to save, or choose everyone matching the filters."]
    assert "Tick the members to save" in response.text

    response = staff_client.post(AT_RISK, {"action": "segment", "name": "taken", "member": [str(aino.pk)]})
    assert response.context["bulk_form"].errors["name"] == ["Another segment is called “taken”."]
    assert f'value="{aino.pk}" form="at-risk-actions" id="at-risk-member-{aino.pk}" checked' in response.text

    response = staff_client.post(AT_RISK, {"action": "explode", "name": "X", "select_all": "on"})
    assert "action" in response.context["bulk_form"].errors
    response = staff_client.post(AT_RISK, {"action": "segment", "name": "X", "member": ["abc"]})
    assert "member" in response.context["bulk_form"].errors
    assert Segment.objects.count() == 1


def test_the_actions_need_csrf_and_the_campaign_permission(staff, listing):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    response = strict.post(AT_RISK, {"action": "segment", "name": "X", "select_all": "on"})
    assert response.status_code == 403
    # A reader of the retention figures without the campaign permission sees no actions and
    # may not post them.
    reader = make_member("reader")
    from django.contrib.auth.models import Permission

    reader.user_permissions.add(
        Permission.objects.get(codename="view_retention"), Permission.objects.get(codename="access_admin")
    )
    client = Client()
    client.force_login(User.objects.get(pk=reader.pk))
    page = client.get(AT_RISK)
    assert page.status_code == 200 and "Save as segment" not in page.text
    response = client.post(AT_RISK, {"action": "segment", "name": "X", "select_all": "on"})
    assert response.status_code == 403
    assert not Segment.objects.exists()
