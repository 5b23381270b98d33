"""The shipped campaigns (membership/campaigns/defaults.py, migration 0024): every lifecycle
trigger has a paused campaign with a message in English and Finnish, the offers give their
gift-only rewards, Staff may send campaigns, and undoing the defaults removes just them."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from membership.campaigns.defaults import (
    CAMPAIGNS,
    MESSAGES,
    REWARDS,
    ensure_campaign_defaults,
    remove_campaign_defaults,
)
from membership.campaigns.messages import message_render, placeholders_in, placeholders_unknown
from membership.campaigns.models import Campaign, MessageTemplate, MessageText
from membership.models import Reward
from tests.factories import make_member

pytestmark = pytest.mark.django_db

TRIGGERS = {
    "welcome",
    "after_purchase",
    "review_request",
    "win_back",
    "points_expiring",
    "tier_hold_ending",
    "event_follow_up",
    "birthday",
}


def test_every_lifecycle_trigger_has_a_paused_campaign():
    campaigns = {campaign.trigger: campaign for campaign in Campaign.objects.filter(kind="lifecycle")}

    assert set(campaigns) == TRIGGERS == set(Campaign.Trigger.values)
    for trigger, campaign in campaigns.items():
        assert campaign.state == Campaign.State.PAUSED, trigger
        assert campaign.holdout_percent == 10
        assert len(campaign.holdout_seed) == 16 and int(campaign.holdout_seed, 16) >= 0
        assert campaign.message.key == trigger
        assert campaign.send_email and campaign.send_in_app
    assert len({campaign.holdout_seed for campaign in campaigns.values()}) == len(campaigns)


def test_purposes_gifts_and_delays():
    campaigns = {campaign.trigger: campaign for campaign in Campaign.objects.filter(kind="lifecycle")}
    marketing = {trigger for trigger, c in campaigns.items() if c.purpose == Campaign.Purpose.MARKETING}
    assert marketing == {"welcome", "after_purchase", "review_request", "win_back", "birthday"}

    gifts = {
        trigger: (c.gift_reward.name, c.coupon_valid_days)
        for trigger, c in campaigns.items()
        if c.gift_reward
    }
    assert gifts == {
        "welcome": ("Welcome: 10 % off your next order", 30),
        "win_back": ("Win-back: 15 % off, just for you", 30),
        "birthday": ("Birthday: free shipping", 31),
    }
    assert campaigns["after_purchase"].delay_days == 3
    assert all(c.gift_points == 0 for c in campaigns.values())


def test_gift_rewards_are_outside_the_catalogue():
    welcome = Reward.objects.get(name="Welcome: 10 % off your next order")
    win_back = Reward.objects.get(name="Win-back: 15 % off, just for you")
    birthday = Reward.objects.get(name="Birthday: free shipping")

    assert (welcome.kind, welcome.value) == ("percent", 10)
    assert (win_back.kind, win_back.value) == ("percent", 15)
    assert birthday.kind == "shipping"
    for reward in (welcome, win_back, birthday):
        assert reward.active is False and reward.cost == 0
        reward.full_clean()


def test_messages_exist_in_english_and_finnish_with_known_placeholders():
    keys = set(MessageTemplate.objects.values_list("key", flat=True))
    assert keys >= TRIGGERS | {"announcement"}
    for key in TRIGGERS | {"announcement"}:
        texts = {text.language: text for text in MessageText.objects.filter(message__key=key)}
        assert set(texts) == {"en", "fi"}, key
        for text in texts.values():
            for field in (text.subject, text.preheader, text.body, text.button_label):
                assert placeholders_unknown(field) == [], (key, field)
        assert texts["fi"].subject != texts["en"].subject


@pytest.mark.parametrize(
    ("key", "placeholders"),
    [
        ("welcome", {"coupon_code", "coupon_value", "coupon_expires"}),
        ("after_purchase", {"links"}),
        ("review_request", {"product", "links"}),
        ("win_back", {"coupon_code"}),
        ("points_expiring", {"points", "date"}),
        ("tier_hold_ending", {"tier", "points_needed", "date"}),
        ("event_follow_up", {"event", "links"}),
        ("birthday", {"coupon_code"}),
    ],
)
def test_each_message_uses_its_placeholders_in_both_languages(key, placeholders):
    for text in MessageText.objects.filter(message__key=key):
        used = set(placeholders_in(" ".join((text.subject, text.preheader, text.body))))
        # The Finnish offers name their discount in Finnish: {coupon_value} is the reward's
        # name, which the catalogue holds in one language only.
        wanted = placeholders - {"coupon_value"} if text.language == "fi" else placeholders
        assert used >= wanted, (key, text.language, wanted - used)


def test_finnish_member_gets_natural_finnish():
    member = make_member("aino", display_name="Aino")
    member.language = "fi"
    message = MessageTemplate.objects.get(key="points_expiring")

    rendered = message_render(message=message, member=member, context={"points": "120", "date": "31.1.2027"})

    assert rendered.language == "fi"
    assert rendered.subject == "120 pistettäsi vanhenee 31.1.2027"
    assert "Tililtäsi vanhenee 120 pistettä 31.1.2027." in rendered.text
    assert rendered.button_label == "Valitse palkinto"


def test_every_default_renders_in_both_languages():
    member = make_member("eero")
    context = {
        "coupon_code": "C",
        "coupon_value": "V",
        "coupon_expires": "E",
        "points": "1",
        "date": "D",
        "tier": "Gold",
        "points_needed": "2",
        "product": "P",
        "event": "Ev",
        "links": '[{"title": "Recording", "url": "/events/x/"}]',
    }
    for message in MessageTemplate.objects.filter(key__in=MESSAGES):
        for language in ("en", "fi"):
            rendered = message_render(message=message, member=member, context=context, language=language)
            assert rendered.language == language
            assert "{" not in rendered.subject + rendered.html + rendered.text, (message.key, language)


def test_staff_may_send_campaigns_and_editors_may_not():
    staff = Group.objects.get(name="Staff")
    assert staff.permissions.filter(codename="send_campaign", content_type__app_label="membership").exists()
    editors = Group.objects.get(name="Editors")
    assert not editors.permissions.filter(codename="send_campaign").exists()
    assert make_member("kaisa", groups=["Staff"]).has_perm("membership.send_campaign")


def test_ensure_is_idempotent_and_keeps_staff_edits():
    campaign = Campaign.objects.get(kind="lifecycle", trigger="welcome")
    campaign.state = Campaign.State.LIVE
    campaign.save()
    MessageText.objects.filter(message__key="welcome", language="en").update(subject="Edited")
    counts = (Campaign.objects.count(), MessageTemplate.objects.count(), MessageText.objects.count())

    ensure_campaign_defaults(apps)

    assert (Campaign.objects.count(), MessageTemplate.objects.count(), MessageText.objects.count()) == counts
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.LIVE
    assert MessageText.objects.get(message__key="welcome", language="en").subject == "Edited"


def test_remove_deletes_exactly_the_defaults():
    mine = MessageTemplate.objects.create(name="Staff's own", key="own")
    reused = MessageTemplate.objects.get(key="announcement")
    one_off = Campaign.objects.create(name="Spring news", message=reused)
    catalogue_reward = Reward.objects.create(name="10 € off", kind="fixed", value=10, cost=500)
    before = Reward.objects.count()

    remove_campaign_defaults(apps)

    assert not Campaign.objects.filter(kind="lifecycle").exists()
    assert Campaign.objects.filter(pk=one_off.pk).exists()
    assert set(MessageTemplate.objects.values_list("key", flat=True)) == {"own", "announcement"}
    assert MessageTemplate.objects.filter(pk=mine.pk).exists()
    assert Reward.objects.count() == before - len(REWARDS)
    assert Reward.objects.filter(pk=catalogue_reward.pk).exists()

    ensure_campaign_defaults(apps)
    assert Campaign.objects.filter(kind="lifecycle").count() == len(CAMPAIGNS)
