"""Group names and typed event payloads for a member's own socket, ``/ws/me/``: every frame
it sends is declared in ``ME_SOCKET`` (hub.event_types, docs/realtime.md)."""

from __future__ import annotations

from typing import Literal, TypedDict

from django.urls import reverse

from hub.event_types import register_socket
from hub.realtime import ErrorFrame, Pong, group_name, send_event_on_commit

from .models import Notification


def member_group(member_id: int) -> str:
    return group_name("member", member_id)


class NotificationPayload(TypedDict):
    id: int
    kind: str
    title: str
    body: str
    url: str
    # Follow this rather than ``url``: it marks the notification read, then redirects there.
    open_url: str
    created_at: str
    read: bool


class NotificationCreated(TypedDict):
    type: Literal["notification.created"]
    id: int
    notification: NotificationPayload
    unread: int


class NotificationsRead(TypedDict):
    type: Literal["notification.read"]
    ids: list[int]
    unread: int


class MeSessionReady(TypedDict):
    """The end of the connect, after any replayed notifications."""

    type: Literal["session.ready"]
    unread: int
    # The member's newest notification id (0 for none): resume from it.
    last_id: int


ME_SOCKET = register_socket(
    "me", MeSessionReady, NotificationCreated, NotificationsRead, Pong, ErrorFrame, path="/ws/me/"
)


def notification_payload(notification: Notification) -> NotificationPayload:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "open_url": reverse("membership:notification_open", args=[notification.pk]),
        "created_at": notification.created_at.isoformat(),
        "read": notification.read_at is not None,
    }


def notification_created_event(notification: Notification, *, unread: int) -> NotificationCreated:
    return {
        "type": "notification.created",
        "id": notification.pk,
        "notification": notification_payload(notification),
        "unread": unread,
    }


def send_notification_created(notification: Notification, *, unread: int) -> None:
    send_event_on_commit(
        member_group(notification.recipient_id), notification_created_event(notification, unread=unread)
    )


def send_notifications_read(*, member_id: int, ids: list[int], unread: int) -> None:
    # Other tabs of the same member clear their badge too.
    event: NotificationsRead = {"type": "notification.read", "ids": ids, "unread": unread}
    send_event_on_commit(member_group(member_id), event)
