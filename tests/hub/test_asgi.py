"""HTTP and WebSockets through the real ``hub.asgi.application``."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.conf import settings
from django.db import transaction
from django.test import Client

from hub.asgi import application
from membership.models import Notification
from membership.services.notifications import notification_send
from tests.factories import make_member

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://testserver")


@sync_to_async
def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def connect_as(user, path: str = "/ws/me/") -> WebsocketCommunicator:
    headers = [ORIGIN]
    if user is not None:
        headers.append((b"cookie", await session_cookie(user)))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_http_request_through_asgi():
    communicator = HttpCommunicator(application, "GET", "/healthz", headers=[(b"host", b"testserver")])
    response = await communicator.get_response()
    assert response["status"] == 200
    body = json.loads(response["body"])
    assert body["database"]["ok"] and body["channel_layer"]["ok"]


async def test_anonymous_socket_is_closed_with_4401():
    communicator = await connect_as(None)
    message = await communicator.receive_output()
    assert message == {"type": "websocket.close", "code": 4401}


async def test_foreign_origin_is_refused():
    member = await sync_to_async(make_member)("aino")
    communicator = WebsocketCommunicator(
        application,
        "/ws/me/",
        headers=[(b"origin", b"https://evil.example"), (b"cookie", await session_cookie(member))],
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_member_gets_ready_frame_then_events_after_commit():
    member = await sync_to_async(make_member)("aino")
    communicator = await connect_as(member)
    ready = await communicator.receive_json_from()
    assert ready == {"type": "session.ready", "unread": 0, "last_id": 0}

    notification = await sync_to_async(notification_send)(
        recipient=member, kind="reply", title="Eero replied to you", url="/forum/t/1/"
    )
    event = await communicator.receive_json_from()
    assert event["type"] == "notification.created"
    assert event["id"] == notification.pk
    assert event["unread"] == 1
    assert event["notification"]["title"] == "Eero replied to you"
    await communicator.disconnect()


async def test_rolled_back_notification_never_reaches_the_socket():
    member = await sync_to_async(make_member)("aino")
    communicator = await connect_as(member)
    await communicator.receive_json_from()  # session.ready

    @sync_to_async
    def send_then_roll_back():
        with transaction.atomic():
            notification_send(recipient=member, kind="reply", title="never")
            transaction.set_rollback(True)

    await send_then_roll_back()
    assert await communicator.receive_nothing(timeout=0.3)
    assert not await sync_to_async(Notification.objects.filter(title="never").exists)()
    await communicator.disconnect()


async def test_other_members_do_not_receive_my_events():
    aino = await sync_to_async(make_member)("aino")
    eero = await sync_to_async(make_member)("eero")
    eeros_socket = await connect_as(eero)
    await eeros_socket.receive_json_from()
    await sync_to_async(notification_send)(recipient=aino, kind="reply", title="for Aino only")
    assert await eeros_socket.receive_nothing(timeout=0.3)
    await eeros_socket.disconnect()


async def test_resume_with_since_replays_each_missed_notification_once_in_order():
    member = await sync_to_async(make_member)("aino")
    first = await sync_to_async(notification_send)(recipient=member, kind="k", title="one")
    second = await sync_to_async(notification_send)(recipient=member, kind="k", title="two")
    third = await sync_to_async(notification_send)(recipient=member, kind="k", title="three")

    communicator = await connect_as(member, f"/ws/me/?since={first.pk}")
    replayed = [await communicator.receive_json_from(), await communicator.receive_json_from()]
    assert [frame["id"] for frame in replayed] == [second.pk, third.pk]
    assert all(frame["type"] == "notification.created" for frame in replayed)
    ready = await communicator.receive_json_from()
    assert ready["type"] == "session.ready"
    assert ready["last_id"] == third.pk
    assert ready["unread"] == 3
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_bad_frames_get_error_frames_and_the_socket_stays_open():
    member = await sync_to_async(make_member)("aino")
    communicator = await connect_as(member)
    await communicator.receive_json_from()

    await communicator.send_to(text_data="{not json")
    assert (await communicator.receive_json_from())["code"] == "bad_json"
    await communicator.send_to(text_data="[1, 2]")
    assert (await communicator.receive_json_from())["code"] == "bad_frame"
    await communicator.send_json_to({"type": "post.created"})
    error = await communicator.receive_json_from()
    assert error == {
        "type": "error",
        "code": "unknown_type",
        "message": "Unknown frame type.",
        "frame_type": "post.created",
    }
    await communicator.send_json_to({"type": "notification.read", "ids": "all"})
    assert (await communicator.receive_json_from())["code"] == "invalid"
    await communicator.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 20000}))
    assert (await communicator.receive_json_from())["code"] == "too_large"

    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


async def test_marking_read_updates_every_tab():
    member = await sync_to_async(make_member)("aino")
    notification = await sync_to_async(notification_send)(recipient=member, kind="k", title="hello")
    tab_one = await connect_as(member)
    tab_two = await connect_as(member)
    await tab_one.receive_json_from()
    await tab_two.receive_json_from()

    await tab_one.send_json_to({"type": "notification.read", "ids": [notification.pk, 999999]})
    for tab in (tab_one, tab_two):
        assert await tab.receive_json_from() == {
            "type": "notification.read",
            "ids": [notification.pk],
            "unread": 0,
        }
    await tab_one.disconnect()
    await tab_two.disconnect()
