"""Who may RSVP to an event, join its live room, write in it and run it.

An event (content.EventPage) is open to everyone, to signed-in members, or to members of a
tier or higher (by status-points threshold, as in the forum). RSVP opens at the page's
``rsvp_opens_at`` or earlier for the tiers an editor lists. When an event has places
(``capacity``), the room is for those going; without, for anyone who may take part. Hosts
with a member account and moderators (``community.moderate_events``) always get in and run
the room. Each ``check_*`` raises PermissionDenied with a message for the member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.events.models import EventMute, EventRsvp
from content.events import EventAccess, EventPage, EventPhase
from hub.realtime import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from membership.models import Tier, User
from membership.selectors import member_level, member_standing

MODERATE_PERMISSION = "community.moderate_events"


@dataclass(frozen=True)
class TierShortfall:
    """How far a member is from the tier an event needs."""

    current_tier: str
    needed_tier: str
    points_needed: int
    progress_url: str
    # The member's status points and the needed tier's threshold: the two figures behind
    # ``points_needed``, shown beside it so the gap reads as arithmetic, not a verdict.
    status_points: int = 0
    threshold: int = 0


def can_moderate_events(user: User | AnonymousUser | None) -> bool:
    return bool(
        user is not None and user.is_authenticated and user.is_active and user.has_perm(MODERATE_PERMISSION)
    )


def is_event_host(user: User | AnonymousUser | None, event: EventPage) -> bool:
    if user is None or not user.is_authenticated:
        return False
    cache = getattr(event, "_host_member_ids", None)
    if cache is None:
        cache = set(
            event.hosts.filter(author__member__isnull=False).values_list("author__member_id", flat=True)
        )
        event._host_member_ids = cache
    return user.pk in cache


def can_moderate_event(user: User | AnonymousUser | None, event: EventPage) -> bool:
    """Moderators run every room; hosts run their own."""
    return can_moderate_events(user) or is_event_host(user, event)


def _tier_threshold(event: EventPage) -> int | None:
    if event.access != EventAccess.TIER or event.min_tier is None:
        return None
    return event.min_tier.threshold


def event_access_allows(user: User | AnonymousUser | None, event: EventPage) -> bool:
    """Whether the user is someone this event is for (tier and sign-in; not RSVP)."""
    if can_moderate_event(user, event):
        return True
    if event.access == EventAccess.PUBLIC:
        return True
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    threshold = _tier_threshold(event)
    if event.access == EventAccess.TIER and threshold is None:
        return False  # the tier was deleted: nobody but its runners until an editor fixes it
    return threshold is None or (member_level(user) or 0) >= threshold


def tier_shortfall(user: User | AnonymousUser | None, event: EventPage) -> TierShortfall | None:
    """For a signed-in member below the event's tier: their tier and the points to go."""
    if user is None or not user.is_authenticated or event.access != EventAccess.TIER or not event.min_tier_id:
        return None
    if event_access_allows(user, event):
        return None
    needed = event.min_tier
    if needed is None:  # not reached: min_tier_id is set (checked above)
        return None
    standing = member_standing(member=user)
    current = standing.tier or Tier.objects.order_by("threshold").first()
    return TierShortfall(
        current_tier=current.name if current else "",
        needed_tier=needed.name,
        points_needed=max(0, needed.threshold - standing.status_points),
        progress_url=reverse("membership:profile", kwargs={"username": user.username}),
        status_points=standing.status_points,
        threshold=needed.threshold,
    )


def rsvp_opens_for(user: User | AnonymousUser | None, event: EventPage) -> datetime | None:
    """When this member may RSVP: the earliest opening of a tier they have reached, else
    the page's general opening (None: open now)."""
    general = event.rsvp_opens_at
    if general is None:
        return None  # open to everyone now: a tier's opening cannot make it later
    level = member_level(user)
    openings = getattr(event, "_rsvp_openings", None)
    if openings is None:
        openings = list(event.rsvp_openings.select_related("tier"))
        event._rsvp_openings = openings
    reached = [o.opens_at for o in openings if level is not None and level >= o.tier.threshold]
    return min([general, *reached])


