"""Members read in their saved language: the site for a signed-in member, and every
notification and email built for them, whoever or whatever triggered it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from community.events.services import rsvps as event_services
from content.events import EventAccess
from membership.languages import in_member_language, member_language, member_language_set
from membership.models import Notification, Tier, User
from membership.services.points import points_grant, points_warn_expiring
from membership.services.tiers import tier_reached_notify
from tests.community.event_factories import make_event
from tests.community.forum_factories import forum_member
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def finnish(username: str, **kwargs) -> User:
    member = make_member(username, **kwargs)
    member_language_set(member=member, language="fi")
    return member


def test_member_language_falls_back_to_the_site_language():
    member = make_member("aino")
    assert member_language(member) == "en"
    member.language = "fi"
    assert member_language(member) == "fi"
    member.language = "sv"  # saved once, no longer offered
    assert member_language(member) == "en"
    with override_settings(LANGUAGE_CODE="fi"):
        member.language = ""
        assert member_language(member) == "fi"


def test_in_member_language_translates_inside_and_restores_after():
    member = finnish("aino")
    translation.activate("en")
    with in_member_language(member) as language:
        assert language == "fi"
        assert translation.gettext("Profile settings") == "Profiilin asetukset"
    assert translation.get_language() == "en"
    with pytest.raises(ValueError, match="Unknown language"):
        member_language_set(member=member, language="xx")


def test_a_finnish_member_gets_the_points_warning_in_finnish_while_the_site_is_english():
    translation.activate("en")
    member, english = finnish("aino"), make_member("eero")
    start = timezone.now() - timedelta(days=400)
    for who in (member, english):
        points_grant(member=who, rule_key="review", idempotency_key=f"old:{who.pk}", now=start)
    assert points_warn_expiring(now=start + timedelta(days=340)) == 2
    titles = dict(
        Notification.objects.filter(kind="points-expiring").values_list("recipient__username", "title")
    )
    assert "pistettä vanhenee" in titles["aino"]
    assert "points expire on" in titles["eero"]
    assert translation.get_language() == "en"


def test_a_finnish_member_gets_the_tier_notification_and_email_in_finnish(django_capture_on_commit_callbacks):
    translation.activate("en")
    member = finnish("aino")
    tier = Tier.objects.exclude(threshold=0).order_by("threshold").first()
    with django_capture_on_commit_callbacks(execute=True):
        tier_reached_notify(member=member, tier=tier)
    assert Notification.objects.get(recipient=member).title == f"Saavutit tason {tier.name}!"
    assert mail.outbox[-1].subject == f"Saavutit tason {tier.name}!"
    assert mail.outbox[-1].body.startswith(f"Hei {member.name},")


def test_a_finnish_member_gets_the_event_reminder_in_finnish(django_capture_on_commit_callbacks):
    translation.activate("en")
    starts = timezone.now() + timedelta(days=3)
    event = make_event(access=EventAccess.MEMBERS, starts_at=starts)
    member = forum_member("aino")
    member_language_set(member=member, language="fi")
    english = forum_member("eero")
    for who in (member, english):
        event_services.rsvp_set(member=who, event=event, going=True)
    with time_machine.travel(starts - timedelta(hours=23)), django_capture_on_commit_callbacks(execute=True):
        assert event_services.event_reminders_send() == 2
    by_recipient = {message.to[0]: message for message in mail.outbox}
    finnish_email, english_email = by_recipient[member.email], by_recipient[english.email]
    assert finnish_email.subject == f"”{event.title}” on huomenna"
    assert "Hei aino," in finnish_email.body and "Live-huone:" in finnish_email.body
    assert english_email.subject == f"“{event.title}” is tomorrow"
    assert "The live room:" in english_email.body
    titles = dict(
        Notification.objects.filter(kind="event-reminder").values_list("recipient__username", "title")
    )
    assert titles == {"aino": finnish_email.subject, "eero": english_email.subject}


# --- the site itself ---------------------------------------------------------------------------


def test_a_signed_in_member_reads_the_site_in_their_saved_language(client):
    member = finnish("aino")
    client.force_login(member)
    page = client.get(reverse("membership:profile_settings"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert '<html lang="fi">' in html and "Profiilin asetukset" in html


def test_a_member_without_a_saved_language_follows_the_browser(client):
    client.force_login(make_member("aino"))
    page = client.get(reverse("membership:profile_settings"), HTTP_ACCEPT_LANGUAGE="fi")
    assert '<html lang="fi">' in page.content.decode()
    page = client.get(reverse("membership:profile_settings"), HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en">' in page.content.decode()


def test_switching_language_with_set_language_saves_the_members_preference(client):
    member = make_member("aino")
    client.force_login(member)
    response = client.post(reverse("set_language"), {"language": "fi", "next": "/"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.language == "fi"
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    member.refresh_from_db()
    assert member.language == "fi"
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    member.refresh_from_db()
    assert member.language == "en"


def test_an_anonymous_language_switch_saves_nothing_and_still_works(client):
    response = client.post(reverse("set_language"), {"language": "fi", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "fi"


def test_account_emails_follow_the_members_saved_language(client):
    finnish("aino", email="aino@example.com")
    make_member("eero", email="eero@example.com")
    for address in ("aino@example.com", "eero@example.com"):
        response = client.post(
            reverse("account_reset_password"), {"email": address}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 302
    by_recipient = {message.to[0]: message for message in mail.outbox}
    finnish_email, english_email = by_recipient["aino@example.com"], by_recipient["eero@example.com"]
    # The subject is the project's own (templates/account/email/), translated in our catalogue.
    with translation.override("fi"):
        expected = translation.gettext("Choose a new password")
    assert expected != "Choose a new password"
    assert expected in finnish_email.subject
    assert "Choose a new password" in english_email.subject
