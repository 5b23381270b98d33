"""Under real daphne, the fan-out writes a reply's frame to every reader's socket itself
(hub/direct_writes.py), checked frame by frame as in every test (hub.event_types), and every
reader reads it whole, after the frames daphne wrote for it before (session.ready, presence).

No browser: plain WebSocket clients against the live server of tests/browser/conftest.py,
which is the only daphne in the test process (Twisted's reactor starts once per process).
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from websockets.sync.client import connect

from tests.community.forum.test_redis_processes import next_frame
from tests.community.forum_factories import forum_member, make_category, reply, start_thread

pytestmark = pytest.mark.browser

READERS = 30


def new_thread() -> int:
    return start_thread(forum_member("aino"), make_category()).pk


def new_reply(thread_id: int) -> int:
    from community.models import Thread

    return reply(forum_member("eero"), Thread.objects.get(pk=thread_id), body="Studs.").pk


def test_a_reply_reaches_every_reader_through_direct_writes(live_asgi):
    from community.forum.realtime import thread_group
    from hub.realtime import fanout_registry

    thread_id = live_asgi.call(new_thread)
    host = live_asgi.url.removeprefix("http://")
    path = f"/ws/forum/threads/{thread_id}/"
    with contextlib.ExitStack() as stack:
        readers = [
            stack.enter_context(connect(f"ws://{host}{path}", origin=live_asgi.url, open_timeout=30))
            for _ in range(READERS)
        ]
        for reader in readers:
            assert next_frame(reader, "session.ready")["thread"]["id"] == thread_id

        written: list[bool] = []

        def counted(write):
            def counting(framed: bytes) -> bool:
                written.append(write(framed))
                return written[-1]

            return counting

        async def count_direct_writes() -> int:
            topic = fanout_registry().topics[thread_group(thread_id)]
            for subscriber in topic.subscribers:
                assert subscriber.write is not None, "daphne's socket got no direct writer"
                subscriber.write = counted(subscriber.write)
            return len(topic.subscribers)

        sockets = asyncio.run_coroutine_threadsafe(count_direct_writes(), live_asgi.loop).result(10)
        assert sockets == READERS

        post_id = live_asgi.call(new_reply, thread_id)
        frames = [next_frame(reader, "post.created") for reader in readers]
        assert {frame["id"] for frame in frames} == {post_id}
        assert all("Studs." in frame["post"]["html"] for frame in frames)
        assert written.count(True) >= READERS  # every reader's post.created went directly
    assert live_asgi.error_messages() == []
