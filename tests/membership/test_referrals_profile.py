"""The member's referrals on their own profile: their link, and each friend's state in
member-friendly words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from membership.badge_registry import badge_definitions
from membership.devices import ip_hash
from membership.models import Referral, ReferralLink
from membership.services.referrals import (
    member_fingerprint_record,
    referral_link_get_or_create,
    referrals_convert_due,
)
from tests.factories import make_member
from tests.membership.referral_factories import pay, refer

pytestmark = pytest.mark.django_db

State = Referral.State


@pytest.fixture
def aino(db):
    return make_member("aino", display_name="Aino Virtanen")


def every_state(aino) -> None:
    """One friend in each state: signed up, qualifying, converted, flagged, refused."""
    now = timezone.now()
    earlier = now - timedelta(days=20)
    refer(aino, "siiri", now=now)
    refer(aino, "kalle", now=now)
    pay("kalle@example.com", "40", now=now)
    refer(aino, "ville", now=earlier)
    pay("ville@example.com", "40", now=earlier)
    referrals_convert_due(now=now)
    member_fingerprint_record(member=aino, device_id="", ip_hash=ip_hash("198.51.100.1"), now=now)
    refer(aino, "fanni", now=now, ip="198.51.100.1")
    refer(aino, "ainotoo", email="aino+again@example.com", now=now)
    states = set(Referral.objects.values_list("state", flat=True))
    assert states == {State.SIGNED_UP, State.QUALIFYING, State.CONVERTED, State.FLAGGED, State.REFUSED}


def test_the_member_sees_their_link_and_how_each_referral_went(client, aino):
    every_state(aino)
    client.force_login(aino)
    page = client.get("/members/aino/").content.decode()
    code = ReferralLink.objects.get(member=aino).code
    assert "Invite friends" in page
    assert f'value="http://testserver/r/{code}/"' in page and "readonly" in page
    assert "data-copy-button" in page and "membership/referrals.js" in page
    assert "Signed up — waiting for their first order" in page
    points_on = timezone.localtime(timezone.now() + timedelta(days=14)).date()
    assert "Order received — points on" in page
    assert f"{points_on.day} {points_on:%b %Y}" in page  # the English date style: 18 Dec 2026
    assert "Converted" in page
    # Flagged and refused look alike, and nothing hints at why.
    assert page.count("Not eligible") == 2
    for secret in ("same IP", "same device", "flagged", "refused", "normalised"):
        assert secret not in page
    assert "30 € or more" in page and "14-day return window" in page
    assert "200 for you and 100 for them" in page


def test_the_link_is_made_on_the_first_visit_to_ones_own_profile(client, aino):
    client.force_login(aino)
    assert not ReferralLink.objects.exists()
    page = client.get("/members/aino/").content.decode()
    code = ReferralLink.objects.get(member=aino).code
    assert f"/r/{code}/" in page
    assert "No friends have joined through your link yet." in page


def test_others_do_not_see_the_section(client, aino):
    every_state(aino)
    for viewer in (None, make_member("eero")):
        if viewer:
            client.force_login(viewer)
        page = client.get("/members/aino/").content.decode()
        assert "Invite friends" not in page
        assert "/r/" not in page
        assert "Not eligible" not in page


def section_queries(client) -> int:
    with CaptureQueriesContext(connection) as context:
        client.get("/members/aino/")
    return len(context)


def test_the_section_costs_two_queries_whatever_the_number_of_referrals(
    client, aino, django_assert_max_num_queries
):
    client.force_login(aino)
    referral_link_get_or_create(member=aino)
    # Session, member, standing, tiers, history, badges and the page chrome: the profile
    # without referrals, as other members see the same page.
    other = make_member("eero")
    client.force_login(other)
    others_view = section_queries(client)
    client.force_login(aino)
    empty = section_queries(client)
    every_state(aino)
    full = section_queries(client)
    assert full == empty
    # The section (2), the member's own cards (history, rewards, …) and one counter per
    # badge for their progress: a fixed number, whatever their history.
    assert empty - others_view <= 2 + 4 + len(badge_definitions())
    with django_assert_max_num_queries(empty):
        client.get("/members/aino/")
