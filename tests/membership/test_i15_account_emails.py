"""Issue 15: every account email the project sends speaks with the site's name, never the
host and port it was reached on ("Hello from 127.0.0.1:8401! … Thank you for using
127.0.0.1:8401!"), in English and in Finnish; the account pages use the site's words."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from membership.models import User
from tests.factories import make_member

pytestmark = pytest.mark.django_db

HOST = "127.0.0.1:8401"
URL = re.compile(r"https?://\S+")


@pytest.fixture
def browser(client):
    """A client that reaches the site on a host with a port, as `make run` does."""
    client.defaults["HTTP_HOST"] = HOST
    return client


def speaks_with_the_site_name(message) -> None:
    site = settings.WAGTAIL_SITE_NAME
    assert site in message.subject, message.subject
    # Links carry the host, as they must; no other text may name it.
    text = URL.sub("<link>", message.body)
    assert site in text, text
    assert HOST not in text and "127.0.0.1" not in text, text
    assert HOST not in message.subject


def signup(client, *, email: str, username: str, language: str):
    return client.post(
        reverse("account_signup"),
        {"email": email, "username": username, "password1": "winter-tyres-9", "password2": "winter-tyres-9"},
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_sign_up_confirmation_names_the_site(browser, language):
    assert signup(browser, email="helmi@example.com", username="helmi", language=language).status_code == 302
    (message,) = mail.outbox
    speaks_with_the_site_name(message)
    assert "/accounts/confirm-email/" in message.body


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_account_already_exists_email_names_the_site(browser, language):
    make_member("aino", email="aino@example.com")
    assert signup(browser, email="aino@example.com", username="someone", language=language).status_code == 302
    (message,) = mail.outbox
    assert message.to == ["aino@example.com"]
    speaks_with_the_site_name(message)


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_password_reset_email_names_the_site(browser, language):
    member = make_member("aino", email="aino@example.com")
    User.objects.filter(pk=member.pk).update(language=language)
    response = browser.post(
        reverse("account_reset_password"), {"email": "aino@example.com"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    speaks_with_the_site_name(message)
    assert "/accounts/password/reset/key/" in message.body


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_unknown_account_email_names_the_site(browser, language):
    response = browser.post(
        reverse("account_reset_password"), {"email": "nobody@example.com"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["nobody@example.com"]
    speaks_with_the_site_name(message)
    assert "/accounts/signup/" in message.body


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_email_change_confirmation_names_the_site(browser, language):
    member = make_member("aino", email="aino@example.com")
    User.objects.filter(pk=member.pk).update(language=language)
    browser.force_login(member)
    response = browser.post(
        reverse("account_email"),
        {"action_add": "", "email": "aino.new@example.com"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["aino.new@example.com"]
    speaks_with_the_site_name(message)


def test_the_finnish_email_is_in_the_members_language(browser):
    """The English greeting is ours; once the lead translates it the Finnish email must not
    fall back to allauth's "Hello from" wording with the host."""
    member = make_member("aino", email="aino@example.com")
    User.objects.filter(pk=member.pk).update(language="fi")
    browser.post(reverse("account_reset_password"), {"email": "aino@example.com"}, HTTP_ACCEPT_LANGUAGE="fi")
    (message,) = mail.outbox
    assert "Terve palvelusta" not in message.body  # allauth's Finnish "Hello from {site}!"


@pytest.mark.parametrize(
    ("name", "words", "not_words"),
    [
        (
            "account_login",
            ["Log in", "Remember me", "Forgot your password?", "Join"],
            ["Sign In", "Remember Me"],
        ),
        ("account_signup", ["Join", "Log in"], ["Sign Up", "Signup"]),
        ("account_reset_password", ["Forgot your password?", "Log in"], ["Password Reset"]),
        ("account_reset_password_done", ["Check your email"], ["Password Reset"]),
    ],
)
def test_the_account_pages_use_the_sites_words(client, name, words, not_words):
    page = client.get(reverse(name)).content.decode()
    for word in words:
        assert word in page, (name, word)
    for word in not_words:
        assert word not in page, (name, word)
    assert settings.WAGTAIL_SITE_NAME in page
