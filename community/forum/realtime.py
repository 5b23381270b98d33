"""Group names and typed event payloads for the forum's sockets (docs/realtime.md).

Every ``send_*`` is called inside the transaction that wrote the rows and broadcasts after it
commits (hub.realtime.send_event_on_commit). Posts travel with their HTML rendered once by the
server; per-viewer controls (your own post, your reactions) are switched on by the page's
script from data attributes, so one rendering serves every reader.

Every frame a forum socket sends is declared here (``THREAD_SOCKET``, ``FORUM_SOCKET``:
hub.event_types), and so is the forum's control event, ``forum.access.restricted``.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from community.forum.models import Post, Thread
from community.forum.rendering import post_html
from hub.event_types import register_control, register_socket
from hub.realtime import (
    AccessRevoked,
    ErrorFrame,
    Pong,
    group_name,
    send_control_on_commit,
    send_event_on_commit,
)

FORUM_GROUP = "forum"


def thread_group(thread_id: int) -> str:
    return group_name("forum", "thread", thread_id)


def category_group(category_id: int) -> str:
    return group_name("forum", "category", category_id)


def forum_group() -> str:
    return group_name(FORUM_GROUP, "all")


class ReactionCounts(TypedDict):
    like: int
    helpful: int
    thanks: int


class PostPayload(TypedDict):
    id: int
    number: int
    thread_id: int
    author: str
    state: str
    html: str
    created_at: str
    edited_at: str | None


class PostCreated(TypedDict):
    type: Literal["post.created"]
    id: int
    post: PostPayload


class PostUpdated(TypedDict):
    type: Literal["post.updated"]
    id: int
    post: PostPayload


class PostHidden(TypedDict):
    type: Literal["post.hidden"]
    id: int
    number: int
    state: str


class ReactionUpdated(TypedDict):
    type: Literal["reaction.updated"]
    id: int
    counts: ReactionCounts


class ThreadState(TypedDict):
    id: int
    title: str
    url: str
    category_id: int
    is_locked: bool
    is_pinned: bool
    is_solved: bool
    accepted_post_id: int | None
    reply_count: int
    last_number: int
    last_post_at: str
    state: str


class ThreadUpdated(TypedDict):
    type: Literal["thread.updated"]
    thread: ThreadState


class ThreadCreated(TypedDict):
    type: Literal["thread.created"]
    thread: ThreadState
    author: str
    category: str


class ThreadActivity(TypedDict):
    type: Literal["thread.activity"]
    thread: ThreadState
    last_poster: str


class PresenceCounts(TypedDict):
    reading: int
    replying: int


class PresenceUpdated(TypedDict):
    """Who is on the thread (community.forum.sockets counts them)."""

    type: Literal["presence"]
    thread_id: int
    reading: int
    replying: int


class ThreadSessionReady(TypedDict):
    """The end of a thread socket's connect, after any replayed posts."""

    type: Literal["session.ready"]
    thread: ThreadState
    # The newest visible post's id: resume from it.
    last_id: int
    # More was missed than a socket replays: reload the page.
    truncated: bool
    presence: PresenceCounts


class ForumSessionReady(TypedDict):
    """The end of a category list socket's connect: the categories it listens to."""

    type: Literal["session.ready"]
    categories: list[int]


def reaction_counts(post: Post) -> ReactionCounts:
    return {"like": post.like_count, "helpful": post.helpful_count, "thanks": post.thanks_count}


def post_payload(post: Post) -> PostPayload:
    return {
        "id": post.pk,
        "number": post.number,
        "thread_id": post.thread_id,
        "author": post.author.username,
        "state": post.state,
        "html": post_html(post),
        "created_at": post.created_at.isoformat(),
        "edited_at": post.edited_at.isoformat() if post.edited_at else None,
    }


def post_created_event(post: Post) -> PostCreated:
    return {"type": "post.created", "id": post.pk, "post": post_payload(post)}


def thread_state(thread: Thread) -> ThreadState:
    return {
        "id": thread.pk,
        "title": thread.title,
        "url": thread.get_absolute_url(),
        "category_id": thread.category_id,
        "is_locked": thread.is_locked,
        "is_pinned": thread.is_pinned,
        "is_solved": thread.is_solved,
        "accepted_post_id": thread.accepted_post_id,
        "reply_count": thread.reply_count,
        "last_number": thread.last_number,
        "last_post_at": thread.last_post_at.isoformat(),
        "state": thread.state,
    }


def send_post_created(post: Post) -> None:
    # Only visible posts are broadcast: one waiting for a moderator reaches nobody yet.
    if post.state == Post.State.VISIBLE and post.thread.state == Thread.State.VISIBLE:
        send_event_on_commit(thread_group(post.thread_id), post_created_event(post))


def send_post_updated(post: Post) -> None:
    if post.state == Post.State.VISIBLE:
        event: PostUpdated = {"type": "post.updated", "id": post.pk, "post": post_payload(post)}
        send_event_on_commit(thread_group(post.thread_id), event)


