"""RSVPs and the waitlist, reminders, the "it's live" push, attendance and the recap draft.

RSVPs for one event are serialised on its LiveRoom row, so places are never over-given
however many members answer at once. The worker's jobs (community/events/jobs.py) send each
reminder once: a reminder is claimed by a conditional UPDATE of its timestamp, and only the
worker whose UPDATE changed the row sends it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from community.events.access import check_rsvp_permission
from community.events.models import EventAttendance, EventQuestion, EventRsvp, LiveRoom
from content.events import EventPage, EventRecapPage
from membership.languages import in_member_language
from membership.models import User
from membership.selectors import member_level
from membership.services.badges import badges_evaluate
from membership.services.notifications import notification_send
from membership.services.points import points_grant

logger = logging.getLogger(__name__)

ATTENDED_EVENT = "event.attended"
KIND_PROMOTED = "event-promoted"
KIND_REMINDER = "event-reminder"
KIND_LIVE = "event-live"
KIND_RECAP = "event-recap"


def live_room_for(event: EventPage) -> LiveRoom:
    room, _created = LiveRoom.objects.get_or_create(event=event)
    return room


def _lock_room(event: EventPage) -> LiveRoom:
    live_room_for(event)
    return LiveRoom.objects.select_for_update().get(pk=event.pk)


def _when(event: EventPage) -> str:
    return formats.date_format(timezone.localtime(event.starts_at, event.zone), "DATETIME_FORMAT")


# --- RSVP -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RsvpResult:
    rsvp: EventRsvp
    promoted: list[EventRsvp]

    @property
    def state(self) -> str:
        return self.rsvp.state


def going_count(event: EventPage) -> int:
    return EventRsvp.objects.filter(event=event, state=EventRsvp.State.GOING).count()


@transaction.atomic
def rsvp_set(*, member: User, event: EventPage, going: bool, now: datetime | None = None) -> RsvpResult:
    """Answer going or not going. Going takes a place, or a place in the waitlist when the
    event is full; not going gives the place to the first in line (tier first, then time)."""
    now = now or timezone.now()
    if going:
        check_rsvp_permission(member, event, now=now)
    _lock_room(event)
    rsvp = EventRsvp.objects.filter(event=event, member=member).first()
    previous = rsvp.state if rsvp else None
    if going:
        if rsvp is not None and previous in (EventRsvp.State.GOING, EventRsvp.State.WAITLISTED):
            return RsvpResult(rsvp, [])
        has_place = event.capacity is None or going_count(event) < event.capacity
        state = EventRsvp.State.GOING if has_place else EventRsvp.State.WAITLISTED
        values = {
            "state": state,
            "tier_rank": member_level(member) or 0,
            "requested_at": now,
            "updated_at": now,
        }
    else:
        if rsvp is None or previous == EventRsvp.State.NOT_GOING:
            rsvp = rsvp or EventRsvp.objects.create(
                event=event, member=member, state=EventRsvp.State.NOT_GOING, requested_at=now, updated_at=now
            )
            return RsvpResult(rsvp, [])
        values = {"state": EventRsvp.State.NOT_GOING, "updated_at": now}
    if rsvp is None:
        rsvp = EventRsvp.objects.create(event=event, member=member, **values)
    else:
        for field, value in values.items():
            setattr(rsvp, field, value)
        rsvp.save(update_fields=list(values))
    promoted = waitlist_promote(event=event, now=now) if previous == EventRsvp.State.GOING else []
    return RsvpResult(rsvp, promoted)


def waitlist_promote(*, event: EventPage, now: datetime | None = None) -> list[EventRsvp]:
    """Give free places to the waitlist in order and tell each promoted member. Called with
    the room row locked (rsvp_set), and by the worker after an editor adds places."""
    now = now or timezone.now()
    if event.capacity is None:
        waiting = EventRsvp.objects.filter(event=event, state=EventRsvp.State.WAITLISTED)
    else:
        free = event.capacity - going_count(event)
        if free <= 0:
            return []
        waiting = EventRsvp.objects.filter(event=event, state=EventRsvp.State.WAITLISTED).order_by(
            "-tier_rank", "requested_at", "pk"
        )[:free]
    promoted = list(waiting.select_related("member"))
    if not promoted:
        return []
    EventRsvp.objects.filter(pk__in=[r.pk for r in promoted]).update(
        state=EventRsvp.State.GOING, promoted_at=now, updated_at=now
    )
    for rsvp in promoted:
        rsvp.state, rsvp.promoted_at = EventRsvp.State.GOING, now
        with in_member_language(rsvp.member):
            notification_send(
                recipient=rsvp.member,
                kind=KIND_PROMOTED,
                title=_("You have a place at “%(event)s”") % {"event": event.title},
                body=_("A place came free and it is yours. %(when)s.") % {"when": _when(event)},
                url=event.url or "",
            )
    return promoted


@transaction.atomic
def waitlists_promote_due(*, now: datetime | None = None) -> int:
    """The worker's pass: events whose places grew (an editor raised the capacity) promote."""
    now = now or timezone.now()
    count = 0
    event_ids = (
        EventRsvp.objects.filter(state=EventRsvp.State.WAITLISTED, event__ends_at__gt=now)
        .values_list("event_id", flat=True)
        .distinct()
    )
    for event in EventPage.objects.live().filter(pk__in=list(event_ids)):
        _lock_room(event)
        count += len(waitlist_promote(event=event, now=now))
    return count


