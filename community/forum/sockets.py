"""What the forum's sockets read and write: access on connect and on a re-check, the thread
socket's backlog, and who is on a thread right now ("N reading, M replying").
community/forum/consumers.py calls these through ``database_sync_to_async`` and holds no
queries of its own.

Presence is community/presence.py's, with ``ForumPresence`` rows and a
:class:`ThreadPresenceBoard` per process: however many sockets join, leave or start typing on a
thread within ``KANTA_FORUM_PRESENCE_INTERVAL`` seconds, it counts once and broadcasts one
``presence`` event to the thread. "Replying" counts members whose ``replying_until`` lies
ahead (the page's script sends ``presence.replying`` while the reply box has text, and the
mark lapses on its own).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from channels.db import database_sync_to_async
from django.conf import settings
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
from community.forum.realtime import (
    PresenceCounts,
    PresenceUpdated,
    ThreadSessionReady,
    post_created_event,
    thread_group,
    thread_state,
)
from community.presence import PresenceBoard, presence_counts, presence_enter
from community.sockets import CLOSE_NOT_FOUND, CLOSE_RECONNECT, fresh_user, socket_refusal
from hub.realtime import CLOSE_FORBIDDEN, encode_event, group_send_event
from hub.resume import SocketOpening

# Defaults; each can be set in settings under the same name.
PRESENCE_DEFAULTS = {
    # Changes on one thread within this many seconds make one broadcast.
    "KANTA_FORUM_PRESENCE_INTERVAL": 1.0,
    # Each process refreshes its sockets' rows this often (rows not refreshed for
    # KANTA_FORUM_PRESENCE_STALE seconds are gone: ForumPresence.stale_seconds).
    "KANTA_FORUM_PRESENCE_HEARTBEAT": 30.0,
    # "Replying" lasts this long after the last presence.replying frame.
    "KANTA_FORUM_REPLYING_SECONDS": 20.0,
}


def presence_setting(name: str) -> float:
    return float(getattr(settings, name, PRESENCE_DEFAULTS[name]))


# A reconnecting client gets at most this many missed posts; past that it reloads the page.
BACKLOG_LIMIT = 100


# --- access and backlog (synchronous: consumers call these through database_sync_to_async) ----


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


def thread_socket_open(user, *, thread_id: int, since: int | None, channel_name: str) -> SocketOpening:
    """Check access, note the socket's presence, and read the backlog (posts with an id above
    ``since``), in that order; the consumer has already joined the thread's group. Live
    ``post.created`` events up to the last post replayed are dropped (hub/resume.py)."""
    thread, refusal = thread_socket_access(user, thread_id=thread_id)
    if thread is None:
        return SocketOpening(refusal=refusal)
    member_id = user.pk if user.is_authenticated else None
    presence_enter(ForumPresence, topic_id=thread.pk, channel_name=channel_name, member_id=member_id)
    backlog = thread_backlog(thread=thread, since=since) if since is not None else []
    latest = thread_latest_post_id(thread=thread)
    last_sent = backlog[-1].pk if backlog else (since or 0)
    ready: ThreadSessionReady = {
        "type": "session.ready",
        "thread": thread_state(thread),
        "last_id": latest,
        # More was missed than a socket replays: the client reloads the page instead.
        "truncated": len(backlog) == BACKLOG_LIMIT and latest > last_sent,
        "presence": thread_presence(thread_id=thread.pk),
    }
    return SocketOpening(
        audience="moderator" if can_moderate_forum(user) else "reader",
        backlog=[encode_event(post_created_event(post)) for post in backlog],
        ready=ready,
        covered=last_sent if since is not None else None,
        covered_events={"post.created"},
    )


def thread_socket_recheck(*, member_id: int | None, thread_id: int) -> int:
    """After ``forum.access.restricted``: 0 if the socket may stay, else its close code."""
    _thread, refusal = thread_socket_access(fresh_user(member_id), thread_id=thread_id)
    return refusal


def forum_socket_recheck(
    *, member_id: int | None, slug: str | None, category_ids: tuple[int, ...] | list[int]
) -> int:
    """After ``forum.access.restricted`` on a category list socket: 0 if it may go on as it is, else
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


# --- presence: "N reading, M replying" ---------------------------------------------------------


def thread_presence(*, thread_id: int, now: datetime | None = None) -> PresenceCounts:
    """Readers (community.presence counts them) and members replying now."""
    now = now or timezone.now()
    counts = presence_counts(
        ForumPresence,
        topic_id=thread_id,
        now=now,
        replying=Count("member", distinct=True, filter=Q(replying_until__gt=now)),
    )
    return {"reading": counts["present"], "replying": counts["replying"]}


def presence_replying(*, channel_name: str, replying: bool, now: datetime | None = None) -> None:
    now = now or timezone.now()
    until = now + timedelta(seconds=presence_setting("KANTA_FORUM_REPLYING_SECONDS")) if replying else None
    ForumPresence.objects.filter(channel_name=channel_name).update(replying_until=until, seen_at=now)


def presence_event(*, thread_id: int) -> PresenceUpdated:
    counts = thread_presence(thread_id=thread_id)
    return {"type": "presence", "thread_id": thread_id, **counts}


class ThreadPresenceBoard(PresenceBoard):
    """This process's thread sockets: one ``presence`` event per thread per interval."""

    model = ForumPresence
    name = "forum"

    def interval(self) -> float:
        return presence_setting("KANTA_FORUM_PRESENCE_INTERVAL")

    def heartbeat_seconds(self) -> float:
        return presence_setting("KANTA_FORUM_PRESENCE_HEARTBEAT")

    async def broadcast(self, topic_id: int) -> None:
        event = await database_sync_to_async(presence_event)(thread_id=topic_id)
        await group_send_event(thread_group(topic_id), event)
