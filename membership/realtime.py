"""Group names and event payloads for a member's own socket, ``/ws/me/``."""

from __future__ import annotations

from typing import Literal, TypedDict

from hub.realtime import group_name, send_event_on_commit

from .models import Notification


def member_group(member_id: int) -> str:
    return group_name("member", member_id)


class NotificationPayload(TypedDict):
    id: int
    kind: str
    title: str
    body: str
    url: str
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


def notification_payload(notification: Notification) -> NotificationPayload:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
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
