"""Anonymous writes are bounded: referral visits are stored once per browser, address and
hour and per address up to a limit; sign-ups are capped per address."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from membership.devices import ip_hash
from membership.models import Referral, ReferralVisit, User
from membership.services.referrals import (
    ReferralVisitLimited,
    referral_link_get_or_create,
    referral_visit_record,
)
from tests.factories import make_member

pytestmark = pytest.mark.django_db

FRIEND = "203.0.113.7"


@pytest.fixture
def link(db):
    return referral_link_get_or_create(member=make_member("aino", email="aino@example.com"))


def sign_up(client: Client, username: str, address: str = FRIEND):
    return client.post(
        reverse("account_signup"),
        {
            "email": f"{username}@example.org",
            "username": username,
            "password1": "winter-tyres-9",
            "password2": "winter-tyres-9",
        },
        REMOTE_ADDR=address,
    )


def test_two_hundred_visits_from_one_browser_store_one_row(link, django_assert_max_num_queries):
    client = Client()
    assert client.get(f"/r/{link.code}/", REMOTE_ADDR=FRIEND).status_code == 302
    for _ in range(198):
        client.get(f"/r/{link.code}/", REMOTE_ADDR=FRIEND)
    with django_assert_max_num_queries(12):
        assert client.get(f"/r/{link.code}/", REMOTE_ADDR=FRIEND).status_code == 302
    assert ReferralVisit.objects.filter(link=link).count() == 1


def test_a_new_browser_or_the_next_hour_stores_another_visit(link):
    now = timezone.now()
    first = referral_visit_record(
        link=link, device_id="device-one-aaaaaaaaaaaa", ip_hash=ip_hash(FRIEND), now=now
    )
    again = referral_visit_record(
        link=link,
        device_id="device-one-aaaaaaaaaaaa",
        ip_hash=ip_hash(FRIEND),
        now=now + timedelta(minutes=59),
    )
    assert again == first
    other_device = referral_visit_record(
        link=link,
        device_id="device-two-aaaaaaaaaaaa",
        ip_hash=ip_hash(FRIEND),
        now=now + timedelta(minutes=1),
    )
    other_address = referral_visit_record(
        link=link, device_id="device-one-aaaaaaaaaaaa", ip_hash=ip_hash("198.51.100.1"), now=now
    )
    next_hour = referral_visit_record(
        link=link,
        device_id="device-one-aaaaaaaaaaaa",
        ip_hash=ip_hash(FRIEND),
        now=now + timedelta(minutes=61),
    )
    assert len({first.pk, other_device.pk, other_address.pk, next_hour.pk}) == 4
    assert ReferralVisit.objects.filter(link=link).count() == 4


def test_the_same_browser_next_hour_stores_another_visit_through_the_link(link):
    client = Client()
    client.get(f"/r/{link.code}/", REMOTE_ADDR=FRIEND)
    with time_machine.travel(timezone.now() + timedelta(minutes=61), tick=False):
        client.get(f"/r/{link.code}/", REMOTE_ADDR=FRIEND)
    assert ReferralVisit.objects.filter(link=link).count() == 2


def test_a_repeated_visit_still_attributes_the_sign_up(link):
    client = Client()
    client.get(f"/r/{link.code}/", REMOTE_ADDR=FRIEND)
    client.get(f"/r/{link.code}/", REMOTE_ADDR=FRIEND)
    assert sign_up(client, "kalle").status_code == 302
    referral = Referral.objects.get(friend__username="kalle")
    assert referral.visit == ReferralVisit.objects.get(link=link)
    assert referral.state == Referral.State.SIGNED_UP


def test_visits_past_the_per_address_limit_are_refused_with_429(settings, link):
    settings.KANTA_REFERRAL_VISIT_RATE = (3, 3600)
    for _ in range(3):  # three browsers without the cookie, one address
        assert Client().get(f"/r/{link.code}/", REMOTE_ADDR=FRIEND).status_code == 302
    refused = Client().get(f"/r/{link.code}/", REMOTE_ADDR=FRIEND)
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "Too many invitation links were opened from your network address." in text
    assert "Try again after" in text
    assert ReferralVisit.objects.count() == 3
    # A browser already counted is still welcome, and so is another address.
    assert Client().get(f"/r/{link.code}/", REMOTE_ADDR="198.51.100.1").status_code == 302
    assert ReferralVisit.objects.count() == 4


def test_the_visit_limit_frees_up_when_the_oldest_visit_leaves_the_window(settings, link):
    settings.KANTA_REFERRAL_VISIT_RATE = (2, 3600)
    now = timezone.now()
    address = ip_hash(FRIEND)
    referral_visit_record(link=link, device_id="a" * 24, ip_hash=address, now=now)
    referral_visit_record(link=link, device_id="b" * 24, ip_hash=address, now=now + timedelta(minutes=10))
    with pytest.raises(ReferralVisitLimited) as limited:
        referral_visit_record(link=link, device_id="c" * 24, ip_hash=address, now=now + timedelta(minutes=20))
    assert limited.value.retry_at == now + timedelta(hours=1)
    referral_visit_record(link=link, device_id="c" * 24, ip_hash=address, now=now + timedelta(minutes=61))
    assert ReferralVisit.objects.count() == 3


def test_sign_ups_past_the_per_address_cap_are_refused_with_429_and_create_nobody(db):
    per_minute = int(settings.ACCOUNT_RATE_LIMITS["signup"].split(",")[0].split("/")[0])
    for n in range(per_minute):
        assert sign_up(Client(), f"friend{n}").status_code == 302
    refused = sign_up(Client(), "one_too_many")
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "Too many sign-ups from your network address." in text
    assert "Try again after" in text
    assert not User.objects.filter(username="one_too_many").exists()
    assert User.objects.count() == per_minute
    # Another address signs up as usual.
    assert sign_up(Client(), "elsewhere", address="198.51.100.1").status_code == 302


def test_sign_ups_are_capped_per_hour_and_per_day_too():
    rates = settings.ACCOUNT_RATE_LIMITS["signup"].split(",")
    assert {rate.rsplit("/", 2)[1] for rate in rates} == {"m", "h", "d"}
    assert all(rate.endswith("/ip") for rate in rates)
