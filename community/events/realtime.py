"""Group names and typed event payloads of the live rooms, ``/ws/events/<slug>/``
(docs/realtime.md).

Two audiences: attendees and the room's runners (moderators and hosts). An anonymous
question names its asker to runners only, and a question waiting for approval reaches
runners only; every version is encoded once (hub.realtime.send_variants_on_commit). Events
about rows carry the room activity id (``id``) that a reconnecting client resumes from.

Every frame a room socket sends is declared here, in ``ROOM_SOCKET`` (hub.event_types).
"""

from __future__ import annotations

from typing import Literal, TypedDict

from community.events.models import EventChatMessage, EventMute, EventQuestion, RoomActivity
from hub.event_types import register_socket
from hub.realtime import (
    AccessRevoked,
    ErrorFrame,
    Pong,
    group_name,
    send_event_on_commit,
    send_variants_on_commit,
)

ATTENDEE = "reader"
MODERATOR = "moderator"


def room_group(event_id: int) -> str:
    return group_name("events", "room", event_id)


def room_member_group(event_id: int, member_id: int) -> str:
    """One member's sockets in one room: access re-checks (a mute, a tier change) reach them."""
    return group_name("events", "room", event_id, "member", member_id)


# --- payloads ------------------------------------------------------------------------------


class QuestionAuthor(TypedDict):
    username: str | None
    name: str
    is_vip: bool
    is_owner: bool


class QuestionPayload(TypedDict):
    id: int
    body: str
    state: str
    votes: int
    anonymous: bool
    author: QuestionAuthor
    created_at: str
    answered_at: str | None


class QuestionCreated(TypedDict):
    type: Literal["question.created"]
    id: int
    question: QuestionPayload


# ``question.updated`` has two shapes, told apart by their keys (docs/realtime.md): one
# question changed, or the room's vote counts. One definition, QuestionUpdated, holds both.


class QuestionChanged(TypedDict):
    """A question was approved, dismissed, answered, reopened, highlighted or no longer
    highlighted; ``highlighted`` is the room's highlighted question after the change."""

    type: Literal["question.updated"]
    id: int
    question: QuestionPayload
    highlighted: int | None


class QuestionVotes(TypedDict):
    """Coalesced vote counts: the latest count of each question that changed, at most a few
    times a second. Not a room activity (votes are not replayed one by one): a client that
    reconnects gets every count in ``session.ready``."""

    type: Literal["question.updated"]
    votes: dict[str, int]
    # When the counts were read (seconds since the epoch): with several server processes
    # sending counts, a client keeps the newest it has seen per question.
    at: float


QuestionUpdated = QuestionChanged | QuestionVotes


class ChatAuthor(TypedDict):
    username: str
    name: str


class ChatPayload(TypedDict):
    id: int
    body: str
    author: ChatAuthor
    created_at: str


class ChatCreated(TypedDict):
    type: Literal["chat.message"]
    id: int
    message: ChatPayload


class ChatDeleted(TypedDict):
    type: Literal["chat.deleted"]
    id: int
    message_id: int


class AttendeesUpdated(TypedDict):
    type: Literal["room.attendees"]
    count: int


class RoomMuted(TypedDict):
    """To the muted member's sockets in the room only."""

    type: Literal["room.muted"]
    until: str
    reason: str


class RoomEventInfo(TypedDict):
    id: int
    slug: str
    phase: str
    ends_at: str


class RoomSessionReady(TypedDict):
    """The end of a room socket's connect, after any replayed activity."""

    type: Literal["session.ready"]
    event: RoomEventInfo
    moderator: bool
    # The newest room activity id the socket has (resume from it).
    last_id: int
    highlighted: int | None
    # When ``votes`` was read (seconds since the epoch), as the counts frames' ``at``.
    votes_at: float
    # Every visible question's vote count, by question id.
    votes: dict[str, int]
    my_votes: list[int]
    attendees: int
    # More changed than a socket replays: reload the page.
    truncated: bool


# The answers to client frames: ``<the frame's type>.ok`` with its ``request`` tag (any JSON
# value the client chose, echoed) and what the frame did.


class QuestionOk(TypedDict):
    type: Literal[
        "question.ask.ok",
        "question.approve.ok",
        "question.dismiss.ok",
        "question.answered.ok",
        "question.highlight.ok",
        "question.unhighlight.ok",
        "question.reopen.ok",
    ]
    request: object
    id: int
    state: str


