"""The welcome campaign: a member who opted in at sign-up gets the welcome message as soon as
they verify their address (tasks run inline under the test settings); one who did not opt in
gets nothing, and nobody gets it twice."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from membership.campaigns.lifecycle import welcome_enter
from membership.campaigns.models import Campaign, CampaignRecipient
from membership.models import User
from tests.membership.campaigns.lifecycle_factories import lifecycle

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/\S+)")
WELCOME = Campaign.Trigger.WELCOME


def sign_up(client, username: str, *, consent: bool) -> User:
    data = {
        "email": f"{username}@example.com",
        "username": username,
        "password1": "winter-tyres-9",
        "password2": "winter-tyres-9",
    }
    if consent:
        data["marketing_consent"] = "on"
    assert client.post(reverse("account_signup"), data).status_code == 302
    return User.objects.get(username=username)


def verify(client, capture) -> None:
    match = LINK.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    mail.outbox.clear()
    with capture(execute=True):
        assert client.post(match.group(1)).status_code == 302


def test_an_opted_in_member_gets_the_welcome_email_at_verification(
    client, django_capture_on_commit_callbacks
):
    campaign = lifecycle(WELCOME)
    member = sign_up(client, "helmi", consent=True)
    assert member.marketing_consent
    assert not CampaignRecipient.objects.filter(campaign=campaign).exists()

    verify(client, django_capture_on_commit_callbacks)

    assert EmailAddress.objects.get(user=member).verified
    row = CampaignRecipient.objects.get(campaign=campaign, member=member)
    assert (row.occurrence, row.group, row.state, row.emailed) == ("welcome", "treatment", "sent", True)
    assert [message.to for message in mail.outbox] == [["helmi@example.com"]]
    assert mail.outbox[0].subject == "Hello helmi"


def test_a_member_who_did_not_opt_in_gets_no_welcome_email(client, django_capture_on_commit_callbacks):
    campaign = lifecycle(WELCOME)
    member = sign_up(client, "eila", consent=False)

    verify(client, django_capture_on_commit_callbacks)

    # Entered (the report counts them), judged at send time: no consent, no email.
    row = CampaignRecipient.objects.get(campaign=campaign, member=member)
    assert (row.state, row.skip_reason, row.emailed) == ("skipped", "no_consent", False)
    assert mail.outbox == []


def test_a_paused_welcome_campaign_enters_nobody(client, django_capture_on_commit_callbacks):
    campaign = lifecycle(WELCOME, state=Campaign.State.PAUSED)
    sign_up(client, "helmi", consent=True)

    verify(client, django_capture_on_commit_callbacks)

    assert not CampaignRecipient.objects.filter(campaign=campaign).exists()
    assert mail.outbox == []


def test_a_second_address_verified_later_sends_no_second_welcome(client, django_capture_on_commit_callbacks):
    campaign = lifecycle(WELCOME)
    member = sign_up(client, "helmi", consent=True)
    verify(client, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1

    client.post(reverse("account_email"), {"action_add": "", "email": "second@example.com"})
    verify(client, django_capture_on_commit_callbacks)

    assert CampaignRecipient.objects.filter(campaign=campaign, member=member).count() == 1
    assert mail.outbox == []
    assert welcome_enter(member=member) is None


def test_a_long_standing_member_verifying_an_address_is_not_new(member):
    lifecycle(WELCOME)
    User.objects.filter(pk=member.pk).update(date_joined=member.date_joined.replace(year=2020))
    member.refresh_from_db()

    assert welcome_enter(member=member) is None
