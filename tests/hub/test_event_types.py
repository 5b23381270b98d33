"""Every event type has one typed definition (hub.event_types), every payload is checked
against it where it is sent (the whole suite runs with KANTA_REALTIME_CHECK_EVENTS), a payload
that drifts fails, every event the code can produce is produced and checked once in one
scenario through the real hub.asgi.application, and docs/realtime.md lists every type with
exactly the fields of its definition. As zulip's event_schema and test_events."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Literal, TypedDict

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test import Client
from django.utils import timezone

from community.events import realtime as room_realtime
from community.events.services import live
from community.forum import realtime as forum_realtime
from community.forum.services.moderation import member_sanction, post_hide
from community.forum.services.posts import post_edit, reaction_toggle
from community.models import ForumSanction
from hub import event_types
from hub.asgi import application
from hub.event_types import EventMismatch, EventRegistry, mismatches
from hub.realtime import (
    ErrorFrame,
    KantaConsumer,
    group_send_event,
    send_control_on_commit,
    send_event_on_commit,
    send_variants_on_commit,
)
from hub.settings import base as base_settings
from membership.consumers import MeConsumer
from membership.models import Tier, User
from membership.services.points import points_adjust
from tests.community.event_factories import make_event
from tests.community.forum_factories import forum_member, make_category, reply, start_thread
from tests.community.sockets import ORIGIN, leave_topics  # noqa: F401  (leave_topics: an autouse fixture)

DOCS = Path(settings.BASE_DIR) / "docs" / "realtime.md"


@pytest.fixture
def mismatch_expected():
    """For tests that make payloads drift on purpose: their mismatches are the point, not a
    failure of the test (tests/conftest.py fails a test that leaves any)."""
    yield
    event_types.forget_violations()


# --- the checker -------------------------------------------------------------------------------


class Author(TypedDict):
    username: str | None
    is_vip: bool


class Thing(TypedDict):
    type: Literal["thing.made"]
    id: int
    at: float
    tags: list[str]
    counts: dict[str, int]
    author: Author


def thing(**changes: object) -> dict[str, object]:
    made: dict[str, object] = {
        "type": "thing.made",
        "id": 7,
        "at": 1.5,
        "tags": ["wax"],
        "counts": {"88": 2},
        "author": {"username": "aino", "is_vip": False},
    }
    made.update(changes)
    return made


def test_a_payload_that_matches_its_definition_has_no_mismatches():
    assert mismatches(Thing, thing()) == []
    assert mismatches(Thing, thing(at=2, author={"username": None, "is_vip": True})) == []


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ({**thing(), "extra": 1}, "'extra' is not in Thing"),
        ({key: value for key, value in thing().items() if key != "id"}, "'id' is missing"),
        (thing(id="7"), "id: '7' is not a whole number"),
        (thing(id=True), "id: True is not a whole number"),
        (thing(id=7.0), "id: 7.0 is not a whole number"),
        (thing(at="now"), "at: 'now' is not a number"),
        (thing(type="thing.broken"), "'thing.broken' is not one of ['thing.made']"),
        (thing(tags=["wax", 3]), "tags[1]: 3 is not text"),
        (thing(counts={"88": "2"}), "counts.88: '2' is not a whole number"),
        (thing(author={"username": "aino"}), "author: 'is_vip' is missing"),
        (thing(author={"username": 5, "is_vip": False}), "author.username: 5 is not text"),
        (thing(author={"username": "aino", "is_vip": 0}), "author.is_vip: 0 is not true or false"),
        (thing(author=None), "author: None is not an object"),
    ],
)
def test_a_payload_that_drifts_is_told_what_is_wrong(payload, complaint):
    errors = mismatches(Thing, payload)
    assert any(complaint in error for error in errors), errors


def test_optional_keys_may_be_left_out_and_no_others_added():
    assert mismatches(ErrorFrame, {"type": "error", "code": "invalid", "message": "No."}) == []
    assert mismatches(ErrorFrame, {"type": "error", "code": "x", "message": "No.", "request": [1]}) == []
    assert mismatches(ErrorFrame, {"type": "error", "code": "x", "message": "No.", "frame_type": 3}) != []
    assert mismatches(ErrorFrame, {"type": "error", "code": "x", "message": "No.", "why": "?"}) != []


def test_a_type_with_two_shapes_takes_either_whole_but_not_a_mix():
    question = {
        "id": 9,
        "body": "Klister or skins?",
        "state": "open",
        "votes": 0,
        "anonymous": False,
        "author": {"username": "aino", "name": "Aino", "is_vip": True, "is_owner": False},
        "created_at": "2026-12-01T18:00:00+00:00",
        "answered_at": None,
    }
    changed = {"type": "question.updated", "id": 3, "question": question, "highlighted": None}
    counts = {"type": "question.updated", "votes": {"9": 4}, "at": 1.25}
    assert mismatches(room_realtime.QuestionUpdated, changed) == []
    assert mismatches(room_realtime.QuestionUpdated, counts) == []
    assert mismatches(room_realtime.QuestionUpdated, {**changed, "votes": {"9": 4}}) != []
    assert mismatches(room_realtime.QuestionUpdated, {"type": "question.updated", "votes": {"9": 4}}) != []


# --- the registry --------------------------------------------------------------------------------


class Created(TypedDict):
    type: Literal["thing.created"]
    id: int


class CreatedAgain(TypedDict):
    type: Literal["thing.created"]
    id: int
    extra: str


class Ready(TypedDict):
    type: Literal["session.ready"]
    last_id: int


class OtherReady(TypedDict):
    type: Literal["session.ready"]
    categories: list[int]


class Untyped(TypedDict):
    type: str


def test_one_definition_per_type_and_one_meaning_per_name():
    registry = EventRegistry()
    registry.register_socket("a", Created, Ready, path="/ws/a/")
    # The same definition on another socket is the same type; session.ready is each socket's own.
    registry.register_socket("b", Created, OtherReady, path="/ws/b/")
    with pytest.raises(TypeError, match="has a definition already"):
        registry.register_socket("c", CreatedAgain, path="/ws/c/")
    with pytest.raises(TypeError, match="one name, one meaning"):
        registry.register("control", Created)
    with pytest.raises(TypeError, match=r"defines 'session\.ready' twice"):
        registry.register_socket("d", Ready, OtherReady, path="/ws/d/")
    with pytest.raises(TypeError, match="must be a Literal"):
        registry.register("control", Untyped)
    with pytest.raises(TypeError, match="define different types"):
        registry.register("layer", Created | Ready)
    assert "c" not in registry.sockets and "d" not in registry.sockets
    assert registry.types["thing.created"] == ("socket", Created)


def test_kantas_names_each_mean_one_thing():
    registry = event_types.registry
    # The browser frame before a 4403, and the forum's control event that leads to it.
    assert registry.types["access.revoked"][0] == "socket"
    assert registry.types["forum.access.restricted"][0] == "control"
    assert registry.types["question.updated"] == ("socket", room_realtime.QuestionUpdated)
    assert room_realtime.ROOM_SOCKET.frames["question.updated"] is room_realtime.QuestionUpdated
    for name in ("session.ended", "access.changed"):
        assert registry.types[name][0] == "control"
    assert {socket.name for socket in registry.sockets.values()} == {
        "me",
        "forum.thread",
        "forum.list",
        "events.room",
    }


def test_docs_list_every_event_type_with_exactly_its_fields():
    reference = event_types.registry.reference()
    text = DOCS.read_text(encoding="utf-8")
    begin, end = "<!-- event types: begin -->\n", "<!-- event types: end -->"
    assert begin in text and end in text
    documented = text.split(begin, 1)[1].split(end, 1)[0]
    assert documented.strip() == reference.strip(), (
        "docs/realtime.md's event types differ from the definitions; the reference is:\n" + reference
    )


# --- the send paths check every payload ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("mismatch_expected")
def test_a_broadcast_that_drifts_fails_inside_its_transaction(django_capture_on_commit_callbacks):
    group = forum_realtime.thread_group(1)
    drifted = [
        {"type": "post.hidden", "id": 1, "number": 2, "state": "hidden", "reason": "spam"},
        {"type": "post.hidden", "id": 1, "number": 2},
        {"type": "post.hidden", "id": "1", "number": 2, "state": "hidden"},
        {"type": "post.vanished", "id": 1},
        {"type": "forum.access.restricted", "member": "all", "thread_id": 1},
    ]
    for event in drifted:
        with (
            django_capture_on_commit_callbacks() as callbacks,
            pytest.raises(EventMismatch),
            transaction.atomic(),
        ):
            send_event_on_commit(group, event)
        assert callbacks == []
    with pytest.raises(EventMismatch, match="thread_id"):
        send_control_on_commit(group, {"type": "forum.access.restricted", "member": "all"})
    with pytest.raises(EventMismatch, match="no control event"):
        send_control_on_commit(group, {"type": "access.revoked"})
    with pytest.raises(EventMismatch, match="'state' is missing"):
        send_variants_on_commit(
            group,
            {"reader": {"type": "post.hidden", "id": 1, "number": 2}, "moderator": None},
        )
    with pytest.raises(EventMismatch, match="differs per socket"):
        send_event_on_commit(group, {"type": "session.ready", "unread": 0, "last_id": 0})
    assert len(event_types.violations()) == len(drifted) + 4


@pytest.mark.usefixtures("mismatch_expected")
async def test_an_event_sent_from_async_code_is_checked_too():
    with pytest.raises(EventMismatch, match="replying"):
        await group_send_event("forum.thread.1", {"type": "presence", "thread_id": 1, "reading": 2})


@pytest.mark.usefixtures("mismatch_expected")
async def test_a_socket_sends_only_the_frames_it_declares():
    written: list[dict] = []

    async def send(message):
        written.append(message)

    checked = MeConsumer()._checked_send(send)
    await checked({"type": "websocket.send", "text": json.dumps({"type": "pong"})})
    await checked({"type": "websocket.accept"})
    assert [message["type"] for message in written] == ["websocket.send", "websocket.accept"]
    with pytest.raises(EventMismatch, match="socket 'me' has no frame of type 'presence'"):
        await checked(
            {
                "type": "websocket.send",
                "text": json.dumps({"type": "presence", "thread_id": 1, "reading": 1, "replying": 0}),
            }
        )
    with pytest.raises(EventMismatch, match="'unread' is missing"):
        await checked({"type": "websocket.send", "text": json.dumps({"type": "session.ready", "last_id": 0})})
    with pytest.raises(EventMismatch, match="declares no server_frames"):
        await KantaConsumer()._checked_send(send)({"type": "websocket.send", "text": '{"type": "pong"}'})
    assert len(written) == 2


def test_checks_are_off_outside_tests():
    assert base_settings.KANTA_REALTIME_CHECK_EVENTS is False
    assert settings.KANTA_REALTIME_CHECK_EVENTS is True


# --- every event the code can produce, produced once --------------------------------------------


async def open_socket(path: str, cookie: bytes | None = None) -> WebsocketCommunicator:
    headers = [ORIGIN] + ([(b"cookie", cookie)] if cookie else [])
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def frame_where(communicator: WebsocketCommunicator, kind: str, **fields: object) -> dict:
    """The next frame of type ``kind`` (with ``fields``), skipping any other."""
    while True:
        frame = await communicator.receive_json_from(timeout=3)
        if frame["type"] == kind and all(frame.get(key) == value for key, value in fields.items()):
            return frame


async def frames_of(communicator: WebsocketCommunicator, *kinds: str) -> None:
    """Read frames until one of each of ``kinds`` has come, in any order."""
    waiting = set(kinds)
    while waiting:
        waiting.discard((await communicator.receive_json_from(timeout=3))["type"])


async def closed_with(communicator: WebsocketCommunicator) -> int:
    while True:
        message = await communicator.receive_output(timeout=3)
        if message["type"] == "websocket.close":
            await communicator.disconnect(code=message["code"], timeout=3)
            return message["code"]


async def ping_and_refuse(communicator: WebsocketCommunicator) -> None:
    await communicator.send_json_to({"type": "ping"})
    await frame_where(communicator, "pong")
    await communicator.send_json_to({"type": "no.such.frame"})
    assert (await frame_where(communicator, "error"))["code"] == "unknown_type"


@sync_to_async
def browser(user: User) -> tuple[Client, bytes]:
    client = Client()
    client.force_login(user)
    return (
        client,
        f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode(),
    )


@sync_to_async
def the_world():
    category = make_category("cycling")
    aino = forum_member("aino", tier="vip")
    eero = forum_member("eero", tier="vip")
    ville = forum_member("ville")
    ville.user_permissions.add(
        Permission.objects.get(codename="moderate_forum"), Permission.objects.get(codename="moderate_events")
    )
    ville = User.objects.get(pk=ville.pk)
    thread = start_thread(aino, category)
    event = make_event(premoderated=True)
    return category, aino, eero, ville, thread, event


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrated_rows")
async def test_every_event_type_is_produced_and_matches_its_definition(settings):
    settings.KANTA_FORUM_PRESENCE_INTERVAL = 0.02
    settings.KANTA_EVENT_VOTE_BATCH_MS = 5
    settings.KANTA_EVENT_VOTE_BROADCAST_INTERVAL = 0.05
    event_types.registry.seen.clear()
    category, aino, eero, ville, thread, event = await the_world()
    ainos_browser, ainos_cookie = await browser(aino)
    _eeros_browser, eeros_cookie = await browser(eero)
    _villes_browser, villes_cookie = await browser(ville)

    # /ws/me/ and the forum: every frame, then a ban closes the forum's sockets.
    me = await open_socket("/ws/me/", ainos_cookie)
    await frame_where(me, "session.ready")
    forum = await open_socket("/ws/forum/", eeros_cookie)
    await frame_where(forum, "session.ready")
    on_thread = await open_socket(f"/ws/forum/threads/{thread.pk}/", eeros_cookie)
    await frame_where(on_thread, "session.ready")
    await frame_where(on_thread, "presence")

    post = await sync_to_async(reply)(eero, thread)
    await frames_of(on_thread, "post.created", "thread.updated")
    await frames_of(forum, "thread.activity", "thread.updated")
    await frame_where(me, "notification.created")
    await me.send_json_to({"type": "notification.read_all"})
    await frame_where(me, "notification.read")
    await sync_to_async(post_edit)(post=post, editor=eero, body="Nokian W240, studs out in April.")
    await frame_where(on_thread, "post.updated", id=post.pk)
    await sync_to_async(reaction_toggle)(member=aino, post=post, kind="like")
    await frame_where(on_thread, "reaction.updated", id=post.pk)
    await sync_to_async(post_hide)(post=post, moderator=ville, reason="Off topic")
    await frame_where(on_thread, "post.hidden", id=post.pk)
    await sync_to_async(start_thread)(aino, category, title="Studs for running?")
    await frame_where(forum, "thread.created")
    for communicator in (me, forum, on_thread):
        await ping_and_refuse(communicator)

    await sync_to_async(member_sanction)(
        member=eero,
        kind=ForumSanction.Kind.BAN,
        until=timezone.now() + timedelta(days=7),
        reason="Spam",
        moderator=ville,
    )
    for communicator in (forum, on_thread):
        await frame_where(communicator, "access.revoked")
        assert await closed_with(communicator) == 4403

    # The live room: every client frame's answer and every broadcast.
    attendee = await open_socket(f"/ws/events/{event.slug}/", ainos_cookie)
    await frame_where(attendee, "session.ready")
    runner = await open_socket(f"/ws/events/{event.slug}/", villes_cookie)
    await frame_where(runner, "session.ready")
    await frame_where(attendee, "room.attendees")

    await attendee.send_json_to({"type": "question.ask", "body": "Klister or skins in March?", "request": 1})
    asked = await frame_where(attendee, "question.ask.ok", request=1)
    await frame_where(runner, "question.created")
    for number, action in enumerate(("approve", "highlight", "unhighlight", "answered", "reopen", "dismiss")):
        request = f"moderate-{number}"
        await runner.send_json_to(
            {"type": f"question.{action}", "question_id": asked["id"], "request": request}
        )
        await frame_where(runner, f"question.{action}.ok", request=request)
    await frame_where(attendee, "question.updated")

    @sync_to_async
    def eeros_question():
        question = live.question_ask(member=eero, event=event, body="Which wax below minus ten?")
        return live.question_moderate(moderator=ville, question=question, action="approve")

    question = await eeros_question()
    await attendee.send_json_to({"type": "question.vote", "question_id": question.pk, "request": "vote"})
    await frame_where(attendee, "question.vote.ok", request="vote")
    counts = await frame_where(attendee, "question.updated", votes={str(question.pk): 1})
    assert "question" not in counts
    await attendee.send_json_to({"type": "question.unvote", "question_id": question.pk, "request": "unvote"})
    await frame_where(attendee, "question.unvote.ok", request="unvote")

    await attendee.send_json_to({"type": "chat.message", "body": "Hello from Tampere", "request": "chat"})
    sent = await frame_where(attendee, "chat.message.ok", request="chat")
    await frame_where(runner, "chat.message")
    await runner.send_json_to({"type": "chat.delete", "message_id": sent["id"], "request": "delete"})
    await frame_where(runner, "chat.delete.ok", request="delete")
    await frame_where(attendee, "chat.deleted")
    await runner.send_json_to({"type": "member.mute", "username": "aino", "minutes": 5, "request": "mute"})
    await frame_where(runner, "member.mute.ok", request="mute")
    await frame_where(attendee, "room.muted")
    await ping_and_refuse(attendee)

    # A tier drop (access.changed) closes the room; a logout (session.ended) the member's own.
    threshold = await sync_to_async(lambda: Tier.objects.get(slug="vip").threshold)()
    await sync_to_async(points_adjust)(
        member=aino,
        amount=-threshold,
        reason="test: lapsed",
        actor=aino,
        now=timezone.now() + timedelta(days=400),
    )
    await frame_where(attendee, "access.revoked")
    assert await closed_with(attendee) == 4403
    await sync_to_async(ainos_browser.logout)()
    assert await closed_with(me) == 4401
    await runner.disconnect()

    missing = event_types.registry.registered() - event_types.registry.seen
    assert not missing, f"never produced: {sorted(missing)}"
