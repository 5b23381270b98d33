"""Staff's loyalty screens in the Wagtail admin: members by tier, manual adjustments, the
dashboard panel, orders and referrals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from membership.models import MemberStanding, PointEntry, Tier
from membership.selectors import loyalty_overview
from membership.services.points import points_adjust, points_grant, points_redeem
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_member("staffer", groups=["Staff"])


def give_status(member, points: int, actor):
    points_adjust(member=member, amount=points, reason="test balance", actor=actor)


def test_members_list_filters_by_tier_and_shows_balances(client, staff):
    gold_member = make_member("goldie", display_name="Goldie")
    make_member("newbie", display_name="Newbie")
    give_status(gold_member, 1600, staff)
    gold = Tier.objects.get(slug="gold")
    first = Tier.objects.order_by("threshold").first()
    client.force_login(staff)

    page = client.get("/admin/users/", {"tier": gold.pk})
    assert page.status_code == 200
    assert "goldie" in page.text and "newbie" not in page.text
    assert "1600" in page.text and "Adjust points" in page.text

    # A member with no points yet has no standing row and belongs to the first tier.
    page = client.get("/admin/users/", {"tier": first.pk})
    assert "newbie" in page.text and "goldie" not in page.text


def test_adjustment_needs_a_reason_and_is_recorded_with_its_author(client, staff):
    member = make_member("aino")
    client.force_login(staff)
    url = f"/admin/loyalty/members/{member.pk}/adjust/"
    assert client.get(url).status_code == 200

    for data, field_error in [
        ({"amount": "0", "reason": "why not"}, "other than zero"),
        ({"amount": "50", "reason": "   "}, "This field is required"),
        ({"amount": "-10", "reason": "take back"}, "available"),
        ({"amount": "lots", "reason": "x"}, "whole number"),
    ]:
        response = client.post(url, data)
        assert response.status_code == 200
        assert field_error in response.text
    assert not PointEntry.objects.filter(member=member).exists()

    response = client.post(url, {"amount": "75", "reason": "Goodwill: late delivery"})
    assert response.status_code == 302
    entry = PointEntry.objects.get(member=member)
    assert (entry.amount, entry.kind, entry.note, entry.actor) == (
        75,
        PointEntry.Kind.ADJUSTMENT,
        "Goodwill: late delivery",
        staff,
    )
    assert MemberStanding.objects.get(member=member).spendable_points == 75


def test_only_staff_with_the_permission_adjust_points(client):
    member = make_member("eero")
    moderator = make_member("mod", groups=["Moderators"])
    client.force_login(moderator)
    url = f"/admin/loyalty/members/{member.pk}/adjust/"
    assert client.get(url).status_code in {302, 403}
    assert client.post(url, {"amount": "500", "reason": "for me"}).status_code in {302, 403}
    assert not PointEntry.objects.filter(member=member).exists()


def test_dashboard_panel_figures(client, staff):
    now = timezone.now()
    vip = make_member("vip")
    member = make_member("liisa")
    give_status(vip, 4200, staff)
    points_grant(member=member, rule_key="review", idempotency_key="r1")
    points_grant(member=member, rule_key="purchase", units=120, idempotency_key="p1")
    points_redeem(member=vip, amount=200, reason="reward", idempotency_key="red1")
    old = points_grant(member=member, rule_key="review", idempotency_key="old", now=now - timedelta(days=40))
    assert old is not None

    overview = loyalty_overview(now=now)
    tiers = {row["tier"].slug: row["members"] for row in overview["tiers"]}
    assert tiers["vip"] == 1 and tiers["member"] == overview["members"] - 1
    # Earned counts members' activity only; the 4200-point staff adjustment is a figure apart.
    assert overview["earned"] == 50 + 120
    assert overview["adjusted_in"] == 4200 and overview["adjusted_out"] == 0
    assert overview["pending"] == 120
    assert overview["redeemed"] == 200
    assert [rule["rule__name"] for rule in overview["top_rules"]] == ["Purchase", "Product review"]

    client.force_login(staff)
    home = client.get("/admin/")
    assert home.status_code == 200
    assert "Top earning rules" in home.text and "Purchase" in home.text


def test_dashboard_keeps_carried_over_balances_apart_from_earned_points(client, staff):
    # A hand-computed ledger for the last 30 days:
    #   carried over from the old card   +400  adjustment   -> added by staff
    #   correction                       -100  adjustment   -> taken away by staff
    #   review                            +50  earned
    #   purchase of 120 €                +120  earned (pending)
    #   a review 40 days ago              +50  outside the period
    # (300 status points: still the first tier, so no multiplier.)
    # Earned: 170 (120 pending); added: 400; taken away: 100. The old "Issued" was 570.
    now = timezone.now()
    member = make_member("liisa")
    points_adjust(member=member, amount=400, reason="Carried over", actor=staff, now=now - timedelta(days=3))
    points_adjust(member=member, amount=-100, reason="Correction", actor=staff, now=now - timedelta(days=2))
    points_grant(member=member, rule_key="review", idempotency_key="r1", now=now - timedelta(days=1))
    points_grant(member=member, rule_key="purchase", units=120, idempotency_key="p1", now=now)
    points_grant(member=member, rule_key="review", idempotency_key="old", now=now - timedelta(days=40))

    overview = loyalty_overview(now=now)
    assert (overview["earned"], overview["pending"]) == (170, 120)
    assert (overview["adjusted_in"], overview["adjusted_out"]) == (400, 100)

    client.force_login(staff)
    page = client.get("/admin/").text
    assert "Earned by members' activity</th><td>170<" in page
    assert "Added by staff adjustments (carried-over balances, corrections)</th><td>400<" in page
    assert "Taken away by staff adjustments</th><td>100<" in page
    assert ">Issued<" not in page


def test_dashboard_panel_costs_a_fixed_number_of_queries(django_assert_max_num_queries, staff):
    for n in range(5):
        member = make_member(f"m{n}")
        points_grant(member=member, rule_key="review", idempotency_key=f"q{n}")
    with django_assert_max_num_queries(5):
        loyalty_overview(now=timezone.now())


def test_orders_and_referrals_are_listed_but_not_editable(client, staff):
    client.force_login(staff)
    for model in ("order", "referral", "badgeaward"):
        assert client.get(f"/admin/snippets/membership/{model}/").status_code == 200
        assert client.get(f"/admin/snippets/membership/{model}/add/").status_code in {302, 403}


def flagged_referral():
    from membership.devices import ip_hash
    from membership.services.referrals import member_fingerprint_record
    from tests.membership.referral_factories import refer

    now = timezone.now()
    referrer = make_member("aino")
    member_fingerprint_record(member=referrer, device_id="dev-1", ip_hash=ip_hash("198.51.100.1"), now=now)
    return refer(referrer, "kalle", now=now, device_id="dev-1", ip="203.0.113.9")


def test_staff_review_a_flagged_referral_with_a_required_note(client, staff):
    from membership.models import Referral

    referral = flagged_referral()
    assert referral.state == Referral.State.FLAGGED
    client.force_login(staff)
    listing = client.get("/admin/snippets/membership/referral/", {"state": "flagged"})
    url = f"/admin/loyalty/referrals/{referral.pk}/review/"
    assert url in listing.text

    assert "This field is required" in client.post(url, {"decision": "approve", "note": ""}).text
    referral.refresh_from_db()
    assert referral.state == Referral.State.FLAGGED

    response = client.post(url, {"decision": "approve", "note": "Flatmates, checked the order"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.state, referral.reviewed_by) == (Referral.State.SIGNED_UP, staff)
    assert "Flatmates" in referral.detail
    # Decided once: the screen refuses a second decision with a clear error.
    again = client.post(url, {"decision": "refuse", "note": "changed my mind"})
    assert again.status_code == 200 and "Only a referral flagged" in again.text


def test_moderators_cannot_review_referrals(client):
    referral = flagged_referral()
    client.force_login(make_member("mod", groups=["Moderators"]))
    url = f"/admin/loyalty/referrals/{referral.pk}/review/"
    assert client.post(url, {"decision": "approve", "note": "ok"}).status_code in {302, 403}