def _date(value: datetime) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def check_rsvp_permission(
    user: User | AnonymousUser | None, event: EventPage, *, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("Log in to RSVP."))
    if event.phase(now) == EventPhase.PAST:
        raise PermissionDenied(_("This event is over."))
    if not event_access_allows(user, event):
        shortfall = tier_shortfall(user, event)
        if shortfall is not None:
            raise PermissionDenied(
                ngettext(
                    "This event is for %(tier)s members and up. You are %(points)s point away.",
                    "This event is for %(tier)s members and up. You are %(points)s points away.",
                    shortfall.points_needed,
                )
                % {"tier": shortfall.needed_tier, "points": shortfall.points_needed}
            )
        raise PermissionDenied(_("This event is not open to you."))
    opens = rsvp_opens_for(user, event)
    if opens is not None and now < opens and not can_moderate_event(user, event):
        raise PermissionDenied(_("RSVP opens for you on %(date)s.") % {"date": _date(opens)})


def member_muted(
    user: User | AnonymousUser | None, event: EventPage, *, now: datetime | None = None
) -> EventMute | None:
    if user is None or not user.is_authenticated:
        return None
    now = now or timezone.now()
    return EventMute.objects.filter(event=event, member=user, until__gt=now).order_by("-until").first()


@dataclass(frozen=True)
class RoomAccess:
    """Who is at the door of a live room: 0 and whether they run it, or a close code."""

    refusal: int = 0
    moderator: bool = False
    message: str = ""


def room_access(
    user: User | AnonymousUser | None, event: EventPage, *, now: datetime | None = None
) -> RoomAccess:
    """May the user be in the live room now? Anonymous visitors watch public events only."""
    now = now or timezone.now()
    member = user if user is not None and user.is_authenticated and user.is_active else None
    if can_moderate_event(user, event):
        return RoomAccess(moderator=True)
    if not event_access_allows(user, event):
        return RoomAccess(
            CLOSE_UNAUTHENTICATED if member is None else CLOSE_FORBIDDEN, message=room_refusal(member, event)
        )
    if event.capacity and event.access != EventAccess.PUBLIC:
        if member is None:
            return RoomAccess(CLOSE_UNAUTHENTICATED, message=_("Log in to join the live room."))
        going = EventRsvp.objects.filter(event=event, member=member, state=EventRsvp.State.GOING).exists()
        if not going:
            return RoomAccess(CLOSE_FORBIDDEN, message=_("The live room is for those who RSVPed."))
    return RoomAccess()


def room_refusal(member: User | None, event: EventPage) -> str:
    """Why someone this event is not for may not join its room, naming who may."""
    threshold = _tier_threshold(event)
    tier = event.min_tier.name if threshold is not None and event.min_tier is not None else ""
    if member is None:
        if tier:
            return _("The live room is for %(tier)s members and up: log in to join.") % {"tier": tier}
        return _("The live room is for signed-in members: log in to join.")
    if tier:
        return _("This live room is for %(tier)s members and up, so it is not open to you yet.") % {
            "tier": tier
        }
    return _("This live room is not open to you.")


def check_room_write(
    user: User | AnonymousUser | None, event: EventPage, *, now: datetime | None = None, chat: bool = False
) -> bool:
    """Before every write in the room (asking, voting, chatting): signed in, still allowed,
    the room open, not muted. Returns whether the user runs the room."""
    now = now or timezone.now()
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Log in to take part."))
    access = room_access(user, event, now=now)
    if access.refusal:
        raise PermissionDenied(access.message)
    if access.moderator:
        return True
    if not event.room_is_open(now):
        if now < event.room_opens_at:
            raise PermissionDenied(_("The room opens at %(date)s.") % {"date": _date(event.room_opens_at)})
        raise PermissionDenied(_("This event is over."))
    if chat and not event.chat_enabled:
        raise PermissionDenied(_("Chat is off for this event."))
    mute = member_muted(user, event, now=now)
    if mute is not None:
        raise PermissionDenied(
            _("Until %(time)s a moderator has muted you in this room.")
            % {"time": formats.time_format(timezone.localtime(mute.until), "TIME_FORMAT")}
        )
    return False


def check_room_moderate(user: User, event: EventPage) -> None:
    if not can_moderate_event(user, event):
        raise PermissionDenied(_("Only the hosts and moderators run the room."))
