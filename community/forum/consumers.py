"""The forum's sockets (docs/realtime.md, "/ws/forum/…").

- ``/ws/forum/threads/<id>/``: posts, edits, hidden posts, reactions, thread state and
  presence of one thread, with resume (``?since=<post id>``).
- ``/ws/forum/`` (every category the visitor may read) and ``/ws/forum/c/<slug>/`` (one):
  new threads and activity, so lists update live.

Thin on purpose: access, backlog and presence are in community.forum.sockets (presence rows and
the board: community.presence), the thread socket's connect is hub.resume's sequence;
broadcasts reach the sockets through the process's fan-out (hub.realtime), one channel per
thread per process.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from community.forum.models import ForumPresence
from community.forum.realtime import (
    FORUM_SOCKET,
    THREAD_SOCKET,
    ForumSessionReady,
    category_group,
    member_forum_group,
    thread_group,
)
from community.forum.sockets import (
    ThreadPresenceBoard,
    forum_socket_categories,
    forum_socket_recheck,
    presence_replying,
    presence_setting,
    thread_socket_open,
    thread_socket_recheck,
)
from community.presence import presence_board, presence_leave
from community.sockets import CLOSE_RECONNECT
from hub.realtime import CLOSE_FORBIDDEN, AccessRevoked, Pong
from hub.resume import ResumingConsumer


class ForumSocket(ResumingConsumer):
    """What both forum sockets share: who is connected, joining groups, and closing with
    4403 when a moderator's action takes access away."""

    client_frames = {"ping": "handle_ping"}
    # The plain per-socket group_send path, kept for bench/fanout.py's comparison.
    use_fanout: ClassVar[bool] = True
    member_id: int | None = None

    def identify(self) -> Any:
        user = self.scope.get("user")
        self.member_id = user.pk if user is not None and user.is_authenticated else None
        return user

    async def join(self, groups: list[str]) -> None:
        if self.member_id is not None:
            groups = [*groups, member_forum_group(self.member_id)]
        if self.use_fanout:
            # fanout_join adds the member's session group (logout, tier changes) itself.
            await self.fanout_join(*groups)
            return
        session_group = self.session_group()
        if session_group is not None:
            groups = [*groups, session_group]
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups = groups  # AsyncWebsocketConsumer leaves them on disconnect

    async def go_live(self, skip: Callable[[dict[str, Any]], bool] | None = None) -> None:
        if self.use_fanout:
            await self.fanout_live(skip=skip)

    async def handle_ping(self, frame: dict[str, Any]) -> None:
        pong: Pong = {"type": "pong"}
        await self.send_frame(pong)

    def revocation_applies(self, event: dict[str, Any]) -> bool:
        if event.get("type") != "forum.access.restricted":
            return False
        target = event.get("member")
        return target == "all" or (self.member_id is not None and target == self.member_id)

    async def revoke(self) -> None:
        revoked: AccessRevoked = {"type": "access.revoked"}
        await self.send_frame(revoked)
        await self.close(code=CLOSE_FORBIDDEN)
        await self.fanout_leave()


class ThreadConsumer(ForumSocket):
    server_frames = THREAD_SOCKET
    client_frames = {"ping": "handle_ping", "presence.replying": "handle_replying"}
    thread_id: int = 0
    present: bool = False

    async def connect(self) -> None:
        user = self.identify()
        self.thread_id = int(self.scope["url_route"]["kwargs"]["thread_id"])
        read = partial(
            thread_socket_open,
            user,
            thread_id=self.thread_id,
            since=self.since_param(),
            channel_name=self.channel_name,
        )
        if await self.open_resumed([thread_group(self.thread_id)], read) is None:
            return
        self.present = True
        presence_board(ThreadPresenceBoard).joined(self.channel_name, self.thread_id, self.member_id)

    async def disconnect(self, code: int) -> None:
        await self.leave_presence()

    async def leave_presence(self) -> None:
        if not self.present:
            return
        self.present = False
        await database_sync_to_async(presence_leave)(ForumPresence, channel_name=self.channel_name)
        presence_board(ThreadPresenceBoard).left(self.channel_name)

    async def handle_replying(self, frame: dict[str, Any]) -> None:
        replying = frame.get("replying")
        if not isinstance(replying, bool):
            await self.send_error("invalid", _('"replying" must be true or false.'))
            return
        if self.member_id is None:
            await self.send_error("forbidden", _("Sign in to reply."))
            return
        await database_sync_to_async(presence_replying)(channel_name=self.channel_name, replying=replying)
        board = presence_board(ThreadPresenceBoard)
        board.changed(self.thread_id)
        if replying:
            # "Replying" lapses by itself; count again just after it does.
            seconds = presence_setting("KANTA_FORUM_REPLYING_SECONDS") + 0.5
            board.loop.call_later(seconds, board.changed, self.thread_id)

    async def fanout_control(self, event: dict[str, Any]) -> None:
        if self.revocation_applies(event):
            await self.recheck_access()

    async def recheck_access(self) -> None:
        refusal = await database_sync_to_async(thread_socket_recheck)(
            member_id=self.member_id, thread_id=self.thread_id
        )
        if refusal:
            await self.leave_presence()
            await self.revoke()


class ForumConsumer(ForumSocket):
    server_frames = FORUM_SOCKET
    slug: str | None = None
    category_ids: tuple[int, ...] = ()

    async def connect(self) -> None:
        user = self.identify()
        self.slug = self.scope["url_route"]["kwargs"].get("slug")
        category_ids, refusal = await database_sync_to_async(forum_socket_categories)(user, slug=self.slug)
        if refusal:
            await self.refuse(refusal)
            return
        self.category_ids = tuple(category_ids)
        await self.join([category_group(category_id) for category_id in category_ids])
        await self.accept()
        ready: ForumSessionReady = {"type": "session.ready", "categories": category_ids}
        await self.send_frame(ready)
        await self.go_live()

    async def fanout_control(self, event: dict[str, Any]) -> None:
        if self.revocation_applies(event):
            await self.recheck_access()

    async def recheck_access(self) -> None:
        code = await database_sync_to_async(forum_socket_recheck)(
            member_id=self.member_id, slug=self.slug, category_ids=self.category_ids
        )
        if code == CLOSE_RECONNECT:
            await self.fanout_leave()
            await self.close(code=CLOSE_RECONNECT)
        elif code:
            await self.revoke()
