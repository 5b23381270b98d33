"""Event pages' community side: RSVP, and the live room at /events/<slug>/live/.

The room works without JavaScript: asking, voting, chatting and every runner's action are
plain form POSTs that redirect back to the room; with JavaScript the page does the same over
its socket (community/events/consumers.py). Each view fetches, checks, calls one service
(community.events.services.rsvps / .live) and redirects or renders; ``Accept: application/json``
gets JSON (errors too: 401/403, 400 with field errors, 429 when too quick).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from community.events import selectors
from community.events.access import can_moderate_event, room_access
from community.events.models import EventQuestion, EventRsvp
from community.events.page_extensions import room_door
from community.events.services import live as live_services
from community.events.services import rsvps as event_services
from content.events import EventPage
from hub.rate_limits import RateLimited
from membership.models import User

ROOM_TEMPLATE = "community/events/live_room.html"


def _event(slug: str) -> EventPage:
    event = selectors.room_event(slug=slug)
    if event is None:
        raise Http404(_("No event with that address."))
    return event


def _member(request: HttpRequest, refusal: str) -> User:
    """The signed-in member; anyone else gets the refusal the service's own check would
    give them (community.events.access), before the service is called."""
    if not request.user.is_authenticated:
        raise PermissionDenied(refusal)
    return request.user


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _messages_of(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(message for messages_ in exc.message_dict.values() for message in messages_)
    return " ".join(exc.messages)


def _done(
    request: HttpRequest, back: str, *, message: str = "", data: dict[str, object] | None = None
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": message, **(data or {})})
    if message:
        messages.success(request, message)
    return redirect(back)


def _failed(
    request: HttpRequest, back: str, exc: PermissionDenied | ValidationError | RateLimited
) -> HttpResponse:
    """Refusals and bad input: a message on the page the member came from (what they wrote
    is kept in the form by the room's template from ``?draft``), or JSON with a status."""
    if isinstance(exc, PermissionDenied):
        status = 401 if not request.user.is_authenticated else 403
        text = str(exc) or _("You may not do that.")
    elif isinstance(exc, RateLimited):
        status, text = 429, str(exc)
    else:
        status, text = 400, _messages_of(exc)
    if _wants_json(request):
        body: dict[str, object] = {"error": text}
        if isinstance(exc, ValidationError) and hasattr(exc, "message_dict"):
            body["errors"] = exc.message_dict
        return JsonResponse(body, status=status)
    if status == 401:
        return redirect_to_login(back)
    messages.error(request, text)
    return redirect(back)


# --- RSVP -------------------------------------------------------------------------------------


@require_POST
def event_rsvp(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(slug)
    back = event.url or "/"
    if not request.user.is_authenticated:
        return _failed(request, back, PermissionDenied(_("Log in to RSVP.")))
    answer = request.POST.get("answer")
    if answer not in ("going", "not_going"):
        return _failed(request, back, ValidationError({"answer": _("Answer going or not going.")}))
    try:
        result = event_services.rsvp_set(member=request.user, event=event, going=answer == "going")
    except (PermissionDenied, ValidationError) as exc:
        return _failed(request, back, exc)
    texts: dict[str, str] = {
        EventRsvp.State.GOING: _("You are going. We will remind you the day before and 15 minutes before."),
        EventRsvp.State.WAITLISTED: _(
            "The event is full, so you are on the waitlist. "
            "If a place comes free it is yours and we will tell you."
        ),
        EventRsvp.State.NOT_GOING: _("Thanks for letting us know: your place goes to someone else."),
    }
    return _done(request, back, message=texts[result.state], data={"state": result.state})


# --- the room ---------------------------------------------------------------------------------


def event_live(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(slug)
    access = room_access(request.user, event)
    if access.refusal:
        # Anonymous visitors too get the reason (who may join) with Log in and Join links
        # that bring them back, rather than a login form that says nothing of why.
        box = selectors.rsvp_box(event=event, user=request.user)
        context = {
            "event": event,
            "message": access.message,
            "box": box,
            "door": room_door(request=request, page=event, box=box),
        }
        return render(request, "community/events/room_closed.html", context, status=403)
    runner = access.moderator
    context = {
        "event": event,
        "page": event,
        "runner": runner,
        "phase": event.phase(),
        "room_open": event.room_is_open(),
        "draft_question": request.GET.get("question", ""),
        "draft_chat": request.GET.get("chat", ""),
        **selectors.room_page(event=event, user=request.user, runner=runner),
    }
    return render(request, ROOM_TEMPLATE, context)


def _room_url(event: EventPage, anchor: str = "") -> str:
    return f"{event.live_url}{anchor}"


@require_POST
def room_ask(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(slug)
    body = request.POST.get("body", "")
    back = _room_url(event, "#ask")
    try:
        question = live_services.question_ask(
            member=_member(request, _("Log in to take part.")),
            event=event,
            body=body,
            anonymous=request.POST.get("anonymous") in ("1", "on"),
        )
    except (PermissionDenied, ValidationError, RateLimited) as exc:
        if not _wants_json(request) and body:
            # Nothing a member wrote is lost: the room's form shows it again.
            back = f"{event.live_url}?{urlencode({'question': body})}#ask"
        return _failed(request, back, exc)
    text = (
        _("Thanks! Your question waits for a moderator's approval.")
        if question.state == EventQuestion.State.PENDING
        else _("Your question is in the queue.")
    )
    return _done(
        request, _room_url(event, f"#question-{question.pk}"), message=text, data={"id": question.pk}
    )


def _question(event: EventPage, pk: int) -> EventQuestion:
    question = selectors.room_question(event_id=event.pk, question_id=pk)
    if question is None:
        raise Http404(_("No such question in this room."))
    return question


@require_POST
def room_vote(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = _event(slug)
    question = _question(event, pk)
    back = _room_url(event, f"#question-{question.pk}")
    if not request.user.is_authenticated:
        return _failed(request, back, PermissionDenied(_("Log in to take part.")))
    try:
        result = live_services.question_vote(
            member=request.user, question=question, on=request.POST.get("on") != "0"
        )
    except (PermissionDenied, ValidationError) as exc:
        return _failed(request, back, exc)
    return _done(request, back, data={"voted": result.voted, "votes": result.votes})


@require_POST
def room_moderate(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    event = _event(slug)
    question = _question(event, pk)
    back = _room_url(event, f"#question-{question.pk}")
    if not can_moderate_event(request.user, event):
        return _failed(request, back, PermissionDenied(_("Only the hosts and moderators run the room.")))
    try:
        question = live_services.question_moderate(
            moderator=_member(request, _("Only the hosts and moderators run the room.")),
            question=question,
            action=action,
        )
    except (PermissionDenied, ValidationError) as exc:
        return _failed(request, back, exc)
    return _done(request, back, data={"state": question.state})


@require_POST
def room_chat(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(slug)
    body = request.POST.get("body", "")
    try:
        message = live_services.chat_send(
            member=_member(request, _("Log in to take part.")), event=event, body=body
        )
    except (PermissionDenied, ValidationError, RateLimited) as exc:
        back = _room_url(event, "#chat")
        if not _wants_json(request) and body:
            back = f"{event.live_url}?{urlencode({'chat': body})}#chat"
        return _failed(request, back, exc)
    return _done(request, _room_url(event, "#chat"), data={"id": message.pk})


@require_POST
def room_chat_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = _event(slug)
    message = selectors.room_chat_message(event_id=event.pk, message_id=pk)
    if message is None:
        raise Http404(_("No such message in this room."))
    back = _room_url(event, "#chat")
    try:
        live_services.chat_delete(
            moderator=_member(request, _("Only the hosts and moderators run the room.")), message=message
        )
    except PermissionDenied as exc:
        return _failed(request, back, exc)
    return _done(request, back, message=_("Message deleted."))


@require_POST
def room_mute(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(slug)
    back = _room_url(event, "#chat")
    member = selectors.room_mute_target(username=request.POST.get("username", ""))
    if member is None:
        return _failed(request, back, ValidationError({"username": _("No member has that username.")}))
    try:
        minutes = int(request.POST.get("minutes", "15"))
    except ValueError:
        return _failed(request, back, ValidationError({"minutes": _("Mute for 1 minute to 24 hours.")}))
    try:
        mute = live_services.member_mute(
            moderator=_member(request, _("Only the hosts and moderators run the room.")),
            event=event,
            member=member,
            minutes=minutes,
            reason=request.POST.get("reason", ""),
        )
    except (PermissionDenied, ValidationError) as exc:
        return _failed(request, back, exc)
    return _done(
        request,
        back,
        message=ngettext(
            "@%(member)s is muted in this room for %(minutes)s minute.",
            "@%(member)s is muted in this room for %(minutes)s minutes.",
            minutes,
        )
        % {"member": member.username, "minutes": minutes},
        data={"until": mute.until.isoformat()},
    )
