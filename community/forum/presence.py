"""What the forum's sockets read and write: access on connect, the backlog, and who is on a
thread right now ("N reading, M replying"). community/forum/consumers.py calls these through
``database_sync_to_async`` and holds no queries of its own.

Each open thread socket has one ``ForumPresence`` row, because the database is the one place
every server process sees. A process keeps its own sockets' rows fresh with one UPDATE per
heartbeat (not one per socket), forgets rows that stopped beating (a process that died), and
coalesces changes: however many sockets join, leave or start typing on a thread within
``KANTA_FORUM_PRESENCE_INTERVAL`` seconds, it counts once and broadcasts one ``presence`` event
to the thread.

"Reading" counts signed-in members once however many tabs they have, plus each anonymous
socket; "replying" counts members whose ``replying_until`` lies ahead (the page's script sends
``presence.replying`` while the reply box has text, and the mark lapses on its own).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, TypedDict

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q
from django.utils import timezone

from community.forum.access import (
    can_moderate_forum,
    forum_can_read,
    member_banned,
    readable_categories,
    thread_readable,
)
from community.forum.models import ForumCategory, ForumPresence, Post, Thread
from community.forum.realtime import post_created_event, thread_group, thread_state
from hub.realtime import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, encode_event, group_send_event
from membership.models import User

logger = logging.getLogger(__name__)

# Defaults; each can be set in settings under the same name.
PRESENCE_DEFAULTS = {
    # Changes on one thread within this many seconds make one broadcast.
    "KANTA_FORUM_PRESENCE_INTERVAL": 1.0,
    # Each process refreshes its sockets' rows this often...
    "KANTA_FORUM_PRESENCE_HEARTBEAT": 30.0,
    # ...and rows not refreshed for this long are gone (their process stopped).
    "KANTA_FORUM_PRESENCE_STALE": 90.0,
    # "Replying" lasts this long after the last presence.replying frame.
    "KANTA_FORUM_REPLYING_SECONDS": 20.0,
}


def presence_setting(name: str) -> float:
    return float(getattr(settings, name, PRESENCE_DEFAULTS[name]))


class PresenceCounts(TypedDict):
    reading: int
    replying: int


class PresenceUpdated(TypedDict):
    type: Literal["presence"]
    thread_id: int
    reading: int
    replying: int


# Close codes beside hub.realtime's 4401 and 4403: the thread does not exist (any more)...
CLOSE_NOT_FOUND = 4404
# ...and "what you may read changed: reconnect" (a list socket that lost a category; the
# standard "service restart" code, so every client reconnects with its usual backoff).
CLOSE_RECONNECT = 1012
# A reconnecting client gets at most this many missed posts; past that it reloads the page.
BACKLOG_LIMIT = 100


# --- access and backlog (synchronous: consumers call these through database_sync_to_async) ----


def fresh_user(member_id: int | None):
    """The member as the database has them now (permissions, sanctions and tier are cached
    on a user object, so a re-check must not reuse the one from connect)."""
    if member_id is None:
        return AnonymousUser()
    return User.objects.filter(pk=member_id, is_active=True).first() or AnonymousUser()


def socket_refusal(user, *, can_read: bool) -> int:
    if can_read:
        return 0
    return CLOSE_FORBIDDEN if user.is_authenticated else CLOSE_UNAUTHENTICATED


def thread_socket_access(user, *, thread_id: int) -> tuple[Thread | None, int]:
    """The thread and 0, or None and the close code: 4404 no such thread, 4401 anonymous and
    not readable, 4403 signed in and not allowed (tier, ban, hidden thread)."""
    thread = Thread.objects.select_related("category__read_tier").filter(pk=thread_id).first()
    if thread is None or thread.merged_into_id is not None:
        return None, CLOSE_NOT_FOUND
    code = socket_refusal(user, can_read=thread_readable(user, thread))
    return (thread, 0) if code == 0 else (None, code)


def thread_backlog(*, thread: Thread, since: int) -> list[Post]:
    """Visible posts of the thread with an id above ``since``, oldest first (bounded)."""
    return list(
        Post.objects.filter(thread=thread, pk__gt=since, state=Post.State.VISIBLE)
        .select_related("author", "thread")
        .order_by("pk")[:BACKLOG_LIMIT]
    )


def thread_latest_post_id(*, thread: Thread) -> int:
    latest = (
        Post.objects.filter(thread=thread, state=Post.State.VISIBLE)
        .order_by("-pk")
        .values_list("pk", flat=True)
    )
    return latest.first() or 0


def forum_socket_categories(user, *, slug: str | None) -> tuple[list[int], int]:
    """The category ids a ``/ws/forum/`` socket listens to (all the user may read, or the
    one named by ``slug``) and 0, or [] and the close code."""
    if member_banned(user):
        return [], CLOSE_FORBIDDEN
    if slug is None:
        return list(readable_categories(user).values_list("pk", flat=True)), 0
    category = ForumCategory.objects.select_related("read_tier").filter(slug=slug).first()
    if category is None:
        return [], CLOSE_NOT_FOUND
    code = socket_refusal(user, can_read=forum_can_read(user, category))
    return ([category.pk], 0) if code == 0 else ([], code)


@dataclass
class ThreadSocketOpening:
    """What a thread socket needs to open: a refusal code, or its audience, the encoded
    missed ``post.created`` events and the ``session.ready`` frame."""

    refusal: int = 0
    moderator: bool = False
    backlog: list[str] = field(default_factory=list)
    last_sent: int = 0
    ready: dict = field(default_factory=dict)


def thread_socket_open(user, *, thread_id: int, since: int | None, channel_name: str) -> ThreadSocketOpening:
    """Check access, note the socket's presence, and read the backlog (posts with an id above
    ``since``), in that order; the consumer has already joined the thread's group."""
    thread, refusal = thread_socket_access(user, thread_id=thread_id)
    if thread is None:
        return ThreadSocketOpening(refusal=refusal)
    member_id = user.pk if user.is_authenticated else None
    presence_enter(thread_id=thread.pk, channel_name=channel_name, member_id=member_id)
    backlog = thread_backlog(thread=thread, since=since) if since is not None else []
    latest = thread_latest_post_id(thread=thread)
    last_sent = backlog[-1].pk if backlog else (since or 0)
    ready = {
        "type": "session.ready",
        "thread": thread_state(thread),
        "last_id": latest,
        # More was missed than a socket replays: the client reloads the page instead.
        "truncated": len(backlog) == BACKLOG_LIMIT and latest > last_sent,
        "presence": presence_counts(thread_id=thread.pk),
    }
    return ThreadSocketOpening(
        moderator=can_moderate_forum(user),
        backlog=[encode_event(post_created_event(post)) for post in backlog],
        last_sent=last_sent,
        ready=ready,
    )


