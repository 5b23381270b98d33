"""``/ws/me/``: the signed-in member's own notifications, in every open tab."""

from __future__ import annotations

from typing import Any, cast

from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from hub.realtime import CLOSE_UNAUTHENTICATED, KantaConsumer

from . import selectors
from .models import User
from .realtime import member_group, notification_created_event
from .services.notifications import notifications_mark_read


class MeConsumer(KantaConsumer):
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
        # Join (through the process fan-out) before reading the backlog: a notification
        # committed in between is held, then sent once, after session.ready.
        await self.fanout_join(self.group)
        await self.accept()
        since = self.since_param()
        ready = await self._ready_frame(since)
        missed = ready.pop("missed")
        for event in missed:
            await self.send_frame(event)
        await self.send_frame(ready)
        skip = None
        if since is not None:
            last_sent = missed[-1]["id"] if missed else since

            def skip(message: dict[str, Any]) -> bool:
                # Already replayed (or older than what the client has): not twice.
                notification_id = message.get("id")
                created = message.get("event") == "notification.created"
                return created and isinstance(notification_id, int) and notification_id <= last_sent

        await self.fanout_live(skip=skip)

    @database_sync_to_async
    def _ready_frame(self, since: int | None) -> dict[str, Any]:
        missed = []
        if since is not None:
            unread = selectors.notifications_unread_count(member=self.member)
            missed = [
                notification_created_event(n, unread=unread)
                for n in selectors.notifications_since(member=self.member, since=since)
            ]
        return {
            "type": "session.ready",
            "missed": missed,
            "unread": selectors.notifications_unread_count(member=self.member),
            "last_id": selectors.notifications_latest_id(member=self.member),
        }

    async def handle_ping(self, frame: dict[str, Any]) -> None:
        await self.send_frame({"type": "pong"})

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
