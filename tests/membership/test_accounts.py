"""Accounts through django-allauth, exercised the way a member uses them."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from membership.models import User
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/\S+)")


def link_in_last_email() -> str:
    assert mail.outbox, "no email was sent"
    match = LINK.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_sign_up_verify_and_land_logged_in(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "Helmi@Example.com",
            "username": "helmi",
            "password1": "winter-tyres-9",
            "password2": "winter-tyres-9",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="helmi")
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert "helmi" in mail.outbox[0].to[0].lower()

    # Mandatory verification: not signed in until the link is followed.
    assert client.get(reverse("membership:profile_settings")).status_code == 302
    confirm_path = link_in_last_email()
    page = client.get(confirm_path)
    assert page.status_code == 200
    assert b"helmi@example.com" in page.content.lower()
    response = client.post(confirm_path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("membership:profile_settings")).status_code == 200


def test_sign_up_errors_are_shown_and_nothing_is_created(client):
    make_member("aino", email="aino@example.com")
    response = client.post(
        reverse("account_signup"),
        {"email": "not-an-email", "username": "AINO", "password1": "short", "password2": "other"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert {"email", "username", "password1"} <= set(form.errors)
    assert b"field__error" in response.content
    assert User.objects.count() == 1
    assert not mail.outbox


def test_sign_up_with_a_taken_email_reveals_nothing_and_tells_the_owner(client):
    make_member("aino", email="aino@example.com")
    response = client.post(
        reverse("account_signup"),
        {
            "email": "AINO@example.com",
            "username": "someone",
            "password1": "winter-tyres-9",
            "password2": "winter-tyres-9",
        },
    )
    # The same answer as a fresh sign-up, so nobody can probe which emails are members…
    assert response.status_code == 302
    assert User.objects.count() == 1
    # …while the real owner learns that someone tried.
    assert mail.outbox[-1].to == ["aino@example.com"]


@pytest.mark.parametrize("login", ["aino", "aino@example.com", "AINO@EXAMPLE.COM"])
def test_log_in_by_username_or_email(client, login):
    make_member("aino", email="aino@example.com")
    response = client.post(reverse("account_login"), {"login": login, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("membership:profile_settings")).status_code == 200


def test_log_out_requires_post_and_ends_the_session(client, member):
    client.force_login(member)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert client.get(reverse("membership:profile_settings")).status_code == 302


def test_password_reset_by_email_link(client, member):
    response = client.post(reverse("account_reset_password"), {"email": member.email})
    assert response.status_code == 302
    reset_path = link_in_last_email()
    response = client.get(reset_path, follow=True)
    assert response.status_code == 200
    set_password_path = response.redirect_chain[-1][0] if response.redirect_chain else reset_path
    response = client.post(
        set_password_path, {"password1": "new-fell-runner-7", "password2": "new-fell-runner-7"}
    )
    assert response.status_code == 302
    client.logout()
    assert client.login(username="aino", password="new-fell-runner-7")
    assert not client.login(username="aino", password=PASSWORD)


def test_change_email_needs_verification_of_the_new_address(client, member):
    client.force_login(member)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "aino.new@example.com"})
    assert response.status_code == 302
    pending = EmailAddress.objects.get(email="aino.new@example.com")
    assert not pending.verified
    client.post(link_in_last_email())
    pending.refresh_from_db()
    assert pending.verified


def test_failed_logins_are_rate_limited(client, member):
    for _ in range(5):
        response = client.post(reverse("account_login"), {"login": "aino", "password": "wrong-password"})
        assert response.status_code == 200
    # The sixth attempt is refused even with the right password, with a clear message.
    response = client.post(reverse("account_login"), {"login": "aino", "password": PASSWORD})
    assert response.status_code in {200, 429}
    assert b"Too many" in response.content or response.status_code == 429
    assert client.get(reverse("membership:profile_settings")).status_code == 302


def test_account_pages_use_the_site_layout(client):
    for name in ["account_login", "account_signup", "account_reset_password"]:
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert b'class="site-header"' in response.content, name
        assert b"csrfmiddlewaretoken" in response.content


def test_verifying_the_email_earns_the_sign_up_points_once(client):
    from membership.models import MemberStanding

    client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "username": "newbie",
            "password1": "winter-tyres-9",
            "password2": "winter-tyres-9",
        },
    )
    client.post(link_in_last_email())
    user = User.objects.get(username="newbie")
    assert MemberStanding.objects.get(member=user).spendable_points == 20
    # A second address confirmed later earns nothing more.
    client.post(reverse("account_email"), {"action_add": "", "email": "second@example.com"})
    client.post(link_in_last_email())
    assert MemberStanding.objects.get(member=user).spendable_points == 20
