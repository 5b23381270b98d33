"""One-click unsubscribe (RFC 8058) and the email preferences page, reached from a marketing
email without signing in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from membership.campaigns.consent import (
    consent_set,
    preferences_url,
    unsubscribe_token,
    unsubscribe_token_member,
    unsubscribe_url,
)
from membership.models import User
from tests.factories import make_member

pytestmark = pytest.mark.django_db

ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def member() -> User:
    member = make_member("aino")
    consent_set(member=member, consent=True, now=timezone.now() - timedelta(days=30))
    member.refresh_from_db()
    return member


@pytest.fixture
def mail_provider() -> Client:
    # A mailbox provider: no cookies, no CSRF token, and Django's CSRF check switched on.
    return Client(enforce_csrf_checks=True)


def path_of(url: str) -> str:
    assert url.startswith("http://testserver/"), url
    return url.removeprefix("http://testserver")


def test_the_links_are_absolute_signed_and_stable(member):
    token = unsubscribe_token(member)
    assert unsubscribe_url(member) == f"http://testserver/email/unsubscribe/{token}/"
    assert preferences_url(member) == f"http://testserver/email/preferences/{token}/"
    assert unsubscribe_token(member) == token
    assert unsubscribe_token_member(token) == member
    assert unsubscribe_token_member(token + "x") is None
    other = make_member("eero")
    forged = f"{other.pk}:{token.split(':', 1)[1]}"
    assert unsubscribe_token_member(forged) is None


def test_get_shows_a_confirm_button_and_never_unsubscribes(client, member):
    response = client.get(path_of(unsubscribe_url(member)))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'method="post"' in html and "Unsubscribe" in html
    assert 'name="robots" content="noindex' in html
    client.head(path_of(unsubscribe_url(member)))
    member.refresh_from_db()
    assert member.marketing_consent is True


def test_one_click_post_unsubscribes_without_csrf_and_records_the_time(mail_provider, member):
    before = timezone.now()
    response = mail_provider.post(
        path_of(unsubscribe_url(member)), ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.marketing_consent is False
    assert member.marketing_consent_at >= before
    withdrawn_at = member.marketing_consent_at

    # Providers retry; a second one-click changes nothing and still answers 200.
    again = mail_provider.post(
        path_of(unsubscribe_url(member)), ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )
    assert again.status_code == 200
    member.refresh_from_db()
    assert member.marketing_consent is False and member.marketing_consent_at == withdrawn_at


def test_one_click_post_as_multipart_works_too(mail_provider, member):
    response = mail_provider.post(path_of(unsubscribe_url(member)), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.marketing_consent is False


def test_the_confirm_button_unsubscribes_and_shows_where_to_change_it(mail_provider, member):
    response = mail_provider.post(path_of(unsubscribe_url(member)), {"confirm": "1"})
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert (
        reverse("campaigns:preferences", kwargs={"token": unsubscribe_token(member)})
        in response.content.decode()
    )
    member.refresh_from_db()
    assert member.marketing_consent is False


def test_a_post_that_is_neither_one_click_nor_the_button_changes_nothing(mail_provider, member):
    response = mail_provider.post(path_of(unsubscribe_url(member)), {"List-Unsubscribe": "Something-Else"})
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.marketing_consent is True


@pytest.mark.parametrize("token", ["nonsense", "12:abc", "999999:forged-signature"])
def test_a_bad_token_answers_400_with_a_clear_page_and_changes_nothing(mail_provider, member, token):
    for method in ("get", "post"):
        response = getattr(mail_provider, method)(
            f"/email/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
        )
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    assert mail_provider.get(f"/email/preferences/{token}/").status_code == 400
    member.refresh_from_db()
    assert member.marketing_consent is True


def test_a_tampered_token_for_a_real_member_is_refused(mail_provider, member):
    token = unsubscribe_token(member)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = mail_provider.post(f"/email/unsubscribe/{tampered}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.marketing_consent is True


# --- preferences -------------------------------------------------------------------------------


def test_the_preferences_page_shows_the_members_choices(client, member):
    response = client.get(path_of(preferences_url(member)))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["marketing_consent"].value() is True
    assert form["service_email"].value() is True
    assert form["language"].value() == ""
    assert "csrfmiddlewaretoken" in response.content.decode()


def test_saving_preferences_redirects_with_a_message_and_records_consent(client, member):
    url = path_of(preferences_url(member))
    response = client.post(url, {"service_email": "on", "language": "en"}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "Your email preferences are saved." in response.content.decode()
    member.refresh_from_db()
    assert member.marketing_consent is False
    assert member.marketing_consent_at > timezone.now() - timedelta(minutes=1)
    assert member.service_email is True and member.language == "en"


def test_a_bad_language_is_a_field_error_and_nothing_is_saved(client, member):
    response = client.post(path_of(preferences_url(member)), {"language": "xx"})
    assert response.status_code == 200
    assert "language" in response.context["form"].errors
    assert "field__error" in response.content.decode()
    member.refresh_from_db()
    assert member.marketing_consent is True and member.service_email is True and member.language == ""


def test_the_preferences_form_needs_its_csrf_token(mail_provider, member):
    response = mail_provider.post(path_of(preferences_url(member)), {"language": "fi"})
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.language == ""


def test_the_pages_are_in_the_members_language(client, member):
    User.objects.filter(pk=member.pk).update(language="fi")
    response = client.get(path_of(preferences_url(member)), HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="fi">' in response.content.decode()


def test_preference_saves_are_rate_limited_per_member(client, member):
    url = path_of(preferences_url(member))
    statuses = [client.post(url, {"language": "xx"}).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429
