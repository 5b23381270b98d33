"""A live room served by two daphne processes sharing Redis: a question asked on one reaches
attendees on the other, votes cast on both are counted exactly and their coalesced counts
reach both, and a runner's highlight on one process shows on the other."""

from __future__ import annotations

import contextlib
import json
import threading

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from websockets.sync.client import connect

from community.models import EventQuestion, EventQuestionVote
from tests.community.event_factories import make_event

# The two servers are the forum's (same processes, same settings).
from tests.community.forum.test_redis_processes import two_servers  # noqa: F401
from tests.community.forum_factories import forum_member
from tests.factories import make_member
from tests.redis_server import redis_url  # noqa: F401
from tests.subprocesses import frame_where

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def cookie(member) -> str:
    client = Client()
    client.force_login(member)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def room(port: int, event, member):
    return connect(
        f"ws://127.0.0.1:{port}/ws/events/{event.slug}/",
        origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": cookie(member)},
        open_timeout=60,
    )


def test_questions_votes_and_highlights_cross_processes(two_servers):  # noqa: F811
    first, second = two_servers
    event = make_event()
    aino, eero = forum_member("aino", tier="vip"), forum_member("eero", tier="vip")
    moderator = make_member("ville")
    moderator.user_permissions.add(Permission.objects.get(codename="moderate_events"))
    voters = [forum_member(f"voter{n}", tier="vip") for n in range(8)]

    with contextlib.ExitStack() as stack:
        asker = stack.enter_context(room(first, event, aino))
        attendee = stack.enter_context(room(second, event, eero))
        runner = stack.enter_context(room(first, event, moderator))
        for socket in (asker, attendee, runner):
            frame_where(socket, lambda f: f["type"] == "session.ready")

        asker.send(json.dumps({"type": "question.ask", "body": "Grip wax at minus twenty?"}))
        created = frame_where(attendee, lambda f: f["type"] == "question.created")
        question_id = created["question"]["id"]
        assert created["question"]["author"]["username"] == "aino"

        # Eight members vote at once, half through each process.
        sockets = [
            stack.enter_context(room(two_servers[n % 2], event, voter)) for n, voter in enumerate(voters)
        ]
        for socket in sockets:
            frame_where(socket, lambda f: f["type"] == "session.ready")
        barrier = threading.Barrier(len(sockets))
        acks: list[dict] = []
        errors: list[BaseException] = []

        def vote(socket):
            try:
                barrier.wait()
                socket.send(json.dumps({"type": "question.vote", "question_id": question_id}))
                acks.append(frame_where(socket, lambda f: f["type"] in ("question.vote.ok", "error")))
            except BaseException as exc:  # asserted below
                errors.append(exc)

        threads = [threading.Thread(target=vote, args=(socket,)) for socket in sockets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert [ack["type"] for ack in acks] == ["question.vote.ok"] * 8, acks

        # Both processes' coalesced counts arrive on the first process; the last says eight.
        counted = frame_where(asker, lambda f: f.get("votes", {}).get(str(question_id)) == 8)
        assert counted["type"] == "question.updated"
        assert EventQuestion.objects.get(pk=question_id).vote_count == 8 == EventQuestionVote.objects.count()

        runner.send(json.dumps({"type": "question.highlight", "question_id": question_id}))
        highlighted = frame_where(attendee, lambda f: f["type"] == "question.updated" and "question" in f)
        assert highlighted["highlighted"] == question_id
