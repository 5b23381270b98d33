"""Live events from a process that serves no sockets (the worker, any management command).

The in-memory channel layer cannot cross processes, so such a process writes its events to
the relay table and the web process hands them to its own layer; with Redis they go straight
to the layer. Both setups must deliver: these tests run on each.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils import timezone

from hub import realtime
from hub.asgi import application
from hub.models import RealtimeRelay
from hub.realtime import (
    EVENT_MESSAGE_TYPE,
    FanoutRegistry,
    RelayCursor,
    Subscriber,
    encode_event,
    layer_crosses_processes,
    relay_prune,
    relay_write,
)
from membership.services.notifications import notification_send
from tests.community.sockets import leave_topics  # noqa: F401  (an autouse fixture)
from tests.factories import make_member
from tests.subprocesses import database_url_for_subprocess

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture
def socketless_process():
    """This process, for the test, acts as one that serves no sockets (like the worker)."""
    realtime.relay_through_database(True)
    yield
    realtime.relay_through_database(False)


def layer_message(event: dict) -> dict:
    return {
        "type": EVENT_MESSAGE_TYPE,
        "text": encode_event(event),
        "event": event["type"],
        "id": event.get("id"),
    }


# --- the cursor ------------------------------------------------------------------------------


def test_the_cursor_takes_new_rows_once_and_looks_again_for_ids_it_skipped():
    cursor = RelayCursor(4)
    assert [row[0] for row in cursor.take([(5, "g", "{}"), (8, "g", "{}")], now=0.0)] == [5, 8]
    # 6 and 7 may belong to transactions that commit after 8 (PostgreSQL sequences).
    assert set(cursor.missing) == {6, 7}
    assert [row[0] for row in cursor.take([(7, "g", "{}"), (8, "g", "{}")], now=1.0)] == [7]
    assert set(cursor.missing) == {6}
    # Given up after a while: a rolled-back insert never commits.
    assert cursor.take([], now=realtime.RELAY_GAP_SECONDS + 1) == []
    assert cursor.missing == {}
    assert cursor.last == 8


# --- the relay in a web process ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_relay_hands_rows_written_after_it_started_to_its_layer_in_order():
    before = {"type": "notification.created", "id": 1}
    await database_sync_to_async(relay_write)(group="member.7", message=layer_message(before))
    layer = InMemoryChannelLayer()
    registry = FanoutRegistry(layer, asyncio.get_running_loop())
    frames: list[str] = []
    controls: list[dict] = []
    both = asyncio.Event()

    async def send(frame: dict) -> None:
        frames.append(frame["text"])

    async def control(event: dict) -> None:
        controls.append(event)
        both.set()

    subscriber = Subscriber(send, control=control)
    await registry.subscribe("member.7", subscriber)
    await subscriber.go_live()
    assert registry._relay is not None  # an in-memory layer: the relay runs with the sockets

    first = {"type": "notification.created", "id": 2}
    second = {"type": "notification.created", "id": 3}
    for event in (first, second):
        await database_sync_to_async(relay_write)(group="member.7", message=layer_message(event))
    await database_sync_to_async(relay_write)(group="member.8", message=layer_message(first))
    await database_sync_to_async(relay_write)(
        group="member.7", message={"type": EVENT_MESSAGE_TYPE, "control": {"type": "access.changed"}}
    )
    await asyncio.wait_for(both.wait(), timeout=5)

    # The row from before the relay started is the socket's backlog's business, not the relay's.
    assert frames == [encode_event(first), encode_event(second)]
    assert controls == [{"type": "access.changed"}]
    await registry.close()
    assert registry._relay is None


@pytest.mark.django_db(transaction=True)
async def test_the_relay_stops_with_the_last_socket_and_rows_are_kept_a_minute():
    registry = FanoutRegistry(InMemoryChannelLayer(), asyncio.get_running_loop())
    subscriber = Subscriber(lambda frame: asyncio.sleep(0))
    await registry.subscribe("member.7", subscriber)
    relay = registry._relay
    await registry.unsubscribe(subscriber)
    assert registry._relay is None
    await asyncio.wait([relay])
    assert relay.cancelled()

    await database_sync_to_async(relay_write)(group="member.7", message=layer_message({"type": "x"}))
    old = await database_sync_to_async(RealtimeRelay.objects.create)(
        group="member.7", message="{}", created_at=timezone.now() - timedelta(minutes=2)
    )
    assert await database_sync_to_async(relay_prune)() == 1
    assert not await database_sync_to_async(RealtimeRelay.objects.filter(pk=old.pk).exists)()


def test_redis_is_not_relayed():
    from channels_redis.core import RedisChannelLayer

    assert layer_crosses_processes(RedisChannelLayer())
    assert not layer_crosses_processes(InMemoryChannelLayer())


# --- from a socketless process to an open /ws/me/ ---------------------------------------------


async def me_socket(member) -> WebsocketCommunicator:
    @database_sync_to_async
    def cookie() -> bytes:
        client = Client()
        client.force_login(member)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        return f"{settings.SESSION_COOKIE_NAME}={session}".encode()

    communicator = WebsocketCommunicator(
        application, "/ws/me/", headers=[ORIGIN, (b"cookie", await cookie())]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=3))["type"] == "session.ready"
    return communicator


def relayed_here() -> bool:
    """Whether this setup's layer needs the relay (the default) or crosses processes (Redis)."""
    return not layer_crosses_processes(get_channel_layer())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrated_rows", "socketless_process")
async def test_an_event_from_a_socketless_process_reaches_the_open_socket():
    aino = await database_sync_to_async(make_member)("aino")
    me = await me_socket(aino)
    notification = await database_sync_to_async(notification_send)(
        recipient=aino, kind="test", title="Your order shipped", url="/notifications/"
    )
    frame = await me.receive_json_from(timeout=5)
    assert frame["type"] == "notification.created" and frame["id"] == notification.pk
    rows = await database_sync_to_async(RealtimeRelay.objects.count)()
    assert rows == (1 if relayed_here() else 0)
    await me.disconnect()


COMMAND = """
from membership.models import User
from membership.services.notifications import notification_send
notification_send(recipient=User.objects.get(username="aino"), kind="test", title="Made by another process")
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrated_rows")
async def test_a_management_command_in_another_process_reaches_the_open_socket(tmp_path):
    aino = await database_sync_to_async(make_member)("aino")
    me = await me_socket(aino)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hub.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "KANTA_VAR_DIR": str(tmp_path),
    }
    # REDIS_URL, when set, is this test's too: then the command sends through Redis.
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "manage.py",
        "shell",
        "-c",
        COMMAND,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, output.decode()

    frame = await me.receive_json_from(timeout=5)
    assert frame["type"] == "notification.created"
    assert frame["notification"]["title"] == "Made by another process"
    await me.disconnect()
