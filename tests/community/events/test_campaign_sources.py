"""The events' campaign source: the event follow-up. Members who answered "going" (or waited
on the waitlist) and never came into the live room get the recording and the published recap,
once; those who came, or said no, get nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.events.campaign_sources import event_follow_ups
from community.events.services.rsvps import attendance_tick, event_recap_create, rsvp_set
from content.events import EventAccess
from membership.campaigns.lifecycle import lifecycle_scan
from membership.campaigns.models import Campaign, CampaignRecipient
from tests.community.event_factories import make_event
from tests.factories import make_member
from tests.membership.campaigns.lifecycle_factories import lifecycle

pytestmark = pytest.mark.django_db

FOLLOW_UP = Campaign.Trigger.EVENT_FOLLOW_UP
RECORDING = "https://video.example/waxing-q-and-a"


def past_event(*, days_ago: int = 3, recording: str = RECORDING, capacity: int | None = None):
    """An event that ended ``days_ago``; Aino and Eero said they would come, Eero came, Helmi
    said no (and Ville waited in line when there was a capacity)."""
    starts_at = timezone.now() - timedelta(days=days_ago, hours=1)
    event = make_event(
        starts_at=starts_at, access=EventAccess.MEMBERS, recording_url=recording, capacity=capacity
    )
    before = starts_at - timedelta(days=1)
    members = {name: make_member(name) for name in ("aino", "eero", "helmi", "ville")}
    rsvp_set(member=members["aino"], event=event, going=True, now=before)
    rsvp_set(member=members["eero"], event=event, going=True, now=before)
    rsvp_set(member=members["helmi"], event=event, going=False, now=before)
    if capacity is not None:
        rsvp_set(member=members["ville"], event=event, going=True, now=before)
    attendance_tick(
        event=event, member_ids=[members["eero"].pk], seconds=60, now=starts_at + timedelta(minutes=10)
    )
    return event, members


def publish_recap(event):
    recap = event_recap_create(event=event)
    recap.save_revision().publish()
    recap.refresh_from_db()
    return recap


def rows(campaign):
    return list(
        CampaignRecipient.objects.filter(campaign=campaign)
        .order_by("member__username")
        .values_list("member__username", "occurrence")
    )


def test_registered_members_who_missed_it_get_the_recording_and_the_recap():
    campaign = lifecycle(FOLLOW_UP)
    event, members = past_event(capacity=2)
    recap = publish_recap(event)

    assert lifecycle_scan() == {FOLLOW_UP: 2}

    assert rows(campaign) == [("aino", f"event:{event.pk}"), ("ville", f"event:{event.pk}")]
    row = CampaignRecipient.objects.get(campaign=campaign, member=members["aino"])
    assert row.context == {
        "event": event.title,
        "links": [
            {"title": "Watch the recording", "url": RECORDING},
            {"title": "Read the recap", "url": recap.get_full_url()},
        ],
    }
    # Re-run: nobody twice.
    assert lifecycle_scan() == {FOLLOW_UP: 0}


def test_a_paused_follow_up_enters_nobody():
    campaign = lifecycle(FOLLOW_UP, state=Campaign.State.PAUSED)
    event, _members = past_event()
    publish_recap(event)

    assert lifecycle_scan() == {}
    assert rows(campaign) == []


def test_nothing_to_send_means_nobody():
    lifecycle(FOLLOW_UP)
    event, _members = past_event(recording="")
    event_recap_create(event=event)  # the recap is a draft until an editor publishes it

    assert list(event_follow_ups(timezone.now())) == []


def test_an_event_that_ended_long_ago_is_left_alone():
    event, _members = past_event()
    publish_recap(event)

    assert [entry.member.username for entry in event_follow_ups(timezone.now())] == ["aino"]
    assert list(event_follow_ups(timezone.now() + timedelta(days=30))) == []


def test_a_recording_goes_alone_once_the_recap_has_had_its_time():
    campaign = lifecycle(FOLLOW_UP)
    past_event(days_ago=1)
    now = timezone.now()

    assert [entry.member.username for entry in event_follow_ups(now)] == []
    entries = list(event_follow_ups(now + timedelta(days=2)))
    assert [entry.member.username for entry in entries] == ["aino"]
    assert entries[0].context["links"] == [{"title": "Watch the recording", "url": RECORDING}]
    assert rows(campaign) == []
