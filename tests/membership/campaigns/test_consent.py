"""Marketing consent and suppression: the sign-up checkbox, the profile settings, the rules
that decide who may be emailed (consent.py), and the email provider's webhooks."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from django.urls import reverse
from django.utils import timezone

from membership.campaigns.consent import (
    block_reasons,
    consent_set,
    email_suppressed,
    marketing_block_reason,
    service_block_reason,
    suppress_email,
)
from membership.campaigns.models import Campaign, CampaignRecipient, EmailSuppression, MessageTemplate
from membership.models import User
from tests.factories import make_member
from tests.membership.shop import order_payload, post_order

pytestmark = pytest.mark.django_db

SIGNUP = {"username": "helmi", "password1": "winter-tyres-9", "password2": "winter-tyres-9"}


# --- sign-up -------------------------------------------------------------------------------


def test_the_sign_up_form_has_a_separate_unticked_marketing_consent(client):
    page = client.get(reverse("account_signup"))
    assert page.status_code == 200
    field = page.context["form"]["marketing_consent"]
    assert field.value() is False and not field.field.required
    html = str(field)
    assert 'name="marketing_consent"' in html and "checked" not in html


def test_signing_up_without_the_box_gives_no_consent(client):
    response = client.post(reverse("account_signup"), {**SIGNUP, "email": "helmi@example.com"})
    assert response.status_code == 302
    member = User.objects.get(username="helmi")
    assert member.marketing_consent is False
    assert member.marketing_consent_at is None


def test_ticking_the_box_at_sign_up_records_consent_and_its_time(client):
    before = timezone.now()
    response = client.post(
        reverse("account_signup"), {**SIGNUP, "email": "helmi@example.com", "marketing_consent": "on"}
    )
    assert response.status_code == 302
    member = User.objects.get(username="helmi")
    assert member.marketing_consent is True
    assert member.marketing_consent_at is not None and member.marketing_consent_at >= before


def test_signing_up_in_finnish_saves_finnish_as_the_members_language(client):
    client.cookies["django_language"] = "fi"
    client.post(reverse("account_signup"), {**SIGNUP, "email": "helmi@example.com"})
    assert User.objects.get(username="helmi").language == "fi"


# --- profile settings ------------------------------------------------------------------------


def _settings_post(**overrides):
    data = {
        "display_name": "Aino",
        "bio": "",
        "show_on_leaderboard": "on",
        "service_email": "on",
        "language": "",
        "birth_day": "",
        "birth_month": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_profile_settings_save_consent_language_reminders_and_birthday(client):
    member = make_member("aino")
    client.force_login(member)
    page = client.get(reverse("membership:profile_settings"))
    assert 'name="marketing_consent"' in page.content.decode()
    assert page.context["form"]["marketing_consent"].value() is False

    response = client.post(
        reverse("membership:profile_settings"),
        _settings_post(
            marketing_consent="on", service_email=None, language="fi", birth_day="29", birth_month="2"
        ),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.marketing_consent is True and member.marketing_consent_at is not None
    assert member.service_email is False
    assert member.language == "fi"
    assert (member.birth_day, member.birth_month) == (29, 2)


@pytest.mark.parametrize(
    ("day", "month", "field"),
    [("31", "2", "birth_day"), ("31", "4", "birth_day"), ("12", "", "birth_month"), ("", "5", "birth_day")],
)
def test_an_impossible_or_half_birthday_is_a_field_error(client, day, month, field):
    member = make_member("aino")
    client.force_login(member)
    response = client.post(
        reverse("membership:profile_settings"), _settings_post(birth_day=day, birth_month=month)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "field__error" in response.content.decode()
    member.refresh_from_db()
    assert (member.birth_day, member.birth_month) == (None, None)


def test_an_unknown_language_in_profile_settings_is_a_field_error(client):
    member = make_member("aino")
    client.force_login(member)
    response = client.post(reverse("membership:profile_settings"), _settings_post(language="xx"))
    assert response.status_code == 200
    assert "language" in response.context["form"].errors
    member.refresh_from_db()
    assert member.language == ""


# --- the rules -------------------------------------------------------------------------------


def consenting(username: str, **kwargs) -> User:
    member = make_member(username, **kwargs)
    consent_set(member=member, consent=True)
    return member


def test_consent_set_records_the_time_it_changed_and_keeps_it_when_repeated():
    member = make_member("aino")
    given = timezone.now() - timedelta(days=3)
    assert consent_set(member=member, consent=True, now=given) is True
    assert consent_set(member=member, consent=True, now=given + timedelta(days=1)) is False
    member.refresh_from_db()
    assert member.marketing_consent is True and member.marketing_consent_at == given
    withdrawn = given + timedelta(days=2)
    assert consent_set(member=member, consent=False, now=withdrawn) is True
    member.refresh_from_db()
    assert member.marketing_consent is False and member.marketing_consent_at == withdrawn


def test_a_consenting_verified_member_may_get_marketing():
    assert marketing_block_reason(consenting("aino")) is None


def test_each_marketing_block_reason(client):
    no_consent = make_member("nocon")
    assert marketing_block_reason(no_consent) == "no_consent"

    unverified = consenting("unver", verified=False)
    assert marketing_block_reason(unverified) == "unverified"

    inactive = consenting("closed")
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    inactive.refresh_from_db()
    assert marketing_block_reason(inactive) == "inactive"

    no_email = consenting("noemail")
    User.objects.filter(pk=no_email.pk).update(email="")
    no_email.refresh_from_db()
    assert marketing_block_reason(no_email) == "no_email"

    bounced = consenting("bounced", email="Bounced@Example.com")
    suppress_email(email="  bounced@example.COM ", reason=EmailSuppression.Reason.BOUNCED)
    assert marketing_block_reason(bounced) == "suppressed"

    refunding = consenting("refund")
    # The shop's webhook reports a refund requested and not yet settled.
    response = post_order(
        client, order_payload("R-1", email=refunding.email, total="50.00", refund_pending=True)
    )
    assert response.status_code == 201 and response.json()["linked"] is True
    assert marketing_block_reason(refunding) == "refund_pending"
    # A service reminder is not held back by a refund or by missing marketing consent.
    assert service_block_reason(refunding) is None
    assert service_block_reason(no_consent) is None
    assert service_block_reason(bounced) == "suppressed"
    assert service_block_reason(unverified) == "unverified"

    everyone = [no_consent, unverified, inactive, no_email, bounced, refunding]
    assert block_reasons(everyone, marketing=True) == {m.pk: marketing_block_reason(m) for m in everyone}
    assert block_reasons(everyone, marketing=False) == {m.pk: service_block_reason(m) for m in everyone}


def test_service_email_off_blocks_reminders_but_not_marketing():
    member = consenting("aino")
    User.objects.filter(pk=member.pk).update(service_email=False)
    member.refresh_from_db()
    assert service_block_reason(member) == "service_email_off"
    assert marketing_block_reason(member) is None


def test_suppression_is_normalised_and_idempotent():
    first = suppress_email(email="Aino@Example.com", reason=EmailSuppression.Reason.BOUNCED, detail="550")
    again = suppress_email(email="aino@example.com ", reason=EmailSuppression.Reason.COMPLAINED)
    assert first.pk == again.pk and again.reason == "bounced"
    assert EmailSuppression.objects.count() == 1
    assert email_suppressed("AINO@example.com") and not email_suppressed("") and not email_suppressed("x@y.z")


# --- the provider's webhooks -------------------------------------------------------------------

POSTMARK_TRACKING = "/email/anymail/postmark/tracking/"


# hub/settings/test.py's ANYMAIL["WEBHOOK_SECRET"].
WEBHOOK_SECRET = "kanta-test:webhook-secret"


def basic_auth(secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def postmark_bounce(email: str) -> str:
    # Postmark's documented bounce webhook body (developer docs, "Bounce webhook").
    return json.dumps(
        {
            "RecordType": "Bounce",
            "MessageStream": "outbound",
            "ID": 4323372036854775807,
            "Type": "HardBounce",
            "TypeCode": 1,
            "Name": "Hard bounce",
            "Tag": "campaign",
            "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
            "Metadata": {"kanta_recipient": "1"},
            "ServerID": 23,
            "Description": "The server was unable to deliver your message (ex: unknown user).",
            "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
            "Email": email,
            "From": "community@polku.example",
            "BouncedAt": "2026-11-05T16:33:54.9070259Z",
            "DumpAvailable": True,
            "Inactive": True,
            "CanActivate": True,
            "Subject": "Come back for 20 % off",
        }
    )


def test_the_webhook_url_is_the_one_the_docs_give():
    assert reverse("campaigns:anymail:postmark_tracking_webhook") == POSTMARK_TRACKING


def test_a_postmark_hard_bounce_suppresses_the_address(client):
    member = consenting("aino", email="aino@example.com")
    response = client.post(
        POSTMARK_TRACKING,
        postmark_bounce("Aino@Example.com"),
        content_type="application/json",
        **basic_auth(),
    )
    assert response.status_code == 200
    suppression = EmailSuppression.objects.get()
    assert suppression.email == "aino@example.com" and suppression.reason == "bounced"
    assert "Postmark" in suppression.detail
    assert marketing_block_reason(member) == "suppressed"
    # Postmark retries: the same report again changes nothing.
    client.post(
        POSTMARK_TRACKING,
        postmark_bounce("aino@example.com"),
        content_type="application/json",
        **basic_auth(),
    )
    assert EmailSuppression.objects.count() == 1


def test_a_webhook_without_the_secret_is_refused_and_suppresses_nothing(client):
    make_member("aino", email="aino@example.com")
    for headers in ({}, basic_auth("kanta-test:wrong")):
        response = client.post(
            POSTMARK_TRACKING, postmark_bounce("aino@example.com"), content_type="application/json", **headers
        )
        assert response.status_code == 400
    assert not EmailSuppression.objects.exists()


def test_a_postmark_spam_complaint_suppresses_and_withdraws_consent(client):
    member = consenting("aino", email="aino@example.com")
    body = json.loads(postmark_bounce("aino@example.com"))
    body.update({"RecordType": "SpamComplaint", "Type": "SpamComplaint", "TypeCode": 512})
    response = client.post(
        POSTMARK_TRACKING, json.dumps(body), content_type="application/json", **basic_auth()
    )
    assert response.status_code == 200
    assert EmailSuppression.objects.get().reason == "complained"
    member.refresh_from_db()
    assert member.marketing_consent is False


def _send(event_type: str, **fields) -> None:
    event = AnymailTrackingEvent(event_type=event_type, **fields)
    tracking.send(sender=PostmarkTrackingWebhookView, event=event, esp_name="Postmark")


def test_tracking_signal_unsubscribed_withdraws_consent_and_rejected_suppresses():
    member = consenting("aino", email="aino@example.com")
    _send("unsubscribed", recipient="AINO@example.com")
    member.refresh_from_db()
    assert member.marketing_consent is False and not EmailSuppression.objects.exists()
    _send("rejected", recipient="aino@example.com", reject_reason="invalid")
    assert EmailSuppression.objects.get().reason == "bounced"


def test_the_first_open_is_stamped_on_the_campaign_recipient_and_later_ones_are_not():
    member = consenting("aino")
    message = MessageTemplate.objects.create(name="Opens test", key="opens-test")
    campaign = Campaign.objects.create(name="Opens test", message=message, holdout_percent=0)
    recipient = CampaignRecipient.objects.create(
        campaign=campaign,
        member=member,
        group=CampaignRecipient.Group.TREATMENT,
        state=CampaignRecipient.State.SENT,
    )
    first = timezone.now() - timedelta(hours=2)
    _send("opened", recipient=member.email, metadata={"kanta_recipient": str(recipient.pk)}, timestamp=first)
    _send(
        "opened",
        recipient=member.email,
        metadata={"kanta_recipient": str(recipient.pk)},
        timestamp=timezone.now(),
    )
    _send("opened", recipient=member.email, metadata={"kanta_recipient": "not-a-number"})
    recipient.refresh_from_db()
    assert recipient.opened_at == first
    # Delivered and clicked reports change nothing here.
    _send("delivered", recipient=member.email)
    assert not EmailSuppression.objects.exists()
