"""``/ws/me/``: the signed-in member's own notifications, in every open tab, resumed with
``?since=<notification id>`` (hub.resume's sequence)."""

from __future__ import annotations

from functools import partial
from typing import Any, cast

from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from hub.realtime import CLOSE_UNAUTHENTICATED, Pong, encode_event
from hub.resume import ResumingConsumer, SocketOpening

from . import selectors
from .models import User
from .realtime import ME_SOCKET, MeSessionReady, NotificationCreated, member_group, notification_created_event
from .services.notifications import notifications_mark_read


def me_socket_open(*, member: User, since: int | None) -> SocketOpening:
    """The notifications missed since ``since`` and ``session.ready``. Live
    ``notification.created`` events up to the last one replayed (or ``since``) are dropped:
    the page has them."""
    missed: list[NotificationCreated] = []
    if since is not None:
        unread = selectors.notifications_unread_count(member=member)
        missed = [
            notification_created_event(n, unread=unread)
            for n in selectors.notifications_since(member=member, since=since)
        ]
    ready: MeSessionReady = {
        "type": "session.ready",
        "unread": selectors.notifications_unread_count(member=member),
        "last_id": selectors.notifications_latest_id(member=member),
    }
    return SocketOpening(
        backlog=[encode_event(event) for event in missed],
        ready=ready,
        covered=(missed[-1]["id"] if missed else since) if since is not None else None,
        covered_events={"notification.created"},
    )


class MeConsumer(ResumingConsumer):
    server_frames = ME_SOCKET
    client_frames = {
        "ping": "handle_ping",
        "notification.read": "handle_read",
        "notification.read_all": "handle_read_all",
    }
    member: User

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        # The scope's user is a lazy proxy; signed in, it stands for the member's User.
        self.member = cast(User, user)
        self.group = member_group(user.pk)
        read = partial(me_socket_open, member=self.member, since=self.since_param())
        await self.open_resumed([self.group], read)

    async def handle_ping(self, frame: dict[str, Any]) -> None:
        pong: Pong = {"type": "pong"}
        await self.send_frame(pong)

    async def handle_read(self, frame: dict[str, Any]) -> None:
        ids = frame.get("ids")
        if (
            not isinstance(ids, list)
            or not ids
            or len(ids) > 500
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
        ):
            await self.send_error("invalid", _('"ids" must be a non-empty list of notification ids.'))
            return
        await database_sync_to_async(notifications_mark_read)(member=self.member, ids=ids)

    async def handle_read_all(self, frame: dict[str, Any]) -> None:
        await database_sync_to_async(notifications_mark_read)(member=self.member, ids=None)
