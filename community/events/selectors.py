"""Reads for events: a member's RSVP box on the event page, the live room as a page, and the
figures staff see per event. The permission filter is built in (runners see what waits for
approval; anonymous questions name their askers to runners only, in the templates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from community.events.access import (
    TierShortfall,
    can_moderate_event,
    event_access_allows,
    rsvp_opens_for,
    tier_shortfall,
)
from community.events.models import (
    EventAttendance,
    EventChatMessage,
    EventQuestion,
    EventQuestionVote,
    EventRsvp,
    LiveRoom,
    RoomActivity,
    RoomPresence,
)
from community.presence import presence_counts
from content.events import EventAccess, EventPage, EventPhase
from membership.models import User

CHAT_ON_PAGE = 50


# --- the room's lookups (its views and its socket alike) ----------------------------------------


def room_event(*, slug: str) -> EventPage | None:
    """The live event page with this slug (the newest, should two share it), or None."""
    event: EventPage | None = (
        EventPage.objects.live()
        .select_related("min_tier")
        .filter(slug=slug)
        .order_by("-first_published_at")
        .first()
    )
    return event


def room_event_by_id(event_id: int) -> EventPage | None:
    """The live event page with this id, or None (a socket's event, read again per write)."""
    event: EventPage | None = EventPage.objects.live().filter(pk=event_id).select_related("min_tier").first()
    return event


def room_question(*, event_id: int, question_id: int) -> EventQuestion | None:
    """A question of this room, or None."""
    return EventQuestion.objects.filter(pk=question_id, event_id=event_id).select_related("author").first()


def room_chat_message(*, event_id: int, message_id: int) -> EventChatMessage | None:
    """A chat message of this room, or None."""
    return EventChatMessage.objects.filter(pk=message_id, event_id=event_id).first()


def room_mute_target(*, username: str) -> User | None:
    """The active member a runner names to mute, or None."""
    return User.objects.filter(username=username, is_active=True).first()


def attendee_count(*, event_id: int, now: datetime | None = None) -> int:
    """Who is in the room now (community/presence.py counts: members once, each anonymous
    socket)."""
    return presence_counts(RoomPresence, topic_id=event_id, now=now)["present"]


@dataclass(frozen=True)
class RsvpBox:
    """What the event page's RSVP section shows one visitor."""

    phase: str
    needs_rsvp: bool
    rsvp: EventRsvp | None
    going: int
    capacity: int | None
    waitlisted: int
    waitlist_position: int | None
    allowed: bool
    opens_at: datetime | None
    shortfall: TierShortfall | None
    can_run: bool

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.going)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.going >= self.capacity


def rsvp_box(*, event: EventPage, user: User | AnonymousUser | None, now: datetime | None = None) -> RsvpBox:
    now = now or timezone.now()
    counts = EventRsvp.objects.filter(event=event).aggregate(
        going=Count("pk", filter=Q(state=EventRsvp.State.GOING)),
        waitlisted=Count("pk", filter=Q(state=EventRsvp.State.WAITLISTED)),
    )
    rsvp = None
    position = None
    member = user if user is not None and user.is_authenticated else None
    signed_in = member is not None
    if member is not None:
        rsvp = EventRsvp.objects.filter(event=event, member=member).first()
        if rsvp is not None and rsvp.state == EventRsvp.State.WAITLISTED:
            ahead = EventRsvp.objects.filter(event=event, state=EventRsvp.State.WAITLISTED).filter(
                Q(tier_rank__gt=rsvp.tier_rank)
                | Q(tier_rank=rsvp.tier_rank, requested_at__lt=rsvp.requested_at)
                | Q(tier_rank=rsvp.tier_rank, requested_at=rsvp.requested_at, pk__lt=rsvp.pk)
            )
            position = ahead.count() + 1
    opens = rsvp_opens_for(user, event) if signed_in else event.rsvp_opens_at
    return RsvpBox(
        phase=event.phase(now),
        needs_rsvp=bool(event.capacity) and event.access != EventAccess.PUBLIC,
        rsvp=rsvp,
        going=counts["going"],
        capacity=event.capacity,
        waitlisted=counts["waitlisted"],
        waitlist_position=position,
        allowed=event_access_allows(user, event),
        opens_at=opens if opens is not None and opens > now else None,
        shortfall=tier_shortfall(user, event) if signed_in else None,
        can_run=can_moderate_event(user, event) if signed_in else False,
    )


# --- the live room as a page --------------------------------------------------------------------


def room_questions(*, event: EventPage, runner: bool) -> QuerySet[EventQuestion]:
    """The queue: open questions by votes (then oldest first), answered ones after; runners
    also see what waits for approval. Dismissed questions are gone for everyone."""
    states = [EventQuestion.State.OPEN, EventQuestion.State.ANSWERED]
    if runner:
        states.append(EventQuestion.State.PENDING)
    return (
        EventQuestion.objects.filter(event=event, state__in=states)
        .select_related("author")
        .order_by("-vote_count", "created_at", "pk")
    )