def send_post_hidden(post: Post) -> None:
    event: PostHidden = {"type": "post.hidden", "id": post.pk, "number": post.number, "state": post.state}
    send_event_on_commit(thread_group(post.thread_id), event)


def send_reaction_updated(post: Post) -> None:
    event: ReactionUpdated = {"type": "reaction.updated", "id": post.pk, "counts": reaction_counts(post)}
    send_event_on_commit(thread_group(post.thread_id), event)


def send_thread_updated(thread: Thread) -> None:
    event: ThreadUpdated = {"type": "thread.updated", "thread": thread_state(thread)}
    send_event_on_commit(thread_group(thread.pk), event)
    send_event_on_commit(category_group(thread.category_id), event)


def send_thread_created(thread: Thread) -> None:
    if thread.state != Thread.State.VISIBLE:
        return
    event: ThreadCreated = {
        "type": "thread.created",
        "thread": thread_state(thread),
        "author": thread.author.username,
        "category": thread.category.name,
    }
    send_event_on_commit(category_group(thread.category_id), event)
    send_event_on_commit(forum_group(), event)


def send_thread_activity(thread: Thread) -> None:
    if thread.state != Thread.State.VISIBLE:
        return
    poster = thread.last_poster if thread.last_poster_id else None
    event: ThreadActivity = {
        "type": "thread.activity",
        "thread": thread_state(thread),
        "last_poster": poster.username if poster is not None else "",
    }
    send_event_on_commit(category_group(thread.category_id), event)
    send_event_on_commit(forum_group(), event)


# --- Access revocation (added with the forum sockets, community/forum/consumers.py) ----------------


def member_forum_group(member_id: int) -> str:
    """Every forum socket of one member joins this group, so a ban reaches all of them."""
    return group_name("forum", "member", member_id)


class ForumAccessRestricted(TypedDict):
    """A control event: forum sockets check their access again. Those that may no longer read
    send the browser ``access.revoked`` and close with 4403."""

    type: Literal["forum.access.restricted"]
    # The member shut out (every socket of theirs checks), or "all" (every socket the event
    # is sent to checks).
    member: int | Literal["all"]
    thread_id: int | None


def send_access_revoked(*, member_id: int | None = None, thread_id: int | None = None) -> None:
    """After commit, make open forum sockets check their access again; those that may no
    longer read close with 4403. Call it inside the transaction that restricts access:

    - ``member_id``: a ban (or anything else that shuts one member out): every forum socket
      of that member re-checks.
    - ``thread_id``: the thread moved to a restricted category, or was hidden or deleted:
      every socket on it re-checks (moderators and still-allowed members stay).

    It sends the control event ``forum.access.restricted`` (hub.realtime.send_control_on_commit):
    consumers act on it and no browser receives it; a socket that closes sends its browser
    ``access.revoked`` first.
    """
    if member_id is not None:
        event: ForumAccessRestricted = {
            "type": "forum.access.restricted",
            "member": member_id,
            "thread_id": thread_id,
        }
        send_control_on_commit(member_forum_group(member_id), event)
    if thread_id is not None:
        event = {"type": "forum.access.restricted", "member": "all", "thread_id": thread_id}
        send_control_on_commit(thread_group(thread_id), event)


def send_category_access_changed(*, category_id: int) -> None:
    """After commit, make every ``/ws/forum/`` and ``/ws/forum/c/<slug>/`` socket listening to
    the category check which categories it may still read (staff restricted this one): a
    socket that lost one closes, so a restricted category's new threads reach nobody below
    its tier."""
    event: ForumAccessRestricted = {"type": "forum.access.restricted", "member": "all", "thread_id": None}
    send_control_on_commit(category_group(category_id), event)


# --- Moderation (community/forum/services/moderation.py) -------------------------------------


def send_thread_left_category(thread: Thread, *, category_id: int) -> None:
    """A moderator moved the thread out of ``category_id``: that category's lists drop it
    (the event carries the new category_id)."""
    event: ThreadUpdated = {"type": "thread.updated", "thread": thread_state(thread)}
    send_event_on_commit(category_group(category_id), event)


# --- What each socket sends (hub.event_types) ------------------------------------------------

THREAD_SOCKET = register_socket(
    "forum.thread",
    ThreadSessionReady,
    PostCreated,
    PostUpdated,
    PostHidden,
    ReactionUpdated,
    ThreadUpdated,
    PresenceUpdated,
    AccessRevoked,
    Pong,
    ErrorFrame,
    path="/ws/forum/threads/<id>/",
)
FORUM_SOCKET = register_socket(
    "forum.list",
    ForumSessionReady,
    ThreadCreated,
    ThreadActivity,
    ThreadUpdated,
    AccessRevoked,
    Pong,
    ErrorFrame,
    path="/ws/forum/ and /ws/forum/c/<slug>/",
)
register_control(ForumAccessRestricted)