def thread_socket_recheck(*, member_id: int | None, thread_id: int) -> int:
    """After ``access.revoked``: 0 if the socket may stay, else its close code."""
    _thread, refusal = thread_socket_access(fresh_user(member_id), thread_id=thread_id)
    return refusal


def forum_socket_recheck(
    *, member_id: int | None, slug: str | None, category_ids: tuple[int, ...] | list[int]
) -> int:
    """After ``access.revoked`` on a category list socket: 0 if it may go on as it is, else
    its close code: 4403 (or 4401) when the member is banned or may no longer read the one
    category it names, ``CLOSE_RECONNECT`` when it listens to a category it may no longer
    read (reconnecting subscribes it to the ones it still may)."""
    user = fresh_user(member_id)
    if member_banned(user):
        return CLOSE_FORBIDDEN
    allowed, refusal = forum_socket_categories(user, slug=slug)
    if refusal:
        return refusal
    return CLOSE_RECONNECT if set(category_ids) - set(allowed) else 0


# --- presence rows ---------------------------------------------------------------------------


def presence_enter(
    *, thread_id: int, channel_name: str, member_id: int | None, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    ForumPresence.objects.update_or_create(
        channel_name=channel_name,
        defaults={"thread_id": thread_id, "member_id": member_id, "seen_at": now, "replying_until": None},
    )


def presence_leave(*, channel_name: str) -> None:
    ForumPresence.objects.filter(channel_name=channel_name).delete()


def presence_replying(*, channel_name: str, replying: bool, now: datetime | None = None) -> None:
    now = now or timezone.now()
    until = now + timedelta(seconds=presence_setting("KANTA_FORUM_REPLYING_SECONDS")) if replying else None
    ForumPresence.objects.filter(channel_name=channel_name).update(replying_until=until, seen_at=now)


def presence_counts(*, thread_id: int, now: datetime | None = None) -> PresenceCounts:
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=presence_setting("KANTA_FORUM_PRESENCE_STALE"))
    counts = ForumPresence.objects.filter(thread_id=thread_id, seen_at__gte=cutoff).aggregate(
        anonymous=Count("id", filter=Q(member__isnull=True)),
        members=Count("member", distinct=True),
        replying=Count("member", distinct=True, filter=Q(replying_until__gt=now)),
    )
    return {"reading": counts["anonymous"] + counts["members"], "replying": counts["replying"]}


