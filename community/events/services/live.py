"""The live room: questions, votes, chat and what the room's runners do.

Every write checks the writer again (community.events.access.check_room_write), appends a
RoomActivity row when it changes what attendees see, and broadcasts after commit. Votes are
applied in batches (``question_votes_apply``): the room's sockets collect a few milliseconds
of votes per process and write them in one transaction that locks the questions it touches,
so the stored count always equals the vote rows, however many votes arrive at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail.log_actions import log

from community.events import realtime as live_realtime
from community.events.access import (
    can_moderate_event,
    check_room_moderate,
    check_room_write,
    event_access_allows,
)
from community.events.models import (
    EventChatMessage,
    EventMute,
    EventQuestion,
    EventQuestionVote,
    EventRsvp,
    LiveRoom,
    RoomActivity,
)
from community.members import is_new_member
from content.events import EventPage
from hub.rate_limits import rate_limit_check
from hub.realtime import send_event_on_commit
from membership.models import MemberStanding, OrderLine, User
from membership.selectors import member_levels_preload

QUESTION_MIN = 3
QUESTION_MAX = 300
CHAT_MAX = 500

# Audit log actions (registered in community/events/wagtail_hooks.py).
QUESTION_APPROVE = "kanta.event.question.approve"
QUESTION_DISMISS = "kanta.event.question.dismiss"
QUESTION_ANSWERED = "kanta.event.question.answered"
QUESTION_HIGHLIGHT = "kanta.event.question.highlight"
QUESTION_UNHIGHLIGHT = "kanta.event.question.unhighlight"
QUESTION_REOPEN = "kanta.event.question.reopen"
CHAT_DELETE = "kanta.event.chat.delete"
MEMBER_MUTE = "kanta.event.mute"

QUESTION_ACTIONS = {
    "approve": QUESTION_APPROVE,
    "dismiss": QUESTION_DISMISS,
    "answered": QUESTION_ANSWERED,
    "highlight": QUESTION_HIGHLIGHT,
    "unhighlight": QUESTION_UNHIGHLIGHT,
    "reopen": QUESTION_REOPEN,
}


def _clean_text(text: str, *, field: str, minimum: int, maximum: int, rule: str) -> str:
    """The text with its whitespace collapsed, or a ValidationError that names the rule
    (``rule``: a message with %(minimum)s, %(maximum)s and %(count)s, the length given)."""
    text = " ".join((text or "").split())
    if minimum <= len(text) <= maximum:
        return text
    code = "required" if not text else "too_short" if len(text) < minimum else "too_long"
    raise ValidationError(
        {field: rule % {"minimum": minimum, "maximum": maximum, "count": len(text)}}, code=code
    )


def _room(event: EventPage, *, lock: bool = False) -> LiveRoom:
    room, _created = LiveRoom.objects.get_or_create(event=event)
    if lock:
        room = LiveRoom.objects.select_for_update().get(pk=room.pk)
    return room


def _activity(
    event: EventPage,
    kind: str,
    *,
    question: EventQuestion | None = None,
    message: EventChatMessage | None = None,
    now: datetime,
) -> RoomActivity:
    return RoomActivity.objects.create(
        event=event, kind=kind, question=question, message=message, created_at=now
    )


def _wait(seconds: int) -> str:
    """A refusal of hub.rate_limits: asking or chatting too fast (RateLimited)."""
    return ngettext(
        "Slow down a little: try again in %(seconds)s second.",
        "Slow down a little: try again in %(seconds)s seconds.",
        seconds,
    ) % {"seconds": seconds}


# --- questions -------------------------------------------------------------------------------


def _asker_labels(member: User, event: EventPage) -> tuple[bool, bool]:
    standing = MemberStanding.objects.select_related("tier").filter(member=member).first()
    is_vip = bool(standing and standing.tier and standing.tier.vip_events)
    product_ids = list(event.products.values_list("pk", flat=True))
    is_owner = bool(product_ids) and (
        OrderLine.objects.filter(order__member=member, product_id__in=product_ids)
        .exclude(order__status="refunded")
        .exists()
    )
    return is_vip, is_owner


@transaction.atomic
def question_ask(
    *, member: User, event: EventPage, body: str, anonymous: bool = False, now: datetime | None = None
) -> EventQuestion:
    """Ask the room. In a pre-moderated event the question waits for a runner's approval
    (its asker and the runners see it meanwhile)."""
    now = now or timezone.now()
    runner = check_room_write(member, event, now=now)
    body = _clean_text(
        body,
        field="body",
        minimum=QUESTION_MIN,
        maximum=QUESTION_MAX,
        # Translators: the rule for a question's length; count is the length of what was typed.
        rule=_("A question is %(minimum)s to %(maximum)s characters; yours has %(count)s."),
    )
    mine = EventQuestion.objects.filter(event=event, author=member)
    if not runner:
        limit, window = settings.KANTA_EVENT_QUESTION_RATE
        rate_limit_check(mine, limit=limit, period=window, now=now, refusal=_wait)
    normalised = body.casefold()
    if any(
        text.casefold() == normalised
        for text in mine.exclude(state=EventQuestion.State.DISMISSED).values_list("body", flat=True)
    ):
        raise ValidationError({"body": _("You have asked this already.")}, code="duplicate")
    is_vip, is_owner = _asker_labels(member, event)
    question = EventQuestion.objects.create(
        event=event,
        author=member,
        body=body,
        is_anonymous=bool(anonymous),
        state=EventQuestion.State.PENDING if event.premoderated and not runner else EventQuestion.State.OPEN,
        author_is_vip=is_vip,
        author_is_owner=is_owner,
        created_at=now,
    )
    room = _room(event)
    activity = _activity(event, RoomActivity.Kind.QUESTION, question=question, now=now)
    live_realtime.send_question(question, activity, created=True, highlighted=room.highlighted_id)
    return question


def _log_question(question: EventQuestion, action: str, *, user: User, event: EventPage) -> None:
    log(
        instance=question,
        action=action,
        user=user,
        title=f"{event.title}: {question.body[:60]}",
        data={
            "event": event.pk,
            "event_title": event.title,
            "question": question.body,
            "asker": question.author.username,
            "state": question.state,
        },
    )


@transaction.atomic
def question_moderate(
    *, moderator: User, question: EventQuestion, action: str, now: datetime | None = None
) -> EventQuestion:
    """approve · dismiss · answered · highlight (the one being answered now, shown to all) ·
    unhighlight · reopen. A dismissed or answered question stops being highlighted."""
    now = now or timezone.now()
    if action not in QUESTION_ACTIONS:
        raise ValidationError({"action": _("Unknown action.")}, code="invalid")
    event = EventPage.objects.get(pk=question.event_id)
    check_room_moderate(moderator, event)
    room = _room(event, lock=True)
    question = (
        EventQuestion.objects.select_for_update(of=("self",)).select_related("author").get(pk=question.pk)
    )
    State = EventQuestion.State
    allowed = {
        "approve": {State.PENDING},
        "dismiss": {State.PENDING, State.OPEN},
        "answered": {State.OPEN},
        "highlight": {State.OPEN},
        "unhighlight": {State.OPEN, State.ANSWERED, State.DISMISSED, State.PENDING},
        "reopen": {State.ANSWERED, State.DISMISSED},
    }[action]
    if question.state not in allowed:
        raise ValidationError(
            {
                "action": _("That does not apply to a question that is %(state)s.")
                % {"state": question.get_state_display()}
            },
            code="state",
        )
    highlighted = room.highlighted_id
    if action == "approve" or action == "reopen":
        question.state = State.OPEN
        question.answered_at = None if action == "reopen" else question.answered_at
    elif action == "dismiss":
        question.state = State.DISMISSED
    elif action == "answered":
        question.state, question.answered_at = State.ANSWERED, now
    elif action == "highlight":
        highlighted = question.pk
    if action in ("dismiss", "answered", "unhighlight") and highlighted == question.pk:
        highlighted = None
    question.moderated_by, question.moderated_at = moderator, now
    question.save(update_fields=["state", "answered_at", "moderated_by", "moderated_at"])
    if highlighted != room.highlighted_id:
        previous = room.highlighted_id
        LiveRoom.objects.filter(pk=room.pk).update(highlighted=highlighted)
        if previous and previous != question.pk:
            # The question that was up loses the spotlight: attendees learn it from its update.
            before = EventQuestion.objects.select_related("author").get(pk=previous)
            activity = _activity(event, RoomActivity.Kind.QUESTION, question=before, now=now)
            live_realtime.send_question(before, activity, created=False, highlighted=highlighted)
    activity = _activity(event, RoomActivity.Kind.QUESTION, question=question, now=now)
    live_realtime.send_question(question, activity, created=False, highlighted=highlighted)
    _log_question(question, QUESTION_ACTIONS[action], user=moderator, event=event)
    return question


# --- votes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteChange:
    member_id: int
    question_id: int
    on: bool


@dataclass(frozen=True)
class VoteResult:
    question_id: int
    ok: bool
    voted: bool = False
    votes: int = 0
    code: str = ""
    # Lazy: the batch is shared by members reading different languages; each consumer turns
    # it into text in its own member's language.
    message: str | Promise = ""
    # When ``votes`` was read (seconds since the epoch), to order it against count frames.
    at: float = 0.0


def _permissions_preload(users: Iterable[User]) -> None:
    """Fill the permission caches Django's ModelBackend keeps on each user object (the
    same sets it would read, user's own and groups'), for many users in two queries:
    otherwise each ``has_perm`` in the access checks below costs two queries per member."""
    plain = {user.pk: user for user in users if user.is_active and not user.is_superuser}
    if not plain:
        return
    own: dict[int, set[str]] = {pk: set() for pk in plain}
    grouped: dict[int, set[str]] = {pk: set() for pk in plain}
    fields = ("content_type__app_label", "codename")
    for member_id, app, codename in (
        Permission.objects.filter(user__in=plain).values_list("user", *fields).order_by()
    ):
        own[member_id].add(f"{app}.{codename}")
    for member_id, app, codename in (
        Permission.objects.filter(group__user__in=plain).values_list("group__user", *fields).order_by()
    ):
        grouped[member_id].add(f"{app}.{codename}")
    for pk, user in plain.items():
        # ModelBackend's private caches: django-stubs does not declare them.
        user._user_perm_cache = own[pk]  # type: ignore[attr-defined]
        user._group_perm_cache = grouped[pk]  # type: ignore[attr-defined]


def _voters(event: EventPage, member_ids: Iterable[int], *, now: datetime) -> dict[int, str | Promise]:
    """Why each member may not vote now ("" when they may), for a whole batch in a few
    queries: their users, their permissions, their tiers and, for events with places, their
    RSVPs."""
    # What the checks below read of a user (the permission caches are filled from these).
    users = (
        User.objects.filter(pk__in=set(member_ids), is_active=True)
        .only("pk", "is_active", "is_superuser")
        .in_bulk()
    )
    _permissions_preload(users.values())
    member_levels_preload(members=users.values())
    going: set[int] = set()
    if event.capacity:
        going = set(
            EventRsvp.objects.filter(
                event=event, member_id__in=users, state=EventRsvp.State.GOING
            ).values_list("member_id", flat=True)
        )
    room_open = event.room_is_open(now)
    reasons: dict[int, str | Promise] = {}
    for member_id in member_ids:
        user = users.get(member_id)
        if user is None:
            reasons[member_id] = gettext_lazy("Log in to take part.")
            continue
        allowed = event_access_allows(user, event) and (not event.capacity or member_id in going)
        runner = None
        if not allowed or not room_open:
            runner = can_moderate_event(user, event)
        if not allowed and not runner:
            reasons[member_id] = gettext_lazy("This live room is not open to you.")
        elif not room_open and not runner:
            reasons[member_id] = gettext_lazy("The room is closed.")
        else:
            reasons[member_id] = ""
    return reasons


def question_votes_apply(
    *, event: EventPage, changes: Sequence[VoteChange], now: datetime | None = None
) -> list[VoteResult]:
    """Apply a batch of votes and withdrawn votes (in order; one vote per member and
    question) and return one result per change with the question's count afterwards.

    Who may vote is read first: it needs no lock, so it stays out of the transaction that
    every batch of the room (from every process) waits for. Then the questions are locked
    (in id order, so two batches never deadlock), the members' votes read, and the counts
    recomputed from the rows before the commit."""
    now = now or timezone.now()
    if not changes:
        return []
    reasons = _voters(event, [change.member_id for change in changes], now=now)
    with transaction.atomic():
        question_ids = sorted({change.question_id for change in changes})
        questions = {
            q.pk: q
            for q in EventQuestion.objects.select_for_update(of=("self",))
            .filter(event=event, pk__in=question_ids)
            .order_by("pk")
            .only("pk", "state", "author_id", "vote_count")
        }
        rows = {
            (q, m): pk
            for q, m, pk in EventQuestionVote.objects.filter(
                question_id__in=questions, member_id__in={c.member_id for c in changes}
            ).values_list("question_id", "member_id", "pk")
        }
        existing = set(rows)
        current = set(existing)
        outcome: list[tuple[VoteChange, str, str | Promise, bool]] = []
        for change in changes:
            question = questions.get(change.question_id)
            key = (change.question_id, change.member_id)
            refusal: tuple[str, str | Promise]
            if question is None:
                refusal = ("not_found", gettext_lazy("No such question in this room."))
            elif reasons.get(change.member_id):
                refusal = ("forbidden", reasons[change.member_id])
            elif not question.is_votable:
                refusal = ("closed", gettext_lazy("Voting on this question has closed."))
            elif question.author_id == change.member_id:
                refusal = ("own_question", gettext_lazy("You cannot vote for your own question."))
            else:
                refusal = ("", "")
                if change.on:
                    current.add(key)
                else:
                    current.discard(key)
            # Each answer says how that member's vote stands after their own change.
            outcome.append((change, *refusal, key in current))
        added, removed = current - existing, existing - current
        if added:
            EventQuestionVote.objects.bulk_create(
                [EventQuestionVote(question_id=q, member_id=m, created_at=now) for q, m in sorted(added)]
            )
        if removed:
            # The rows read above, under the questions' locks: one statement for the batch.
            EventQuestionVote.objects.filter(pk__in=sorted(rows[key] for key in removed)).delete()
        changed = {q for q, _m in added | removed}
        if changed:
            counts = (
                EventQuestionVote.objects.filter(question_id=OuterRef("pk"))
                .order_by()
                .values("question_id")
                .annotate(n=Count("pk"))
                .values("n")
            )
            EventQuestion.objects.filter(pk__in=changed).update(vote_count=Coalesce(Subquery(counts), 0))
        read_at = time.time()
        totals = dict(EventQuestion.objects.filter(pk__in=questions).values_list("pk", "vote_count"))
    results = []
    for change, code, message, voted in outcome:
        results.append(
            VoteResult(
                question_id=change.question_id,
                ok=not code,
                voted=voted,
                votes=totals.get(change.question_id, 0),
                code=code,
                message=message,
                at=read_at,
            )
        )
    return results


def question_vote(
    *, member: User, question: EventQuestion, on: bool, now: datetime | None = None
) -> VoteResult:
    """One vote (the page's form without JavaScript): applied and broadcast at once."""
    event = EventPage.objects.get(pk=question.event_id)
    with transaction.atomic():
        (result,) = question_votes_apply(
            event=event, changes=[VoteChange(member.pk, question.pk, on)], now=now
        )
        if result.ok:
            send_event_on_commit(
                live_realtime.room_group(event.pk),
                live_realtime.votes_event({question.pk: result.votes}, at=result.at),
            )
    if not result.ok:
        raise (
            PermissionDenied(result.message)
            if result.code == "forbidden"
            else ValidationError({"question": result.message}, code=result.code)
        )
    return result


def vote_counts(*, event: EventPage) -> dict[int, int]:
    """The count of every question attendees can vote on or see (for session.ready)."""
    return dict(
        EventQuestion.objects.filter(event=event)
        .exclude(state=EventQuestion.State.PENDING)
        .values_list("pk", "vote_count")
    )


# --- chat ------------------------------------------------------------------------------------


@transaction.atomic
def chat_send(*, member: User, event: EventPage, body: str, now: datetime | None = None) -> EventChatMessage:
    now = now or timezone.now()
    runner = check_room_write(member, event, now=now, chat=True)
    body = _clean_text(
        body,
        field="body",
        minimum=1,
        maximum=CHAT_MAX,
        # Translators: the rule for a chat message's length; count is the length of what was typed.
        rule=_("A chat message is %(minimum)s to %(maximum)s characters; yours has %(count)s."),
    )
    if not runner:
        limit, window = (
            settings.KANTA_EVENT_CHAT_RATE_NEW_MEMBER
            if is_new_member(member, now=now)
            else settings.KANTA_EVENT_CHAT_RATE
        )
        rate_limit_check(
            EventChatMessage.objects.filter(event=event, author=member),
            limit=limit,
            period=window,
            now=now,
            refusal=_wait,
        )
    message = EventChatMessage.objects.create(event=event, author=member, body=body, created_at=now)
    activity = _activity(event, RoomActivity.Kind.CHAT, message=message, now=now)
    live_realtime.send_chat(message, activity)
    return message


@transaction.atomic
def chat_delete(
    *, moderator: User, message: EventChatMessage, now: datetime | None = None
) -> EventChatMessage:
    now = now or timezone.now()
    event = EventPage.objects.get(pk=message.event_id)
    check_room_moderate(moderator, event)
    message = (
        EventChatMessage.objects.select_for_update(of=("self",)).select_related("author").get(pk=message.pk)
    )
    if message.deleted_at is not None:
        return message
    message.deleted_at, message.deleted_by = now, moderator
    message.save(update_fields=["deleted_at", "deleted_by"])
    activity = _activity(event, RoomActivity.Kind.CHAT, message=message, now=now)
    live_realtime.send_chat(message, activity)
    log(
        instance=message,
        action=CHAT_DELETE,
        user=moderator,
        title=f"{event.title}: {message.body[:60]}",
        data={
            "event": event.pk,
            "event_title": event.title,
            "author": message.author.username,
            "message": message.body,
        },
    )
    return message


@transaction.atomic
def member_mute(
    *,
    moderator: User,
    event: EventPage,
    member: User,
    minutes: int,
    reason: str = "",
    now: datetime | None = None,
) -> EventMute:
    """Keep a member from chatting and asking in this room for ``minutes``."""
    now = now or timezone.now()
    check_room_moderate(moderator, event)
    if can_moderate_event(member, event):
        raise ValidationError({"member": _("Hosts and moderators cannot be muted.")}, code="runner")
    if not 1 <= int(minutes) <= 24 * 60:
        raise ValidationError({"minutes": _("Mute for 1 minute to 24 hours.")}, code="range")
    mute = EventMute.objects.create(
        event=event,
        member=member,
        until=now + timedelta(minutes=int(minutes)),
        reason=" ".join(reason.split())[:300],
        moderator=moderator,
        created_at=now,
    )
    live_realtime.send_room_muted(mute)
    log(
        instance=mute,
        action=MEMBER_MUTE,
        user=moderator,
        title=f"{event.title}: @{member.username}",
        data={
            "event": event.pk,
            "event_title": event.title,
            "member": member.username,
            "minutes": int(minutes),
            "reason": mute.reason,
        },
    )
    return mute
