"""The events' pages on the community side, without JavaScript: RSVP from the event page,
the live room page (who gets in, what runners see), every form POST in the room with its
redirect, message and kept draft, JSON answers with their status, and bounded queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community.events.services import live
from community.events.services.rsvps import rsvp_set
from community.models import EventChatMessage, EventMute, EventQuestion, EventQuestionVote, EventRsvp
from content.events import EventAccess
from tests.community.event_factories import make_event
from tests.community.forum_factories import forum_member
from tests.factories import make_member

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def moderator():
    return make_member("ville", display_name="Ville Koskinen", groups=["Moderators"])


@pytest.fixture
def aino():
    return forum_member("aino", tier="vip", display_name="Aino Virtanen")


@pytest.fixture
def eero():
    return forum_member("eero", tier="vip", display_name="Eero Korhonen")


def room_url(event, name="event_live", **kwargs):
    return reverse(f"community:{name}", kwargs={"slug": event.slug, **kwargs})


# --- RSVP ----------------------------------------------------------------------------------


def test_rsvp_from_the_event_page_and_the_box_says_where_you_stand(client, aino, eero):
    event = make_event(access=EventAccess.TIER, capacity=1, starts_at=timezone.now() + timedelta(days=5))
    client.force_login(aino)
    page = client.get(event.url).content.decode()
    assert "Are you coming?" in page and 'value="going"' in page

    response = client.post(room_url(event, "event_rsvp"), {"answer": "going"}, follow=True)
    assert "You are going." in response.content.decode()
    client.force_login(eero)
    waiting = client.post(room_url(event, "event_rsvp"), {"answer": "going"}, **JSON)
    assert waiting.json() == {"ok": True, "message": waiting.json()["message"], "state": "waitlisted"}
    assert "number 1 on the waitlist" in client.get(event.url).content.decode()


def test_rsvp_refusals_are_clear_and_change_nothing(client, aino):
    event = make_event(access=EventAccess.TIER, tier="vip", starts_at=timezone.now() + timedelta(days=5))
    assert client.post(room_url(event, "event_rsvp"), {"answer": "going"}, **JSON).status_code == 401
    gold = forum_member("juha", tier="gold")
    client.force_login(gold)
    page = client.get(event.url).content.decode()
    assert "This event is for VIP members and up." in page and "more points to VIP" in page
    refused = client.post(room_url(event, "event_rsvp"), {"answer": "going"}, **JSON)
    assert refused.status_code == 403 and "VIP" in refused.json()["error"]
    client.force_login(aino)
    bad = client.post(room_url(event, "event_rsvp"), {"answer": "maybe"}, **JSON)
    assert bad.status_code == 400 and "answer" in bad.json()["errors"]
    assert not EventRsvp.objects.exists()


# --- the room page -----------------------------------------------------------------------------


def test_the_room_is_closed_to_who_may_not_join_with_the_reason(client, aino):
    event = make_event(tier="vip")
    anonymous = client.get(room_url(event))
    # Issue 15: the reason and who may join, with a way to log in and back (no bare redirect).
    assert anonymous.status_code == 403
    page = anonymous.content.decode()
    assert "The live room is for VIP members and up" in page and "/accounts/login/?next=" in page
    client.force_login(forum_member("juha", tier="gold"))
    closed = client.get(room_url(event))
    assert closed.status_code == 403
    html = closed.content.decode()
    assert "not open to you" in html and "more points to VIP" in html
    assert client.get(reverse("community:event_live", kwargs={"slug": "no-such-event"})).status_code == 404


def test_attendees_see_the_queue_and_runners_the_controls_and_the_askers_name(client, aino, eero, moderator):
    event = make_event(premoderated=True)
    waiting = live.question_ask(member=eero, event=event, body="Is klister worth it?", anonymous=True)
    question = live.question_ask(member=moderator, event=event, body="Who waxes before every race?")
    client.force_login(aino)
    attendee = client.get(room_url(event)).content.decode()
    assert question.body in attendee and waiting.body not in attendee
    assert room_url(event, "event_room_moderate", pk=question.pk, action="highlight") not in attendee

    client.force_login(moderator)
    runner = client.get(room_url(event)).content.decode()
    assert waiting.body in runner and "Eero Korhonen" in runner
    assert room_url(event, "event_room_moderate", pk=waiting.pk, action="approve") in runner
    assert room_url(event, "event_room_mute") in runner


def test_the_room_page_costs_the_same_queries_with_more_questions_votes_and_chat(
    client, aino, eero, moderator, django_assert_max_num_queries
):
    event = make_event()
    live.question_ask(member=eero, event=event, body="The first question?")
    live.chat_send(member=eero, event=event, body="Hello")
    client.force_login(aino)
    with CaptureQueriesContext(connection) as few:
        assert client.get(room_url(event)).status_code == 200

    askers = [forum_member(f"asker{n}", tier="vip") for n in range(8)]
    for n, asker in enumerate(askers):
        question = live.question_ask(
            member=asker, event=event, body=f"Question number {n}?", anonymous=n % 2 == 0
        )
        live.question_vote(member=aino, question=question, on=True)
        live.chat_send(member=asker, event=event, body=f"Message {n}")
        if n % 3 == 0:
            live.question_moderate(moderator=moderator, question=question, action="answered")
    with django_assert_max_num_queries(len(few)):
        assert client.get(room_url(event)).status_code == 200


def test_the_event_page_with_its_rsvp_box_costs_the_same_with_more_rsvps(
    client, aino, django_assert_max_num_queries
):
    event = make_event(access=EventAccess.MEMBERS, capacity=3, starts_at=timezone.now() + timedelta(days=3))
    client.force_login(aino)
    rsvp_set(member=aino, event=event, going=True)
    with CaptureQueriesContext(connection) as few:
        client.get(event.url)
    for n in range(6):
        rsvp_set(member=forum_member(f"guest{n}"), event=event, going=True)
    with django_assert_max_num_queries(len(few)):
        html = client.get(event.url).content.decode()
    assert "3 people on the waitlist" in html or "Full" in html


# --- the room's forms without JavaScript -------------------------------------------------------


def test_asking_voting_and_chatting_by_form(client, aino, eero):
    event = make_event()
    client.force_login(aino)
    asked = client.post(room_url(event, "event_room_ask"), {"body": "Grip wax at minus twenty?"})
    question = EventQuestion.objects.get()
    assert asked["Location"] == f"{event.live_url}#question-{question.pk}"

    client.force_login(eero)
    voted = client.post(room_url(event, "event_room_vote", pk=question.pk), {"on": "1"})
    assert voted.status_code == 302 and EventQuestionVote.objects.count() == 1
    unvoted = client.post(room_url(event, "event_room_vote", pk=question.pk), {"on": "0"}, **JSON)
    assert unvoted.json()["votes"] == 0 and unvoted.json()["voted"] is False

    said = client.post(room_url(event, "event_room_chat"), {"body": "Hello from Oulu"})
    assert said["Location"] == f"{event.live_url}#chat"
    assert EventChatMessage.objects.get().body == "Hello from Oulu"


def test_a_refused_question_keeps_what_was_written(client, aino, settings):
    settings.KANTA_EVENT_QUESTION_RATE = (1, 600)
    event = make_event()
    client.force_login(aino)
    client.post(room_url(event, "event_room_ask"), {"body": "The first one?"})
    again = client.post(room_url(event, "event_room_ask"), {"body": "A second one, too soon?"})
    assert "question=A+second+one" in again["Location"]
    page = client.get(again["Location"]).content.decode()
    assert "A second one, too soon?" in page and "Slow down a little" in page
    json_refusal = client.post(room_url(event, "event_room_ask"), {"body": "Third?"}, **JSON)
    assert json_refusal.status_code == 429 and "Slow down" in json_refusal.json()["error"]
    empty = client.post(room_url(event, "event_room_ask"), {"body": " "}, **JSON)
    assert empty.status_code == 400 and empty.json()["errors"] == {
        "body": ["A question is 3 to 300 characters; yours has 0."]
    }
    assert EventQuestion.objects.count() == 1


def test_runners_act_by_form_and_members_are_refused(client, aino, eero, moderator):
    event = make_event()
    question = live.question_ask(member=aino, event=event, body="Wax or skins?")
    message = live.chat_send(member=aino, event=event, body="Spam spam")

    client.force_login(eero)
    refused = client.post(room_url(event, "event_room_moderate", pk=question.pk, action="highlight"), **JSON)
    assert refused.status_code == 403
    assert client.post(room_url(event, "event_room_chat_delete", pk=message.pk), **JSON).status_code == 403
    assert client.post(room_url(event, "event_room_mute"), {"username": "aino"}, **JSON).status_code == 403

    client.force_login(moderator)
    done = client.post(room_url(event, "event_room_moderate", pk=question.pk, action="answered"))
    assert done.status_code == 302
    question.refresh_from_db()
    assert question.state == EventQuestion.State.ANSWERED
    unknown = client.post(room_url(event, "event_room_moderate", pk=question.pk, action="explode"), **JSON)
    assert unknown.status_code == 400
    client.post(room_url(event, "event_room_chat_delete", pk=message.pk))
    assert EventChatMessage.objects.get().deleted_at is not None
    muted = client.post(
        room_url(event, "event_room_mute"), {"username": "aino", "minutes": "10", "reason": "Spam"}
    )
    assert muted.status_code == 302 and EventMute.objects.get().member == aino
    nobody = client.post(room_url(event, "event_room_mute"), {"username": "ghost"}, **JSON)
    assert nobody.status_code == 400 and "username" in nobody.json()["errors"]


def test_the_rooms_forms_need_csrf(aino):
    from django.test import Client

    event = make_event()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(aino)
    assert strict.post(room_url(event, "event_room_ask"), {"body": "No token?"}).status_code == 403
    assert not EventQuestion.objects.exists()