# --- Reminders and "it's live" ---------------------------------------------------------------

DAY = timedelta(hours=24)
SOON = timedelta(minutes=15)


def _email(rsvp: EventRsvp, *, subject: str, template: str, context: dict[str, object]) -> None:
    member = rsvp.member
    if not member.email:
        return
    body = render_to_string(template, {"member": member, **context})
    recipient = member.email
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient], fail_silently=True),
        robust=True,
    )


def _claim(rsvp_id: int, field: str, now: datetime) -> bool:
    return bool(EventRsvp.objects.filter(pk=rsvp_id, **{f"{field}__isnull": True}).update(**{field: now}))


def _reminder_title(event: EventPage, *, soon: bool) -> str:
    return (_("“%(event)s” starts in 15 minutes") if soon else _("“%(event)s” is tomorrow")) % {
        "event": event.title
    }


def _remind(event: EventPage, rsvp: EventRsvp, *, field: str, soon: bool, now: datetime) -> bool:
    with transaction.atomic():
        if not _claim(rsvp.pk, field, now):
            return False
        base = settings.WAGTAILADMIN_BASE_URL
        # The notification and the email (subject, body, date format) in the member's language.
        with in_member_language(rsvp.member):
            title = _reminder_title(event, soon=soon)
            notification_send(
                recipient=rsvp.member, kind=KIND_REMINDER, title=title, body=_when(event), url=event.url or ""
            )
            _email(
                rsvp,
                subject=title,
                template="community/events/email/reminder.txt",
                context={
                    "event": event,
                    "when": _when(event),
                    "url": event.get_full_url() or f"{base}{event.url or ''}",
                    "live_url": f"{base}{event.live_url}",
                    "calendar_url": f"{base}{reverse('content:event_ics', kwargs={'slug': event.slug})}",
                },
            )
    return True


def event_reminders_send(*, now: datetime | None = None) -> int:
    """Remind those going 24 hours and 15 minutes before the start, each once. A member who
    answered after a reminder's moment gets no late copy of it."""
    now = now or timezone.now()
    sent = 0
    upcoming = EventPage.objects.live().filter(starts_at__gt=now, starts_at__lte=now + DAY)
    for event in upcoming:
        soon = event.starts_at - now <= SOON
        field = "reminded_soon_at" if soon else "reminded_day_at"
        moment = event.starts_at - (SOON if soon else DAY)
        rsvps = EventRsvp.objects.filter(
            event=event,
            state=EventRsvp.State.GOING,
            requested_at__lt=moment,
            **{f"{field}__isnull": True},
        ).select_related("member")
        for rsvp in rsvps:
            sent += _remind(event, rsvp, field=field, soon=soon, now=now)
    return sent


def event_live_announce(*, now: datetime | None = None) -> int:
    """When a room opens, tell everyone going ("it's live", pushed on /ws/me/), once each."""
    now = now or timezone.now()
    sent = 0
    opening_window = timedelta(minutes=settings.KANTA_EVENT_ROOM_OPENS_MINUTES)
    events = EventPage.objects.live().filter(starts_at__lte=now + opening_window, ends_at__gt=now)
    for event in events:
        room = live_room_for(event)
        if room.live_announced_at is None:
            LiveRoom.objects.filter(pk=room.pk, live_announced_at__isnull=True).update(live_announced_at=now)
        rsvps = EventRsvp.objects.filter(
            event=event, state=EventRsvp.State.GOING, live_notified_at__isnull=True
        ).select_related("member")
        for rsvp in rsvps:
            with transaction.atomic():
                if not _claim(rsvp.pk, "live_notified_at", now):
                    continue
                with in_member_language(rsvp.member):
                    notification_send(
                        recipient=rsvp.member,
                        kind=KIND_LIVE,
                        title=_("“%(event)s” is live: join the room") % {"event": event.title},
                        body=event.intro[:200],
                        url=event.live_url,
                    )
                sent += 1
    return sent


