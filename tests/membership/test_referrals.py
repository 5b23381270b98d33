"""Referral links, visits and attribution through sign-up, and the self-referral checks made
when the friend signs up."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from membership.devices import ATTRIBUTION_COOKIE, DEVICE_COOKIE, ip_hash
from membership.models import MemberFingerprint, Referral, ReferralVisit, User
from membership.services.referrals import (
    email_normalise,
    member_fingerprint_record,
    member_fingerprints_prune,
    referral_attribute,
    referral_link_get_or_create,
    referral_visit_record,
)
from tests.factories import PASSWORD, make_member
from tests.membership.referral_factories import pay, refer

pytestmark = pytest.mark.django_db

State, Reason = Referral.State, Referral.Reason


@pytest.fixture
def aino(db):
    return make_member("aino", email="aino@example.com", display_name="Aino Virtanen")


def sign_up(client: Client, username: str, email: str | None = None, **extra):
    return client.post(
        reverse("account_signup"),
        {
            "email": email or f"{username}@example.org",
            "username": username,
            "password1": "winter-tyres-9",
            "password2": "winter-tyres-9",
        },
        **extra,
    )


def log_in(client: Client, username: str, **extra) -> None:
    response = client.post(reverse("account_login"), {"login": username, "password": PASSWORD}, **extra)
    assert response.status_code == 302


# --- Links ------------------------------------------------------------------------------


def test_link_is_made_once_with_a_random_url_safe_code(aino):
    link = referral_link_get_or_create(member=aino)
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,12}", link.code)
    assert referral_link_get_or_create(member=aino) == link
    others = {referral_link_get_or_create(member=make_member(f"member{n}")).code for n in range(20)}
    assert len(others | {link.code}) == 21
    assert reverse("membership:referral", kwargs={"code": link.code}) == f"/r/{link.code}/"


# --- Visits -----------------------------------------------------------------------------


def test_visit_is_recorded_with_a_device_cookie_and_a_hashed_ip(client, aino):
    code = referral_link_get_or_create(member=aino).code
    response = client.get(f"/r/{code}/", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_signup")

    device = response.cookies[DEVICE_COOKIE]
    assert device["httponly"] and device["samesite"] == "Lax"
    assert int(device["max-age"]) >= 365 * 24 * 3600
    attribution = response.cookies[ATTRIBUTION_COOKIE]
    assert attribution["httponly"] and attribution["samesite"] == "Lax"
    assert int(attribution["max-age"]) == 30 * 24 * 3600

    visit = ReferralVisit.objects.get()
    assert visit.link.member == aino
    assert visit.device_id == device.value
    assert visit.ip_hash == ip_hash("203.0.113.7") != "203.0.113.7"
    assert "203.0.113.7" not in visit.ip_hash

    # The same browser keeps its device id.
    again = client.get(f"/r/{code}/")
    assert DEVICE_COOKIE not in again.cookies
    assert ReferralVisit.objects.filter(device_id=device.value).count() == 2


def test_visitor_is_told_who_invited_them(client, aino):
    code = referral_link_get_or_create(member=aino).code
    page = client.get(f"/r/{code}/", follow=True)
    assert page.status_code == 200
    assert "Aino Virtanen invited you" in page.content.decode()


def test_unknown_code_and_inactive_referrer_are_404(client, aino):
    assert client.get("/r/nosuchcode/").status_code == 404
    code = referral_link_get_or_create(member=aino).code
    aino.is_active = False
    aino.save()
    assert client.get(f"/r/{code}/").status_code == 404
    assert not ReferralVisit.objects.exists()


def test_signed_in_visitors_go_home_and_are_seen_on_that_device(client, aino):
    code = referral_link_get_or_create(member=aino).code
    client.force_login(aino)
    response = client.get(f"/r/{code}/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert ATTRIBUTION_COOKIE not in response.cookies
    assert "your own invitation link" in str(next(iter(get_messages(response.wsgi_request))))
    device = response.cookies[DEVICE_COOKIE].value
    assert MemberFingerprint.objects.filter(member=aino, device_id=device).exists()

    eero = make_member("eero")
    client.force_login(eero)
    response = client.get(f"/r/{code}/")
    assert response["Location"] == "/"
    assert "already one of us" in str(list(get_messages(response.wsgi_request))[-1])


# --- Attribution through sign-up ----------------------------------------------------------


def test_sign_up_through_the_link_creates_the_referral(client, aino):
    code = referral_link_get_or_create(member=aino).code
    client.get(f"/r/{code}/", REMOTE_ADDR="203.0.113.7")
    response = sign_up(client, "kalle", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    kalle = User.objects.get(username="kalle")
    referral = Referral.objects.get()
    assert (referral.referrer, referral.friend, referral.state) == (aino, kalle, State.SIGNED_UP)
    assert referral.visit == ReferralVisit.objects.get()
    # Used once: the cookie goes, and the friend's device is remembered.
    assert response.cookies[ATTRIBUTION_COOKIE].value == ""
    assert MemberFingerprint.objects.filter(member=kalle, ip_hash=ip_hash("203.0.113.7")).exists()


def test_sign_up_without_the_link_or_with_a_forged_cookie_refers_nobody(client, aino):
    sign_up(client, "kalle")
    client.cookies[ATTRIBUTION_COOKIE] = f"{referral_link_get_or_create(member=aino).code}:1"
    sign_up(client, "ville")
    assert not Referral.objects.exists()


def test_attribution_lasts_30_days(aino):
    code = referral_link_get_or_create(member=aino).code
    start = timezone.now()
    within, too_late = Client(), Client()
    with time_machine.travel(start, tick=False):
        within.get(f"/r/{code}/", REMOTE_ADDR="203.0.113.7")
        too_late.get(f"/r/{code}/", REMOTE_ADDR="203.0.113.8")
    with time_machine.travel(start + timedelta(days=29, hours=23), tick=False):
        sign_up(within, "kalle", REMOTE_ADDR="203.0.113.7")
    with time_machine.travel(start + timedelta(days=30, minutes=1), tick=False):
        sign_up(too_late, "ville", REMOTE_ADDR="203.0.113.8")
    assert list(Referral.objects.values_list("friend__username", flat=True)) == ["kalle"]


def test_an_old_visit_does_not_attribute_even_with_a_fresh_cookie(aino):
    now = timezone.now()
    link = referral_link_get_or_create(member=aino)
    visit = referral_visit_record(link=link, device_id="", ip_hash="", now=now - timedelta(days=31))
    kalle = make_member("kalle")
    assert referral_attribute(friend=kalle, code=link.code, visit_id=visit.pk, now=now) is None


# --- Self-referral at sign-up -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Aino@Example.com", "aino@example.com"),
        ("aino+bikes@example.com", "aino@example.com"),
        ("a.i.n.o+x@gmail.com", "aino@gmail.com"),
        ("A.Ino@GoogleMail.com", "aino@gmail.com"),
        ("a.ino@example.com", "a.ino@example.com"),  # dots matter outside Gmail
    ],
)
def test_email_normalisation(raw, normalised):
    assert email_normalise(raw) == normalised


@pytest.mark.parametrize(
    ("referrer_email", "friend_email"),
    [
        ("aino@example.com", "aino+second@example.com"),
        ("aino.virtanen@gmail.com", "ainovirtanen@gmail.com"),
        ("aino.virtanen@gmail.com", "Aino.Virtanen+deals@googlemail.com"),
    ],
)
def test_same_person_by_email_is_refused(referrer_email, friend_email):
    now = timezone.now()
    referrer = make_member("aino", email=referrer_email)
    referral = refer(referrer, "aino2", email=friend_email, now=now)
    assert (referral.state, referral.reason) == (State.REFUSED, Reason.SAME_EMAIL)
    assert friend_email in referral.detail


def test_a_second_address_of_the_referrer_counts_too(aino):
    EmailAddress.objects.create(user=aino, email="aino.v@gmail.com", verified=True)
    referral = refer(aino, "other", email="ainov+x@gmail.com", now=timezone.now())
    assert referral.reason == Reason.SAME_EMAIL


def test_same_device_as_the_referrer_is_flagged(client, aino):
    code = referral_link_get_or_create(member=aino).code
    log_in(client, "aino", REMOTE_ADDR="198.51.100.1")
    client.post(reverse("account_logout"))
    client.get(f"/r/{code}/", REMOTE_ADDR="203.0.113.7")
    sign_up(client, "kalle", REMOTE_ADDR="203.0.113.7")
    referral = Referral.objects.get()
    assert (referral.state, referral.reason) == (State.FLAGGED, Reason.SAME_DEVICE)
    assert referral.detail


def test_same_ip_as_the_referrer_is_flagged(aino):
    code = referral_link_get_or_create(member=aino).code
    log_in(Client(), "aino", REMOTE_ADDR="198.51.100.1")
    friend = Client()
    friend.get(f"/r/{code}/", REMOTE_ADDR="198.51.100.1")
    response = sign_up(friend, "kalle", REMOTE_ADDR="198.51.100.1")
    referral = Referral.objects.get()
    assert (referral.state, referral.reason) == (State.FLAGGED, Reason.SAME_IP)
    # The friend is told nothing about it.
    page = friend.get(response["Location"]).content.decode().lower()
    assert "flag" not in page and "referr" not in page and "not eligible" not in page


def test_devices_older_than_30_days_do_not_count(aino):
    now = timezone.now()
    member_fingerprint_record(
        member=aino, device_id="d" * 32, ip_hash=ip_hash("198.51.100.1"), now=now - timedelta(days=31)
    )
    referral = refer(aino, "kalle", now=now, device_id="d" * 32, ip="198.51.100.1")
    assert referral.state == State.SIGNED_UP


def test_an_existing_customer_is_refused(aino):
    now = timezone.now()
    pay("Kalle@Example.com", "80", now=now - timedelta(days=90))
    referral = refer(aino, "kalle", email="kalle@example.com", now=now)
    assert (referral.state, referral.reason) == (State.REFUSED, Reason.EXISTING_CUSTOMER)


def test_refusal_wins_over_a_flag(aino):
    now = timezone.now()
    member_fingerprint_record(member=aino, device_id="d" * 32, ip_hash="", now=now)
    referral = refer(aino, "aino2", email="aino+2@example.com", now=now, device_id="d" * 32)
    assert referral.reason == Reason.SAME_EMAIL


# --- Fingerprints -------------------------------------------------------------------------


def test_logging_in_records_one_fingerprint_per_device_and_address(aino):
    browser = Client()
    for _ in range(3):
        log_in(browser, "aino", REMOTE_ADDR="198.51.100.1")
        browser.post(reverse("account_logout"))
    log_in(browser, "aino", REMOTE_ADDR="198.51.100.2")
    rows = MemberFingerprint.objects.filter(member=aino)
    assert rows.count() == 2
    assert (
        len({row.device_id for row in rows}) == 1
        and rows[0].device_id == browser.cookies[DEVICE_COOKIE].value
    )


def test_fingerprints_older_than_30_days_are_pruned(aino):
    now = timezone.now()
    member_fingerprint_record(member=aino, device_id="old" * 8, ip_hash="", now=now - timedelta(days=31))
    member_fingerprint_record(member=aino, device_id="new" * 8, ip_hash="", now=now - timedelta(days=29))
    assert member_fingerprints_prune(now=now) == 1
    assert list(MemberFingerprint.objects.values_list("device_id", flat=True)) == ["new" * 8]


def test_referral_jobs_are_registered():
    from hub.jobs import periodic_jobs

    names = {job.name for job in periodic_jobs()}
    assert {"convert referrals", "prune member fingerprints"} <= names


def test_an_existing_customers_order_reported_late_still_refuses(aino):
    now = timezone.now()
    referral = refer(aino, "kalle", now=now)
    pay("kalle@example.com", "80", now=now + timedelta(hours=1), created_at=now - timedelta(days=2))
    referral.refresh_from_db()
    assert (referral.state, referral.reason) == (State.REFUSED, Reason.EXISTING_CUSTOMER)
