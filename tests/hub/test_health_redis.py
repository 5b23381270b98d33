"""``/healthz`` on the Redis channel layer, through the real ``hub.asgi.application``.

channels_redis reads all of a process's specific channels with one blocking pop behind one
lock. A check that sent itself a message and received it waited behind every open socket's
reader (up to 5 s), so a process with users answered 503 and a load balancer took it out of
rotation. The check now PINGs Redis through the layer's own pool: sockets open, it answers 200;
Redis really gone (the test's own redis-server killed), it answers a JSON 503 naming the layer.
"""

from __future__ import annotations

import contextlib
import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.test import override_settings

from hub.asgi import application
from hub.redis_connections import channel_layer_host
from tests.community.forum_factories import forum_member, make_category, start_thread
from tests.community.sockets import ORIGIN, leave_topics, session_cookie  # noqa: F401  (autouse fixture)
from tests.redis_server import private_redis_server, redis_url  # noqa: F401

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migrated_rows"),
]

SOCKETS = 5


def redis_layer(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A prefix of the test's own: nothing else on this Redis sees its keys.
            "CONFIG": {
                "hosts": [channel_layer_host(url, socket_timeout=15)],
                "prefix": f"healthz-{uuid.uuid4().hex}",
            },
        }
    }


async def healthz() -> tuple[int, dict]:
    communicator = HttpCommunicator(application, "GET", "/healthz", headers=[(b"host", b"testserver")])
    # Well past the check's own 2 s limit, so a check that waited would show as a 503 here,
    # not as a timeout of the test.
    response = await communicator.get_response(timeout=10)
    return response["status"], json.loads(response["body"])


async def open_thread_sockets(count: int) -> list[WebsocketCommunicator]:
    thread = await sync_to_async(lambda: start_thread(forum_member("aino"), make_category()))()
    cookie = await session_cookie(await sync_to_async(forum_member)("eero"))
    sockets = []
    for _ in range(count):
        communicator = WebsocketCommunicator(
            application, f"/ws/forum/threads/{thread.pk}/", headers=[ORIGIN, (b"cookie", cookie)]
        )
        connected, _ = await communicator.connect(timeout=10)
        assert connected
        assert (await communicator.receive_json_from(timeout=10))["type"] == "session.ready"
        sockets.append(communicator)
    return sockets


async def test_healthz_answers_200_with_sockets_open_on_redis(redis_url):  # noqa: F811
    with override_settings(CHANNEL_LAYERS=redis_layer(redis_url)):
        sockets = await open_thread_sockets(SOCKETS)
        try:
            # Several checks in a row: each would have queued behind the readers' pop.
            for _ in range(3):
                status, body = await healthz()
                assert status == 200, body
                assert body["channel_layer"]["ok"] is True
                assert body["channel_layer"]["backend"] == "RedisChannelLayer"
                assert "error" not in body["channel_layer"]
        finally:
            for communicator in sockets:
                await communicator.disconnect()


async def test_healthz_answers_503_naming_the_layer_when_redis_is_killed(tmp_path):
    with private_redis_server(tmp_path) as (url, server), override_settings(CHANNEL_LAYERS=redis_layer(url)):
        status, body = await healthz()
        assert status == 200, body  # the pool now holds a live connection to lose

        server.kill()
        server.wait(timeout=10)

        status, body = await healthz()
        assert status == 503
        assert body["status"] == "unavailable"
        assert body["database"]["ok"] is True
        assert body["channel_layer"]["ok"] is False
        assert body["channel_layer"]["backend"] == "RedisChannelLayer"
        assert body["channel_layer"]["error"] in {"ConnectionError", "timeout"}
        with contextlib.suppress(Exception):
            from channels.layers import get_channel_layer

            await get_channel_layer().close_pools()
