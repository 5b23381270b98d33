"""What the live room's sockets read and write, and the per-process machinery behind them.

Synchronous functions (access on connect, the backlog, attendance) are called by
community/events/consumers.py through ``database_sync_to_async``; the consumer holds no
queries. Presence is community/presence.py's, with ``RoomPresence`` rows.

Per process and event loop, a :class:`RoomBoard` (community.presence's board for rooms, plus
votes) does what must not happen per socket:

- **Votes in batches.** Sockets hand votes to the board; every ``KANTA_EVENT_VOTE_BATCH_MS``
  (or at ``KANTA_EVENT_VOTE_BATCH_SIZE`` votes) it applies them in one transaction
  (community.events.services.live.question_votes_apply) and answers each socket.
- **Vote counts coalesced.** Questions whose votes changed are broadcast at most every
  ``KANTA_EVENT_VOTE_BROADCAST_INTERVAL`` seconds, counts read from the database (so every
  process's votes are in them), in one ``question.updated`` frame per room.
- **Attendees counted** from the presence rows every process shares, one ``room.attendees``
  broadcast per room per second at most, however many sockets come and go.
- **Attendance**: every minute the presence rows are refreshed, then the members with a
  socket here are credited a minute (community.events.services.rsvps.attendance_tick).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from community.events.access import room_access
from community.events.models import (
    EventChatMessage,
    EventQuestion,
    EventQuestionVote,
    LiveRoom,
    RoomActivity,
    RoomPresence,
)
from community.events.realtime import (
    ATTENDEE,
    MODERATOR,
    AttendeesUpdated,
    ChatCreated,
    ChatDeleted,
    QuestionChanged,
    QuestionCreated,
    RoomSessionReady,
    chat_event,
    question_created_event,
    question_updated_event,
    room_group,
    votes_event,
)
from community.events.selectors import attendee_count, room_event_by_id
from community.events.services.live import VoteChange, VoteResult, question_votes_apply, vote_counts
from community.events.services.rsvps import attendance_tick
from community.presence import PresenceBoard, presence_board, presence_enter
from community.sockets import CLOSE_NOT_FOUND, fresh_user
from content.events import EventPage
from hub.realtime import encode_event, group_send_event
from hub.resume import SocketOpening
from membership.models import User

logger = logging.getLogger(__name__)

BACKLOG_LIMIT = 200
# Presence rows are refreshed, and attendance credited, this often (RoomPresence rows last
# 150 seconds without a refresh).
ATTENDANCE_TICK_SECONDS = 60
ATTENDEES_INTERVAL = 1.0


# --- on connect ----------------------------------------------------------------------------


def room_state(*, event: EventPage, user, audience: str) -> RoomSessionReady:
    """What ``session.ready`` tells a socket: the room's counters and this member's votes."""
    room = LiveRoom.objects.filter(pk=event.pk).first()
    mine: list[int] = []
    if user is not None and user.is_authenticated:
        mine = list(
            EventQuestionVote.objects.filter(question__event=event, member=user).values_list(
                "question_id", flat=True
            )
        )
    latest = RoomActivity.objects.filter(event=event).order_by("-id").values_list("id", flat=True).first()
    return {
        "type": "session.ready",
        "event": {
            "id": event.pk,
            "slug": event.slug,
            "phase": event.phase(),
            "ends_at": event.ends_at.isoformat(),
        },
        "moderator": audience == MODERATOR,
        "last_id": latest or 0,
        "highlighted": room.highlighted_id if room else None,
        "votes_at": time.time(),
        "votes": {str(pk): count for pk, count in vote_counts(event=event).items()},
        "my_votes": mine,
        "attendees": attendee_count(event_id=event.pk),
        "truncated": False,
    }


def room_backlog(*, event: EventPage, since: int, audience: str) -> tuple[list[str], bool, int]:
    """What a socket missed since activity ``since``: each question and chat message that
    changed, once, in the order of its latest change, in its current state. Returns the
    encoded frames, whether more changed than a socket replays (the page reloads), and the
    newest activity id the backlog covers."""
    rows = list(
        RoomActivity.objects.filter(event=event, pk__gt=since)
        .order_by("-id")
        .values_list("id", "question_id", "message_id")[: BACKLOG_LIMIT * 4]
    )
    truncated = len(rows) == BACKLOG_LIMIT * 4
    latest_question: dict[int, int] = {}
    latest_message: dict[int, int] = {}
    created_since: set[int] = set()
    for activity_id, question_id, message_id in rows:
        if question_id is not None:
            latest_question.setdefault(question_id, activity_id)
        if message_id is not None:
            latest_message.setdefault(message_id, activity_id)
    if latest_question:
        created_since = set(
            EventQuestion.objects.filter(pk__in=latest_question, event=event)
            .filter(_asked_after(since))
            .values_list("pk", flat=True)
        )
    questions = EventQuestion.objects.filter(pk__in=latest_question).select_related("author").in_bulk()
    messages = EventChatMessage.objects.filter(pk__in=latest_message).select_related("author").in_bulk()
    room = LiveRoom.objects.filter(pk=event.pk).first()
    highlighted = room.highlighted_id if room else None
    ordered = sorted(
        [("q", pk, activity) for pk, activity in latest_question.items()]
        + [("m", pk, activity) for pk, activity in latest_message.items()],
        key=lambda item: item[2],
    )
    frames: list[str] = []
    for kind, pk, activity in ordered[-BACKLOG_LIMIT:]:
        frame: QuestionCreated | QuestionChanged | ChatCreated | ChatDeleted | None
        if kind == "q":
            question = questions.get(pk)
            if question is None:
                continue
            if pk in created_since:
                frame = question_created_event(question, activity_id=activity, audience=audience)
            else:
                frame = question_updated_event(
                    question, activity_id=activity, audience=audience, highlighted=highlighted
                )
        else:
            message = messages.get(pk)
            if message is None:
                continue
            frame = chat_event(message, activity_id=activity)
        if frame is not None:
            frames.append(encode_event(frame))
    newest = rows[0][0] if rows else since
    return frames, truncated or len(ordered) > BACKLOG_LIMIT, newest


def _asked_after(since: int) -> Q:
    """Questions asked after activity ``since``: no activity row of theirs is older."""
    older = RoomActivity.objects.filter(question_id=OuterRef("pk"), pk__lte=since)
    return ~Q(Exists(older))


def room_socket_open(user, *, event_id: int, since: int | None, channel_name: str) -> SocketOpening:
    """Check access, note the socket's presence, read the backlog; the consumer has joined
    the room's group already (hub/resume.py)."""
    event = room_event_by_id(event_id)
    if event is None:
        return SocketOpening(refusal=CLOSE_NOT_FOUND)
    access = room_access(user, event)
    if access.refusal:
        return SocketOpening(refusal=access.refusal)
    audience = MODERATOR if access.moderator else ATTENDEE
    member_id = user.pk if user is not None and user.is_authenticated else None
    presence_enter(RoomPresence, topic_id=event.pk, channel_name=channel_name, member_id=member_id)
    backlog: list[str] = []
    truncated = False
    skip_through = 0
    ready = room_state(event=event, user=user, audience=audience)
    if since is not None:
        # Live copies of what the backlog covers are dropped, and only those: room activity
        # ids are given out in commit order (services.live._activity), so anything committed
        # after the backlog was read has a larger id and arrives live.
        backlog, truncated, skip_through = room_backlog(event=event, since=since, audience=audience)
        ready["last_id"] = skip_through
    ready["truncated"] = truncated
    # Live copies of activities up to skip_through (0: none) came in the backlog.
    return SocketOpening(audience=audience, backlog=backlog, ready=ready, covered=skip_through)


