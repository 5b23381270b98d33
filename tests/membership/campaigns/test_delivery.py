"""A rendered message as an email (membership/campaigns/delivery.py): the HTML part with its
CSS inlined, the plain-text part with the same links, and the headers (Message-ID, and the
one-click unsubscribe of RFC 8058 on marketing email only)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import override_settings

from membership.campaigns.consent import preferences_url, unsubscribe_url
from membership.campaigns.delivery import email_build, email_html, recipient_message_id
from membership.campaigns.messages import message_render
from membership.campaigns.models import Campaign, CampaignRecipient, MessageTemplate, MessageText
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def message():
    message = MessageTemplate.objects.create(name="Offer", key="offer", button_url="/rewards/")
    MessageText.objects.create(
        message=message,
        language="en",
        subject="Your offer, {name}",
        preheader="Code {coupon_code} inside",
        body='<p>Hi {name},</p><p>Use <b>{coupon_code}</b>. <a href="/guides/">Guides</a></p>',
        button_label="Shop now",
    )
    MessageText.objects.create(
        message=message,
        language="fi",
        subject="Etusi, {name}",
        body="<p>Hei {name}!</p><p>Käytä koodi <b>{coupon_code}</b>.</p>",
        button_label="Kauppaan",
    )
    return message


@pytest.fixture
def member():
    return make_member("aino", display_name="Aino <Admin>")


def build(message, member, *, marketing=True, language=None, **kwargs):
    rendered = message_render(
        message=message, member=member, context={"coupon_code": "C-42"}, language=language
    )
    return email_build(
        rendered=rendered, member=member, marketing=marketing, message_id="<m-1@polku.example>", **kwargs
    )


def html_of(email) -> str:
    (html, mimetype), *_ = email.alternatives
    assert mimetype == "text/html"
    return html


def test_marketing_email_has_the_one_click_unsubscribe_headers(message, member):
    email = build(message, member, marketing=True, recipient_id=77)

    assert email.subject == "Your offer, Aino <Admin>"
    assert email.to == ["aino@example.com"]
    assert email.from_email == "Polku Outdoor <community@polku.example>"
    assert email.extra_headers["Message-ID"] == "<m-1@polku.example>"
    assert email.extra_headers["List-Unsubscribe"] == f"<{unsubscribe_url(member)}>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(
        r"<https?://[^<> ]+/email/unsubscribe/[^<> ]+/>", email.extra_headers["List-Unsubscribe"]
    )
    # django-anymail's attributes, for the provider's webhooks.
    assert email.metadata == {"kanta_recipient": "77"}
    assert email.tags == ["marketing"]

    # The headers survive into the message the backend sends.
    email.send()
    sent = mail.outbox[0].message()
    assert sent["Message-ID"] == "<m-1@polku.example>"
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "unsubscribe" in sent["List-Unsubscribe"]


def test_service_email_has_no_unsubscribe_headers_but_keeps_the_preferences_link(message, member):
    email = build(message, member, marketing=False)

    assert email.extra_headers["Message-ID"] == "<m-1@polku.example>"
    assert "List-Unsubscribe" not in email.extra_headers
    assert "List-Unsubscribe-Post" not in email.extra_headers
    assert email.tags == ["service"]
    assert not hasattr(email, "metadata")
    html = html_of(email)
    assert preferences_url(member) in html and preferences_url(member) in email.body
    assert unsubscribe_url(member) not in html and unsubscribe_url(member) not in email.body


def test_html_part_has_its_css_inlined_and_keeps_only_the_media_query(message, member):
    html = html_of(build(message, member))

    button = re.search(r'<a class="button"[^>]*>', html).group(0)
    assert 'href="http://testserver/rewards/"' in button
    assert "style=" in button and "background" not in button and "color: #ffffff" in button
    styles = re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S)
    assert len(styles) == 1
    assert styles[0].strip().startswith("@media")
    assert ".content a.button" in styles[0]  # the phone layout
    assert re.search(r'<td class="content"[^>]*style="[^"]*font-size: 16px', html)


def test_html_part_layout(message, member):
    html = html_of(build(message, member))

    assert '<html lang="en">' in html
    assert 'name="viewport"' in html
    assert 'width="600"' in html  # the 600 px table
    assert re.search(r'<div class="preheader"[^>]*display: none[^>]*>Code C-42 inside', html)
    assert "Polku Outdoor" in html  # the store's name
    assert "Aino &lt;Admin&gt;" in html and "<Admin>" not in html
    assert 'href="http://testserver/guides/"' in html
    assert f'href="{unsubscribe_url(member)}"' in html
    assert f'href="{preferences_url(member)}"' in html
    assert "because you asked Polku Outdoor for offers and news" in html


def test_text_part_has_the_same_links(message, member):
    body = build(message, member).body

    assert body.startswith("Hi Aino <Admin>,\n\nUse C-42. Guides (http://testserver/guides/)")
    assert "Shop now: http://testserver/rewards/" in body
    assert f"Email preferences: {preferences_url(member)}" in body
    assert f"Unsubscribe: {unsubscribe_url(member)}" in body
    assert "<" not in body.replace("<Admin>", "")


def test_finnish_email_has_a_finnish_layout(message, member):
    email = build(message, member, language="fi")

    html = html_of(email)
    assert email.subject == "Etusi, Aino <Admin>"
    assert '<html lang="fi">' in html
    assert "Kauppaan" in html
    assert "Käytä koodi <b>C-42</b>" in html


def test_no_button_without_a_link(member):
    message = MessageTemplate.objects.create(name="Plain", key="plain")
    MessageText.objects.create(
        message=message, language="en", subject="s", body="<p>b</p>", button_label="Go"
    )
    rendered = message_render(message=message, member=member, context={})
    html = email_html(rendered=rendered, marketing=True, unsubscribe_url="#u", preferences_url="#p")
    assert 'class="button"' not in html


def test_email_goes_through_the_given_connection(message, member):
    from django.core.mail import get_connection

    connection = get_connection()
    email = build(message, member, connection=connection)
    assert email.get_connection() is connection


@override_settings(DEFAULT_FROM_EMAIL="Shop <news@mail.shop.example>")
def test_recipient_message_id_is_deterministic(message, member):
    campaign = Campaign.objects.create(name="C", message=message)
    row = CampaignRecipient.objects.create(
        campaign=campaign, member=member, group="treatment", state="queued"
    )

    first = recipient_message_id(row)
    assert first == f"<kanta-campaign-{campaign.pk}-{row.pk}@mail.shop.example>"
    assert recipient_message_id(CampaignRecipient.objects.get(pk=row.pk)) == first
    other = CampaignRecipient.objects.create(
        campaign=campaign, member=make_member("eero"), group="treatment", state="queued"
    )
    assert recipient_message_id(other) != first