class VoteOk(TypedDict):
    type: Literal["question.vote.ok", "question.unvote.ok"]
    request: object
    question_id: int
    voted: bool
    votes: int
    at: float


class ChatOk(TypedDict):
    type: Literal["chat.message.ok", "chat.delete.ok"]
    request: object
    # The message sent or deleted.
    id: int


class MuteOk(TypedDict):
    type: Literal["member.mute.ok"]
    request: object
    username: str
    until: str


def question_payload(question: EventQuestion, *, audience: str) -> QuestionPayload:
    hidden = question.is_anonymous and audience != MODERATOR
    author = question.author
    return {
        "id": question.pk,
        "body": question.body,
        "state": question.state,
        "votes": question.vote_count,
        "anonymous": question.is_anonymous,
        "author": {
            "username": None if hidden else author.username,
            "name": "" if hidden else author.name,
            "is_vip": question.author_is_vip,
            "is_owner": question.author_is_owner,
        },
        "created_at": question.created_at.isoformat(),
        "answered_at": question.answered_at.isoformat() if question.answered_at else None,
    }


def question_visible_to_attendees(question: EventQuestion) -> bool:
    return question.state != EventQuestion.State.PENDING


def question_created_event(
    question: EventQuestion, *, activity_id: int, audience: str
) -> QuestionCreated | None:
    if audience != MODERATOR and not question_visible_to_attendees(question):
        return None
    return {
        "type": "question.created",
        "id": activity_id,
        "question": question_payload(question, audience=audience),
    }


def question_updated_event(
    question: EventQuestion, *, activity_id: int, audience: str, highlighted: int | None
) -> QuestionChanged | None:
    if audience != MODERATOR and not question_visible_to_attendees(question):
        return None
    return {
        "type": "question.updated",
        "id": activity_id,
        "question": question_payload(question, audience=audience),
        "highlighted": highlighted,
    }


def chat_payload(message: EventChatMessage) -> ChatPayload:
    return {
        "id": message.pk,
        "body": message.body,
        "author": {"username": message.author.username, "name": message.author.name},
        "created_at": message.created_at.isoformat(),
    }


def chat_event(message: EventChatMessage, *, activity_id: int) -> ChatCreated | ChatDeleted:
    if message.deleted_at is not None:
        return {"type": "chat.deleted", "id": activity_id, "message_id": message.pk}
    return {"type": "chat.message", "id": activity_id, "message": chat_payload(message)}


# --- sending (inside the writing transaction; out after commit) ----------------------------


def send_question(
    question: EventQuestion, activity: RoomActivity, *, created: bool, highlighted: int | None
) -> None:
    variants: dict[str, QuestionCreated | QuestionChanged | None]
    if created:
        variants = {
            audience: question_created_event(question, activity_id=activity.pk, audience=audience)
            for audience in (ATTENDEE, MODERATOR)
        }
    else:
        variants = {
            audience: question_updated_event(
                question, activity_id=activity.pk, audience=audience, highlighted=highlighted
            )
            for audience in (ATTENDEE, MODERATOR)
        }
    send_variants_on_commit(room_group(question.event_id), variants)


def send_chat(message: EventChatMessage, activity: RoomActivity) -> None:
    send_event_on_commit(room_group(message.event_id), chat_event(message, activity_id=activity.pk))


def send_room_muted(mute: EventMute) -> None:
    event: RoomMuted = {"type": "room.muted", "until": mute.until.isoformat(), "reason": mute.reason}
    send_event_on_commit(room_member_group(mute.event_id, mute.member_id), event)


def votes_event(counts: dict[int, int], *, at: float) -> QuestionVotes:
    return {"type": "question.updated", "votes": {str(pk): count for pk, count in counts.items()}, "at": at}


ROOM_SOCKET = register_socket(
    "events.room",
    RoomSessionReady,
    QuestionCreated,
    QuestionUpdated,
    ChatCreated,
    ChatDeleted,
    AttendeesUpdated,
    RoomMuted,
    QuestionOk,
    VoteOk,
    ChatOk,
    MuteOk,
    AccessRevoked,
    Pong,
    ErrorFrame,
    path="/ws/events/<slug>/",
)