def room_socket_recheck(*, member_id: int | None, event_id: int) -> int:
    """0 if the socket may stay, else its close code (after a mute or a change of access)."""
    event = room_event_by_id(event_id)
    if event is None:
        return CLOSE_NOT_FOUND
    return room_access(fresh_user(member_id), event).refusal


# --- attendance ---------------------------------------------------------------------------------


def attendance_credit(*, members_by_event: dict[int, list[int]], seconds: int) -> int:
    """A minute of attendance for each member with a socket here (see attendance_tick)."""
    qualified = 0
    for event_id, member_ids in members_by_event.items():
        event = room_event_by_id(event_id)
        if event is not None:
            qualified += attendance_tick(event=event, member_ids=member_ids, seconds=seconds)
    return qualified


def current_counts(question_ids: list[int]) -> dict[int, int]:
    return dict(EventQuestion.objects.filter(pk__in=question_ids).values_list("pk", "vote_count"))


# --- the board ---------------------------------------------------------------------------------


@dataclass
class _PendingVote:
    change: VoteChange
    future: asyncio.Future[VoteResult]


class RoomBoard(PresenceBoard):
    """This process's live-room sockets: attendees and attendance (community.presence's
    board), vote batches and coalesced counts. One per event loop (:func:`room_board`)."""

    model = RoomPresence
    name = "room"

    def __init__(self, loop: asyncio.AbstractEventLoop):
        super().__init__(loop)
        self.pending_votes: dict[int, list[_PendingVote]] = defaultdict(list)
        self.vote_flush: dict[int, asyncio.TimerHandle | asyncio.Task] = {}
        self.dirty: dict[int, set[int]] = defaultdict(set)  # event → question ids
        self.count_timers: dict[int, asyncio.TimerHandle] = {}
        self.attendees: dict[int, int] = {}  # event → its last attendee count, every process's
        # Figures for bench/ and the logs: batches written and broadcasts made.
        self.stats = {"vote_batches": 0, "votes": 0, "count_broadcasts": 0}

    # --- presence: attendees and attendance -------------------------------------------------

    def interval(self) -> float:
        return ATTENDEES_INTERVAL

    def heartbeat_seconds(self) -> float:
        return ATTENDANCE_TICK_SECONDS

    async def broadcast(self, topic_id: int) -> None:
        count = await database_sync_to_async(attendee_count)(event_id=topic_id)
        self.attendees[topic_id] = count
        event: AttendeesUpdated = {"type": "room.attendees", "count": count}
        await group_send_event(room_group(topic_id), event)

    async def beaten(self, members: dict[int, list[int]]) -> None:
        await database_sync_to_async(attendance_credit)(
            members_by_event=members, seconds=ATTENDANCE_TICK_SECONDS
        )

    # --- votes ----------------------------------------------------------------------------

    async def vote(self, *, event_id: int, member_id: int, question_id: int, on: bool) -> VoteResult:
        future: asyncio.Future[VoteResult] = self.loop.create_future()
        batch = self.pending_votes[event_id]
        batch.append(_PendingVote(VoteChange(member_id, question_id, on), future))
        if len(batch) >= settings.KANTA_EVENT_VOTE_BATCH_SIZE:
            self._flush_now(event_id)
        elif event_id not in self.vote_flush:
            self.vote_flush[event_id] = self.loop.call_later(
                settings.KANTA_EVENT_VOTE_BATCH_MS / 1000, self._flush_now, event_id
            )
        return await future

    def _flush_now(self, event_id: int) -> None:
        handle = self.vote_flush.get(event_id)
        if isinstance(handle, asyncio.TimerHandle):
            handle.cancel()
        elif isinstance(handle, asyncio.Task):
            return  # one batch at a time per room; the next starts when it ends
        batch = self.pending_votes.pop(event_id, [])
        if not batch:
            self.vote_flush.pop(event_id, None)
            return
        self.vote_flush[event_id] = self.spawn(self._write(event_id, batch))

    async def _write(self, event_id: int, batch: list[_PendingVote]) -> None:
        try:
            results = await database_sync_to_async(_apply_votes, thread_sensitive=False)(
                event_id, [pending.change for pending in batch]
            )
        except Exception as exc:
            logger.exception("writing %s votes failed", len(batch))
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(exc)
        else:
            self.stats["vote_batches"] += 1
            self.stats["votes"] += len(batch)
            for pending, result in zip(batch, results, strict=True):
                if not pending.future.done():
                    pending.future.set_result(result)
                if result.ok:
                    self.dirty[event_id].add(result.question_id)
            if self.dirty.get(event_id):
                self._counts_soon(event_id)
        finally:
            self.vote_flush.pop(event_id, None)
            if self.pending_votes.get(event_id):
                self._flush_now(event_id)

    def _counts_soon(self, event_id: int) -> None:
        if event_id in self.count_timers:
            return
        self.count_timers[event_id] = self.loop.call_later(
            self.count_interval(event_id), lambda: self.spawn(self._send_counts(event_id))
        )

    def count_interval(self, event_id: int) -> float:
        """Seconds between two count frames of the room from this process: the set interval,
        longer in a room so big that each frame costs more socket writes than the budget
        allows per second. The writes, not the votes, are what a storm costs (bench/vote_storm.py:
        2,000 attendees at four count frames a second kept the event loop 60-80 ms late and
        every vote waiting); a voter's own answer still carries the count at once."""
        budget = settings.KANTA_EVENT_VOTE_COUNT_WRITES_PER_SECOND
        return max(settings.KANTA_EVENT_VOTE_BROADCAST_INTERVAL, self.attendees.get(event_id, 0) / budget)

    async def _send_counts(self, event_id: int) -> None:
        self.count_timers.pop(event_id, None)
        question_ids = sorted(self.dirty.pop(event_id, set()))
        if not question_ids:
            return
        try:
            at = time.time()  # before the read: the counts are at least this new
            counts = await database_sync_to_async(current_counts, thread_sensitive=False)(question_ids)
            await group_send_event(room_group(event_id), votes_event(counts, at=at))
            self.stats["count_broadcasts"] += 1
        except Exception:
            logger.warning("vote count broadcast failed for room %s", event_id, exc_info=True)


def _apply_votes(event_id: int, changes: list[VoteChange]) -> list[VoteResult]:
    event = room_event_by_id(event_id)
    if event is None:
        return [VoteResult(question_id=c.question_id, ok=False, code="not_found") for c in changes]
    return question_votes_apply(event=event, changes=changes)


def room_board() -> RoomBoard:
    """This event loop's room board."""
    return presence_board(RoomBoard)


def room_user_by_id(member_id: int | None) -> User | None:
    """The member as the database has them now (every write re-checks a fresh user), or None."""
    user = fresh_user(member_id)
    return user if user.is_authenticated else None
