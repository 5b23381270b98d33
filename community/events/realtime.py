"""Group names and typed event payloads of the live rooms, ``/ws/events/<slug>/``
(docs/realtime.md).

Two audiences: attendees and the room's runners (moderators and hosts). An anonymous
question names its asker to runners only, and a question waiting for approval reaches
runners only; every version is encoded once (hub.realtime.send_variants_on_commit). Events
about rows carry the room activity id (``id``) that a reconnecting client resumes from.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from community.events.models import EventChatMessage, EventQuestion, RoomActivity
from hub.realtime import group_name, send_event_on_commit, send_variants_on_commit

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


class QuestionUpdated(TypedDict):
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
) -> QuestionUpdated | None:
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


def votes_event(counts: dict[int, int], *, at: float) -> QuestionVotes:
    return {"type": "question.updated", "votes": {str(pk): count for pk, count in counts.items()}, "at": at}