def room_page(*, event: EventPage, user: User | AnonymousUser | None, runner: bool) -> dict[str, Any]:
    """The live room rendered by the server: the queue, the highlighted question, the latest
    chat, this member's votes and own waiting questions, and the activity id the page's
    socket resumes from. A fixed number of queries, whatever the number of questions."""
    # Read first: whatever is committed while the rest is read is then after it, and the
    # socket's backlog brings it (read last, a change in between would never reach the page).
    last_id = (
        RoomActivity.objects.filter(event=event).order_by("-id").values_list("id", flat=True).first() or 0
    )
    room = LiveRoom.objects.filter(pk=event.pk).select_related("highlighted__author").first()
    queue = room_questions(event=event, runner=runner)
    member = user if user is not None and user.is_authenticated else None
    if member is not None:
        queue = queue.annotate(
            voted=Exists(EventQuestionVote.objects.filter(question=OuterRef("pk"), member=member))
        )
    questions = list(queue)
    own_waiting: list[EventQuestion] = []
    if member is not None and not runner:
        own_waiting = list(
            EventQuestion.objects.filter(
                event=event, author=member, state=EventQuestion.State.PENDING
            ).order_by("created_at")
        )
    chat = list(
        EventChatMessage.objects.filter(event=event, deleted_at__isnull=True)
        .select_related("author")
        .order_by("-id")[:CHAT_ON_PAGE]
    )[::-1]
    highlighted = room.highlighted if room and room.highlighted_id else None
    return {
        "open_questions": [q for q in questions if q.state == EventQuestion.State.OPEN],
        # The latest answer first: what was just said is what people look for.
        "answered_questions": sorted(
            (q for q in questions if q.state == EventQuestion.State.ANSWERED),
            key=lambda q: (q.answered_at or q.created_at, q.pk),
            reverse=True,
        ),
        "attendees": attendee_count(event_id=event.pk),
        "pending_questions": [q for q in questions if q.state == EventQuestion.State.PENDING],
        "own_waiting": own_waiting,
        "highlighted": highlighted,
        "chat": chat,
        "last_id": last_id,
    }


# --- staff figures ------------------------------------------------------------------------------


def event_stats(*, events: QuerySet[EventPage] | list[EventPage]) -> dict[int, dict[str, int]]:
    """Per event: RSVPs going and waiting, attendees and those who stayed long enough,
    minutes in the room, questions asked and answered, votes and chat messages. One query
    per figure for the whole list, never one per event."""
    ids = [event.pk for event in events]
    stats: dict[int, dict[str, int]] = {
        pk: {
            "going": 0,
            "waitlisted": 0,
            "attendees": 0,
            "qualified": 0,
            "minutes": 0,
            "questions": 0,
            "answered": 0,
            "votes": 0,
            "chat": 0,
        }
        for pk in ids
    }
    for rsvps in (
        EventRsvp.objects.filter(event_id__in=ids)
        .values("event_id")
        .annotate(
            going=Count("pk", filter=Q(state=EventRsvp.State.GOING)),
            waitlisted=Count("pk", filter=Q(state=EventRsvp.State.WAITLISTED)),
        )
    ):
        stats[rsvps["event_id"]].update(going=rsvps["going"], waitlisted=rsvps["waitlisted"])
    for attendance in (
        EventAttendance.objects.filter(event_id__in=ids)
        .values("event_id")
        .annotate(
            attendees=Count("pk"),
            qualified=Count("pk", filter=Q(qualified_at__isnull=False)),
            seconds=Sum("seconds"),
        )
    ):
        stats[attendance["event_id"]].update(
            attendees=attendance["attendees"],
            qualified=attendance["qualified"],
            minutes=(attendance["seconds"] or 0) // 60,
        )
    for asked in (
        EventQuestion.objects.filter(event_id__in=ids)
        .values("event_id")
        .annotate(
            questions=Count("pk"),
            answered=Count("pk", filter=Q(state=EventQuestion.State.ANSWERED)),
            # Not "votes": the plugin takes it for the questions' reverse relation of that name.
            vote_total=Sum("vote_count"),
        )
    ):
        stats[asked["event_id"]].update(
            questions=asked["questions"], answered=asked["answered"], votes=asked["vote_total"] or 0
        )
    for chat in (
        EventChatMessage.objects.filter(event_id__in=ids).values("event_id").annotate(chat=Count("pk"))
    ):
        stats[chat["event_id"]]["chat"] = chat["chat"]
    return stats


def events_for_staff(*, phase: str = "") -> list[EventPage]:
    events = EventPage.objects.all().order_by("-starts_at")
    now = timezone.now()
    if phase == EventPhase.PAST:
        events = events.filter(ends_at__lte=now)
    elif phase == EventPhase.UPCOMING:
        events = events.filter(starts_at__gt=now)
    return list(events[:200])