def presence_heartbeat(*, channel_names: list[str], now: datetime | None = None) -> list[int]:
    """Refresh this process's rows and drop stale ones; returns the threads that lost rows."""
    now = now or timezone.now()
    for start in range(0, len(channel_names), 500):
        ForumPresence.objects.filter(channel_name__in=channel_names[start : start + 500]).update(seen_at=now)
    cutoff = now - timedelta(seconds=presence_setting("KANTA_FORUM_PRESENCE_STALE"))
    stale = ForumPresence.objects.filter(seen_at__lt=cutoff)
    threads = sorted(set(stale.values_list("thread_id", flat=True)))
    if threads:
        stale.delete()
    return threads


def presence_event(*, thread_id: int) -> PresenceUpdated:
    counts = presence_counts(thread_id=thread_id)
    return {"type": "presence", "thread_id": thread_id, **counts}


# --- the per-process coalescer ---------------------------------------------------------------


class PresenceBoard:
    """This process's sockets on threads, the pending broadcasts, and the heartbeat."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.local: dict[str, int] = {}  # channel name → thread id
        self.pending: dict[int, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task] = set()
        self.heartbeat: asyncio.Task | None = None

    def joined(self, channel_name: str, thread_id: int) -> None:
        self.local[channel_name] = thread_id
        self.changed(thread_id)
        if self.heartbeat is None or self.heartbeat.done():
            self.heartbeat = self.loop.create_task(self._beat(), name="kanta-forum-presence")

    def left(self, channel_name: str) -> None:
        thread_id = self.local.pop(channel_name, None)
        if thread_id is not None:
            self.changed(thread_id)

    def changed(self, thread_id: int, *, delay: float | None = None) -> None:
        """Broadcast this thread's counts soon, once, however often this is called."""
        if thread_id in self.pending:
            return
        wait = presence_setting("KANTA_FORUM_PRESENCE_INTERVAL") if delay is None else delay
        self.pending[thread_id] = self.loop.call_later(wait, self._due, thread_id)

    def _due(self, thread_id: int) -> None:
        self.pending.pop(thread_id, None)
        task = self.loop.create_task(self._broadcast(thread_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _broadcast(self, thread_id: int) -> None:
        try:
            event = await database_sync_to_async(presence_event)(thread_id=thread_id)
            await group_send_event(thread_group(thread_id), event)
        except Exception:
            logger.warning("presence broadcast failed for thread %s", thread_id, exc_info=True)

    async def _beat(self) -> None:
        while self.local:
            await asyncio.sleep(presence_setting("KANTA_FORUM_PRESENCE_HEARTBEAT"))
            try:
                emptied = await database_sync_to_async(presence_heartbeat)(channel_names=list(self.local))
            except Exception:
                logger.warning("presence heartbeat failed", exc_info=True)
                continue
            for thread_id in emptied:
                self.changed(thread_id)


_boards: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PresenceBoard] = weakref.WeakKeyDictionary()


def presence_board() -> PresenceBoard:
    loop = asyncio.get_running_loop()
    board = _boards.get(loop)
    if board is None:
        board = _boards[loop] = PresenceBoard(loop)
    return board
