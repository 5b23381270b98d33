"""The live room's socket through the real ``hub.asgi.application``: who gets in (4401,
4403, 4404, foreign origin), every client and runner frame, anonymous questions hidden from
attendees but not runners, waiting questions for runners only, coalesced vote counts,
resume with ``since``, access checked again on writes, and error frames."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Permission
from django.utils import timezone

from community.events.room import room_board
from community.events.services import live
from community.models import EventQuestion, EventQuestionVote
from hub.asgi import application
from tests.community.event_factories import make_event
from tests.community.forum_factories import forum_member
from tests.community.sockets import ORIGIN, leave_topics, session_cookie  # noqa: F401  (leave_topics: an autouse fixture)
from tests.factories import make_member

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("migrated_rows")]

BACKGROUND = ("room.attendees",)


@pytest.fixture(autouse=True)
def quick_rooms(settings):
    settings.KANTA_EVENT_VOTE_BATCH_MS = 5
    settings.KANTA_EVENT_VOTE_BROADCAST_INTERVAL = 0.05


async def room_socket(event, user=None, *, since: int | None = None, origin=ORIGIN):
    headers = [origin]
    if user is not None:
        headers.append((b"cookie", await session_cookie(user)))
    path = f"/ws/events/{event.slug}/" + (f"?since={since}" if since is not None else "")
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def next_frame(communicator, *, ignore=BACKGROUND) -> dict:
    while True:
        frame = await communicator.receive_json_from(timeout=3)
        if frame["type"] not in ignore:
            return frame


async def frame_where(communicator, predicate) -> dict:
    while True:
        frame = await communicator.receive_json_from(timeout=3)
        if predicate(frame):
            return frame


async def closed_with(communicator) -> int:
    while True:
        message = await communicator.receive_output(timeout=3)
        if message["type"] == "websocket.close":
            return message["code"]


async def quiet(communicator, seconds: float = 0.3) -> bool:
    while not await communicator.receive_nothing(timeout=seconds):
        frame = json.loads((await communicator.receive_output())["text"])
        if frame["type"] not in BACKGROUND:
            raise AssertionError(f"unexpected frame {frame}")
    return True


@sync_to_async
def vip_room(**fields):
    event = make_event(**fields)
    moderator = make_member("ville")
    # A flush takes the groups the data migrations made; the permission is what counts.
    moderator.user_permissions.add(Permission.objects.get(codename="moderate_events"))
    return event, forum_member("aino", tier="vip"), forum_member("eero", tier="vip"), moderator


# --- who gets in ------------------------------------------------------------------------------


async def test_anonymous_visitors_get_4401_and_members_below_the_tier_4403():
    event, _aino, _eero, _moderator = await vip_room()
    anonymous = await room_socket(event)
    assert await closed_with(anonymous) == 4401
    gold = await sync_to_async(forum_member)("juha", tier="gold")
    below = await room_socket(event, gold)
    assert await closed_with(below) == 4403
    missing = WebsocketCommunicator(application, "/ws/events/no-such-event/", headers=[ORIGIN])
    assert (await missing.connect())[0]
    assert await closed_with(missing) == 4404


async def test_a_foreign_origin_is_refused_before_anything_runs():
    event, aino, _eero, _moderator = await vip_room()
    headers = [(b"origin", b"https://evil.example"), (b"cookie", await session_cookie(aino))]
    communicator = WebsocketCommunicator(application, f"/ws/events/{event.slug}/", headers=headers)
    connected, _ = await communicator.connect()
    assert not connected


async def test_anonymous_visitors_watch_public_events_but_cannot_write():
    event = await sync_to_async(make_event)(access="public", tier=None, title="Open webinar")
    communicator = await room_socket(event)
    ready = await next_frame(communicator)
    assert ready["type"] == "session.ready" and ready["moderator"] is False
    await communicator.send_json_to({"type": "question.ask", "body": "Hello?", "request": 7})
    error = await next_frame(communicator)
    assert error == {"type": "error", "code": "unauthenticated", "message": error["message"], "request": 7}
    await communicator.disconnect()


# --- questions ---------------------------------------------------------------------------------


async def test_questions_reach_everyone_and_anonymous_askers_are_named_to_runners_only():
    event, aino, eero, moderator = await vip_room()
    asker, attendee, runner = (
        await room_socket(event, aino),
        await room_socket(event, eero),
        await room_socket(event, moderator),
    )
    for communicator in (asker, attendee, runner):
        assert (await next_frame(communicator))["type"] == "session.ready"
    await asker.send_json_to(
        {"type": "question.ask", "body": "Do I need klister?", "anonymous": True, "request": "a1"}
    )
    ok = await frame_where(asker, lambda f: f["type"] == "question.ask.ok")
    assert ok["request"] == "a1" and ok["state"] == "open"

    seen = await frame_where(attendee, lambda f: f["type"] == "question.created")
    assert seen["question"]["body"] == "Do I need klister?"
    assert seen["question"]["author"] == {"username": None, "name": "", "is_vip": True, "is_owner": False}
    named = await frame_where(runner, lambda f: f["type"] == "question.created")
    assert named["question"]["author"]["username"] == "aino" and named["question"]["anonymous"] is True
    assert seen["id"] == named["id"]  # the activity id clients resume from
    for communicator in (asker, attendee, runner):
        await communicator.disconnect()


async def test_waiting_questions_reach_runners_only_until_approved():
    event, aino, eero, moderator = await vip_room(premoderated=True)
    asker, attendee, runner = (
        await room_socket(event, aino),
        await room_socket(event, eero),
        await room_socket(event, moderator),
    )
    for communicator in (asker, attendee, runner):
        await next_frame(communicator)
    await asker.send_json_to({"type": "question.ask", "body": "Wax or skins?"})
    assert (await frame_where(asker, lambda f: f["type"] == "question.ask.ok"))["state"] == "pending"
    waiting = await frame_where(runner, lambda f: f["type"] == "question.created")
    assert waiting["question"]["state"] == "pending"
    assert await quiet(attendee)

    await runner.send_json_to({"type": "question.approve", "question_id": waiting["question"]["id"]})
    assert (await frame_where(runner, lambda f: f["type"] == "question.approve.ok"))["state"] == "open"
    approved = await frame_where(attendee, lambda f: f["type"] == "question.updated")
    assert approved["question"]["state"] == "open"
    for communicator in (asker, attendee, runner):
        await communicator.disconnect()


async def test_votes_are_acknowledged_and_counts_broadcast_coalesced():
    event, aino, eero, moderator = await vip_room()
    question = await sync_to_async(live.question_ask)(member=aino, event=event, body="Wax or skins?")
    voter, watcher = await room_socket(event, eero), await room_socket(event, moderator)
    assert (await next_frame(voter))["votes"] == {str(question.pk): 0}
    await next_frame(watcher)

    await voter.send_json_to({"type": "question.vote", "question_id": question.pk, "request": 1})
    ok = await frame_where(voter, lambda f: f["type"] == "question.vote.ok")
    assert (ok["voted"], ok["votes"], ok["request"]) == (True, 1, 1)
    counts = await frame_where(watcher, lambda f: f["type"] == "question.updated" and "votes" in f)
    assert counts["votes"] == {str(question.pk): 1}
    # Counts carry when they were read, so a client keeps the newest of several processes'.
    assert counts["at"] >= ok["at"] > 0

    await voter.send_json_to({"type": "question.unvote", "question_id": question.pk})
    ok = await frame_where(voter, lambda f: f["type"] == "question.unvote.ok")
    assert (ok["voted"], ok["votes"]) == (False, 0)
    await voter.send_json_to({"type": "question.vote", "question_id": question.pk})
    await voter.send_json_to({"type": "question.vote", "question_id": question.pk})
    await frame_where(voter, lambda f: f["type"] == "question.vote.ok")
    await frame_where(voter, lambda f: f["type"] == "question.vote.ok")
    assert await sync_to_async(EventQuestionVote.objects.count)() == 1
    assert room_board().stats["votes"] >= 4

    own = await room_socket(event, aino)
    await next_frame(own)
    await own.send_json_to({"type": "question.vote", "question_id": question.pk})
    error = await frame_where(own, lambda f: f["type"] == "error")
    assert error["code"] == "own_question" and error["question_id"] == question.pk
    for communicator in (voter, watcher, own):
        await communicator.disconnect()


async def test_a_big_room_gets_its_counts_less_often_and_the_voter_at_once(settings):
    # Two attendees against a budget of four socket writes a second: one count frame per
    # half second, as 2,000 attendees get one a second against the default 2,000.
    settings.KANTA_EVENT_VOTE_COUNT_WRITES_PER_SECOND = 4
    event, aino, eero, moderator = await vip_room()
    question = await sync_to_async(live.question_ask)(member=aino, event=event, body="Wax or skins?")
    voter, watcher = await room_socket(event, eero), await room_socket(event, moderator)
    await next_frame(voter)
    await next_frame(watcher)
    attendees = await frame_where(watcher, lambda f: f["type"] == "room.attendees" and f["count"] == 2)
    assert attendees["count"] == 2
    assert room_board().count_interval(event.pk) == pytest.approx(0.5)

    sent = time.monotonic()
    await voter.send_json_to({"type": "question.vote", "question_id": question.pk})
    ok = await frame_where(voter, lambda f: f["type"] == "question.vote.ok")
    answered = time.monotonic() - sent
    counts = await frame_where(watcher, lambda f: f["type"] == "question.updated" and "votes" in f)
    broadcast = time.monotonic() - sent
    assert ok["votes"] == 1 and counts["votes"] == {str(question.pk): 1}
    assert answered < 0.4 <= 0.45 <= broadcast
    for communicator in (voter, watcher):
        await communicator.disconnect()


async def test_runners_highlight_and_answer_and_attendees_see_it():
    event, aino, eero, moderator = await vip_room()
    question = await sync_to_async(live.question_ask)(member=aino, event=event, body="Wax or skins?")
    attendee, runner = await room_socket(event, eero), await room_socket(event, moderator)
    assert (await next_frame(runner))["moderator"] is True
    await next_frame(attendee)

    await runner.send_json_to({"type": "question.highlight", "question_id": question.pk})
    highlighted = await frame_where(attendee, lambda f: f["type"] == "question.updated" and "question" in f)
    assert highlighted["highlighted"] == question.pk
    await runner.send_json_to({"type": "question.answered", "question_id": question.pk})
    answered = await frame_where(
        attendee,
        lambda f: f["type"] == "question.updated" and f.get("question", {}).get("state") == "answered",
    )
    assert answered["highlighted"] is None and answered["question"]["answered_at"]

    await attendee.send_json_to({"type": "question.dismiss", "question_id": question.pk, "request": "x"})
    refused = await frame_where(attendee, lambda f: f["type"] == "error")
    assert refused["code"] == "forbidden" and refused["request"] == "x"
    for communicator in (attendee, runner):
        await communicator.disconnect()


# --- chat and access on writes -------------------------------------------------------------------


async def test_chat_messages_deletes_and_a_mute_that_is_checked_on_the_next_frame():
    event, aino, _eero, moderator = await vip_room()
    talker, runner = await room_socket(event, aino), await room_socket(event, moderator)
    await next_frame(talker)
    await next_frame(runner)
    await talker.send_json_to({"type": "chat.message", "body": "Hello from Oulu!"})
    message = await frame_where(runner, lambda f: f["type"] == "chat.message")
    assert (
        message["message"]["body"] == "Hello from Oulu!"
        and message["message"]["author"]["username"] == "aino"
    )

    await runner.send_json_to({"type": "chat.delete", "message_id": message["message"]["id"]})
    deleted = await frame_where(talker, lambda f: f["type"] == "chat.deleted")
    assert deleted["message_id"] == message["message"]["id"]

    await runner.send_json_to(
        {"type": "member.mute", "username": "aino", "minutes": 5, "reason": "Calm down"}
    )
    assert (await frame_where(runner, lambda f: f["type"] == "member.mute.ok"))["username"] == "aino"
    muted = await frame_where(talker, lambda f: f["type"] == "room.muted")
    assert muted["reason"] == "Calm down"
    await talker.send_json_to({"type": "chat.message", "body": "Still me"})
    error = await frame_where(talker, lambda f: f["type"] == "error")
    assert error["code"] == "forbidden" and "muted" in error["message"]
    for communicator in (talker, runner):
        await communicator.disconnect()


async def test_access_is_checked_again_on_every_write():
    event = await sync_to_async(make_event)(tier="gold", title="Gold and up")
    juha = await sync_to_async(forum_member)("juha", tier="gold")
    socket = await room_socket(event, juha)
    await next_frame(socket)
    await socket.send_json_to({"type": "question.ask", "body": "Am I in?"})
    await frame_where(socket, lambda f: f["type"] == "question.ask.ok")

    @sync_to_async
    def raise_the_tier():
        from content.events import EventPage
        from membership.models import Tier

        # Behind the room's back (publishing would close the socket at once, through
        # access.changed): the writes themselves must still check.
        EventPage.objects.filter(pk=event.pk).update(min_tier=Tier.objects.get(slug="vip"))

    await raise_the_tier()
    await socket.send_json_to({"type": "question.ask", "body": "Am I still in?"})
    error = await frame_where(socket, lambda f: f["type"] == "error")
    assert error["code"] == "forbidden"
    await socket.send_json_to({"type": "chat.message", "body": "Hello?"})
    assert (await frame_where(socket, lambda f: f["type"] == "error"))["code"] == "forbidden"
    assert await sync_to_async(EventQuestion.objects.count)() == 1
    await socket.disconnect()


async def test_bad_frames_get_error_frames_and_the_socket_stays_open():
    event, aino, _eero, _moderator = await vip_room()
    socket = await room_socket(event, aino)
    await next_frame(socket)
    await socket.send_to(text_data="not json")
    assert (await next_frame(socket))["code"] == "bad_json"
    await socket.send_json_to({"type": "question.created"})
    assert (await next_frame(socket))["code"] == "unknown_type"
    await socket.send_json_to({"type": "question.vote", "question_id": "7"})
    assert (await next_frame(socket))["code"] == "invalid"
    await socket.send_json_to({"type": "question.ask", "body": 5})
    assert (await next_frame(socket))["code"] == "invalid"
    await socket.send_json_to({"type": "question.ask", "body": " "})
    assert (await next_frame(socket))["code"] == "invalid"
    await socket.send_json_to({"type": "ping"})
    assert (await next_frame(socket))["type"] == "pong"
    await socket.disconnect()


# --- resume -----------------------------------------------------------------------------------------


async def test_resume_replays_each_missed_change_once_in_order_in_the_current_state():
    event, aino, eero, moderator = await vip_room()
    socket = await room_socket(event, eero)
    ready = await next_frame(socket)
    since = ready["last_id"]
    await socket.disconnect()

    @sync_to_async
    def meanwhile():
        first = live.question_ask(member=aino, event=event, body="First question?")
        second = live.question_ask(member=aino, event=event, body="Second question?", anonymous=True)
        live.question_moderate(moderator=moderator, question=first, action="highlight")
        live.chat_send(member=aino, event=event, body="Anyone from Rovaniemi?")
        live.question_moderate(moderator=moderator, question=first, action="answered")
        return first, second

    first, second = await meanwhile()
    back = await room_socket(event, eero, since=since)
    replayed = []
    while True:
        frame = await next_frame(back)
        if frame["type"] == "session.ready":
            break
        replayed.append(frame)
    assert [(f["type"], f.get("question", {}).get("id")) for f in replayed] == [
        ("question.created", second.pk),
        ("chat.message", None),
        ("question.created", first.pk),
    ]
    assert replayed[2]["question"]["state"] == "answered"
    assert replayed[0]["question"]["author"]["username"] is None
    ids = [f["id"] for f in replayed]
    assert ids == sorted(ids) and frame["last_id"] == ids[-1]
    assert frame["highlighted"] is None and frame["votes"] == {str(first.pk): 0, str(second.pk): 0}
    assert await quiet(back)

    # Nothing missed since the last id: nothing replayed.
    again = await room_socket(event, eero, since=frame["last_id"])
    assert (await next_frame(again))["type"] == "session.ready"
    for communicator in (back, again):
        await communicator.disconnect()


async def test_nothing_reaches_the_room_from_a_rolled_back_question():
    from django.db import transaction

    event, aino, eero, _moderator = await vip_room()
    socket = await room_socket(event, eero)
    await next_frame(socket)

    @sync_to_async
    def ask_and_roll_back():
        try:
            with transaction.atomic():
                live.question_ask(member=aino, event=event, body="Never asked?")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass

    await ask_and_roll_back()
    assert await quiet(socket, 0.4)
    await socket.disconnect()


async def test_the_room_counts_attendees_once_per_member():
    event, aino, eero, _moderator = await vip_room()
    one, two, three = (
        await room_socket(event, aino),
        await room_socket(event, aino),
        await room_socket(event, eero),
    )
    for communicator in (one, two, three):
        await next_frame(communicator)
    counted = await frame_where(one, lambda f: f["type"] == "room.attendees" and f["count"] == 2)
    assert counted["count"] == 2
    for communicator in (one, two, three):
        await communicator.disconnect()


def test_the_room_closes_outside_its_times():
    event = make_event(starts_at=timezone.now() + timedelta(days=1))
    assert not event.room_is_open()


async def test_every_runner_frame_changes_the_question_for_everyone():
    event, aino, eero, moderator = await vip_room()
    question = await sync_to_async(live.question_ask)(member=aino, event=event, body="Wax or skins?")
    attendee, runner = await room_socket(event, eero), await room_socket(event, moderator)
    await next_frame(attendee)
    await next_frame(runner)

    def state_is(state, highlighted="any"):
        def accept(frame):
            return (
                frame["type"] == "question.updated"
                and frame.get("question", {}).get("state") == state
                and (highlighted == "any" or frame["highlighted"] == highlighted)
            )

        return accept

    steps = [
        ("question.highlight", state_is("open", question.pk)),
        ("question.unhighlight", state_is("open", None)),
        ("question.dismiss", state_is("dismissed")),
        ("question.reopen", state_is("open")),
        ("question.answered", state_is("answered")),
        ("question.reopen", state_is("open")),
    ]
    for frame_type, accept in steps:
        await runner.send_json_to({"type": frame_type, "question_id": question.pk, "request": frame_type})
        ok = await frame_where(runner, lambda f, t=frame_type: f["type"] == f"{t}.ok")
        assert ok["request"] == frame_type
        await frame_where(attendee, accept)

    await runner.send_json_to({"type": "question.approve", "question_id": question.pk})
    refused = await frame_where(runner, lambda f: f["type"] == "error")
    assert refused["code"] == "invalid" and "does not apply" in refused["message"]
    for communicator in (attendee, runner):
        await communicator.disconnect()