# --- Attendance --------------------------------------------------------------------------------


def attendance_tick(
    *, event: EventPage, member_ids: list[int], seconds: int, now: datetime | None = None
) -> int:
    """Count ``seconds`` of presence for members in the room now. Several processes and tabs
    tick for the same member; a row counted less than ``seconds`` ago is skipped, so each
    member gains at most one tick's time per tick. Returns how many members qualified now."""
    now = now or timezone.now()
    if not member_ids or not event.room_is_open(now):
        return 0
    existing = set(
        EventAttendance.objects.filter(event=event, member_id__in=member_ids).values_list(
            "member_id", flat=True
        )
    )
    new = [
        EventAttendance(event=event, member_id=member_id, first_seen_at=now, counted_at=now)
        for member_id in member_ids
        if member_id not in existing
    ]
    if new:
        EventAttendance.objects.bulk_create(new, ignore_conflicts=True)
    # 90% of a tick: heartbeats of two processes land a little apart.
    cutoff = now - timedelta(seconds=seconds * 0.9)
    EventAttendance.objects.filter(event=event, member_id__in=existing, counted_at__lte=cutoff).update(
        seconds=F("seconds") + seconds, counted_at=now
    )
    threshold = settings.KANTA_EVENT_ATTENDANCE_MINUTES * 60
    due = list(
        EventAttendance.objects.filter(
            event=event, member_id__in=member_ids, seconds__gte=threshold, qualified_at__isnull=True
        ).select_related("member")
    )
    qualified = 0
    for attendance in due:
        with transaction.atomic():
            claimed = EventAttendance.objects.filter(pk=attendance.pk, qualified_at__isnull=True).update(
                qualified_at=now
            )
            if not claimed:
                continue
            points_grant(
                member=attendance.member,
                rule_key="event-attendance",
                source=event,
                now=now,
                note=event.title,
            )
            badges_evaluate(member=attendance.member, event=ATTENDED_EVENT)
            qualified += 1
    return qualified


# --- After the event ------------------------------------------------------------------------------


def _recap_body(event: EventPage) -> list[tuple[str, dict[str, object]]]:
    answered = (
        EventQuestion.objects.filter(event=event, state=EventQuestion.State.ANSWERED)
        .select_related("author")
        .order_by("answered_at", "pk")
    )
    return [
        (
            "answered_question",
            {
                "question": question.body,
                "asker": "" if question.is_anonymous else question.author.name,
                "votes": question.vote_count,
                "answer": "",
            },
        )
        for question in answered
    ]


def event_recap_create(*, event: EventPage, now: datetime | None = None) -> EventRecapPage | None:
    """Create the recap draft under the event, once: the answered questions in the order
    they were answered, askers credited unless they asked anonymously, answers left for an
    editor. Returns the new page, or None if the recap was made before."""
    now = now or timezone.now()
    with transaction.atomic():
        room = live_room_for(event)
        claimed = LiveRoom.objects.filter(pk=room.pk, recap_created_at__isnull=True).update(
            recap_created_at=now
        )
        if not claimed or EventRecapPage.objects.child_of(event).exists():
            return None
        recap = EventRecapPage(
            title=_("Recap: %(event)s") % {"event": event.title},
            slug="recap",
            intro="",
            body=_recap_body(event),
            live=False,
        )
        event.add_child(instance=recap)
        recap.save_revision(log_action=True)
        edit_url = reverse("wagtailadmin_pages:edit", args=[recap.pk])
        for host in event.hosts.filter(author__member__isnull=False).select_related("author__member"):
            with in_member_language(host.author.member):
                notification_send(
                    recipient=host.author.member,
                    kind=KIND_RECAP,
                    title=_("The recap of “%(event)s” is ready for its answers") % {"event": event.title},
                    body=_("The answered questions are in the draft; add what you said and publish it."),
                    url=edit_url,
                )
    return recap


def event_recaps_create_due(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    ended = (
        EventPage.objects.live()
        .filter(ends_at__lte=now)
        .exclude(Q(live_room__recap_created_at__isnull=False))
    )
    return sum(event_recap_create(event=event, now=now) is not None for event in ended)
