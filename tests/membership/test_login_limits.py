"""Sign-in limits: one address cannot lock anybody out elsewhere, a right password gets
through a per-address limit that only failures count toward, and every refusal answers 429
with the form and when to try again (membership/account_limits.py)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db

OFFICE = "203.0.113.5"  # one address shared by many people
HOME = "198.51.100.9"
TRY_AGAIN = re.compile(r"Try again after \d\d:\d\d \(in \d+ minutes?\)\.")


@pytest.fixture
def aino(db):
    return make_member("aino", email="aino@example.com")


@pytest.fixture
def eero(db):
    return make_member("eero", email="eero@example.com")


def attempt(client: Client, login: str, password: str, address: str):
    return client.post(reverse("account_login"), {"login": login, "password": password}, REMOTE_ADDR=address)


def signed_in(client: Client) -> bool:
    return client.get(reverse("membership:profile_settings")).status_code == 200


def test_failures_on_one_account_do_not_stop_another_accounts_sign_in_from_that_address(aino, eero):
    statuses = [attempt(Client(), "aino", "wrong-password", OFFICE).status_code for _ in range(12)]
    # Five wrong passwords are answered as such; then the pair (aino, this address) waits.
    assert statuses == [200] * 5 + [429] * 7
    client = Client()
    response = attempt(client, "eero", PASSWORD, OFFICE)
    assert response.status_code == 302
    assert signed_in(client)


def test_failures_from_one_address_do_not_lock_the_account_elsewhere(aino):
    for _ in range(5):
        assert attempt(Client(), "aino@example.com", "wrong-password", OFFICE).status_code == 200
    # From the office even the right password waits, and the form says until when.
    refused = attempt(Client(), "aino", PASSWORD, OFFICE)
    assert refused.status_code == 429
    assert refused.context["form"].has_error("__all__", code="too_many_login_attempts")
    text = refused.content.decode()
    assert "Too many failed sign-ins to this account from your network address." in text
    assert TRY_AGAIN.search(text)
    assert 'name="password"' in text  # the form is there to try again later
    # From home the right password signs in at once.
    client = Client()
    assert attempt(client, "AINO", PASSWORD, HOME).status_code == 302
    assert signed_in(client)


def test_username_and_email_of_one_account_share_one_count(aino):
    for login in ["aino", "Aino@Example.com", "AINO", "aino@example.com", "aino"]:
        assert attempt(Client(), login, "wrong-password", OFFICE).status_code == 200
    assert attempt(Client(), "aino@example.com", PASSWORD, OFFICE).status_code == 429


def test_right_password_gets_through_after_the_address_failure_limit(aino, eero):
    # Ten wrong passwords for ten different names (a neighbour guessing) fill the office's
    # failure limit without touching any account's own count.
    for n in range(10):
        assert attempt(Client(), f"ghost{n}", "wrong-password", OFFICE).status_code == 200
    refused = attempt(Client(), "eero", "wrong-password", OFFICE)
    assert refused.status_code == 429
    assert "Too many wrong passwords from your network address." in refused.content.decode()
    assert TRY_AGAIN.search(refused.content.decode())
    # Aino, in the same office, types her password right and is in.
    client = Client()
    assert attempt(client, "aino", PASSWORD, OFFICE).status_code == 302
    assert signed_in(client)


def test_every_attempt_limit_answers_429_with_the_login_form(settings, aino):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    for _ in range(3):
        client = Client()
        assert attempt(client, "aino", PASSWORD, OFFICE).status_code == 302
    refused = attempt(Client(), "aino", PASSWORD, OFFICE)
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "Too many sign-in attempts from your network address." in text
    assert TRY_AGAIN.search(text)
    assert 'name="password"' in text and 'value="aino"' in text
    # Another address is not affected.
    assert attempt(Client(), "aino", PASSWORD, HOME).status_code == 302


def test_wrong_password_under_the_limits_is_an_ordinary_form_error(aino):
    response = attempt(Client(), "aino", "wrong-password", OFFICE)
    assert response.status_code == 200
    assert not response.context["form"].has_error("__all__", code="too_many_login_attempts")
    assert response.context["form"].errors
