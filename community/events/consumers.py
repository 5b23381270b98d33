"""The live room's socket, ``/ws/events/<slug>/`` (docs/realtime.md, "Live rooms").

Thin on purpose: access, backlog and presence are in community.events.room (presence rows and
the board: community.presence), lookups in community.events.selectors, the connect is
hub.resume's sequence, and every write is a service in community.events.services.live, called
with a fresh user so access is checked again on each frame that writes. Broadcasts reach the
socket through the process's fan-out (hub.realtime), in the attendee's or the runner's
version.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from community.events.models import RoomPresence
from community.events.realtime import ROOM_SOCKET, VoteOk, room_group, room_member_group
from community.events.room import room_board, room_socket_open, room_socket_recheck, room_user_by_id
from community.events.selectors import (
    room_chat_message,
    room_event,
    room_event_by_id,
    room_mute_target,
    room_question,
)
from community.events.services import live as live_services
from community.presence import presence_leave
from community.sockets import CLOSE_NOT_FOUND
from hub.rate_limits import RateLimited
from hub.realtime import CLOSE_FORBIDDEN, AccessRevoked, Pong
from hub.resume import ResumingConsumer

MODERATOR_ACTIONS = {
    "question.approve": "approve",
    "question.dismiss": "dismiss",
    "question.answered": "answered",
    "question.highlight": "highlight",
    "question.unhighlight": "unhighlight",
    "question.reopen": "reopen",
}


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(message for messages in exc.message_dict.values() for message in messages)
    return " ".join(exc.messages)


# Run in asgiref's sync thread: the room's id on connect, and each frame's service call with a
# fresh user and event.


def socket_language(scope: dict[str, Any]) -> str:
    """The language the room's page is in for this socket: the member's saved language,
    else the language cookie, else the browser's Accept-Language (as LocaleMiddleware and
    membership.middleware decide it for pages). Runs in the sync thread: it reads the user."""
    user = scope.get("user")
    if user is not None and user.is_authenticated:
        saved = getattr(user, "language", "") or ""
        if saved in {code for code, _name in settings.LANGUAGES}:
            return saved
    request = HttpRequest()
    request.COOKIES = dict(scope.get("cookies") or {})
    for name, value in scope.get("headers") or []:
        if name == b"accept-language":
            request.META["HTTP_ACCEPT_LANGUAGE"] = value.decode("latin-1")
    return translation.get_language_from_request(request)


def _room_event_id(slug: str) -> int | None:
    event = room_event(slug=slug)
    return event.pk if event is not None else None


def _ask(member_id: int, event_id: int, body: str, anonymous: bool) -> dict[str, Any]:
    user, event = room_user_by_id(member_id), room_event_by_id(event_id)
    if user is None or event is None:
        raise PermissionDenied(_("Log in to take part."))
    question = live_services.question_ask(member=user, event=event, body=body, anonymous=anonymous)
    return {"id": question.pk, "state": question.state}


def _moderate(member_id: int, question_id: int, event_id: int, action: str) -> dict[str, Any]:
    user = room_user_by_id(member_id)
    question = room_question(event_id=event_id, question_id=question_id)
    if user is None:
        raise PermissionDenied(_("Log in to take part."))
    if question is None:
        raise ValidationError({"question_id": _("No such question in this room.")}, code="not_found")
    question = live_services.question_moderate(moderator=user, question=question, action=action)
    return {"id": question.pk, "state": question.state}


def _chat(member_id: int, event_id: int, body: str) -> dict[str, Any]:
    user, event = room_user_by_id(member_id), room_event_by_id(event_id)
    if user is None or event is None:
        raise PermissionDenied(_("Log in to take part."))
    message = live_services.chat_send(member=user, event=event, body=body)
    return {"id": message.pk}


def _chat_delete(member_id: int, event_id: int, message_id: int) -> dict[str, Any]:
    user = room_user_by_id(member_id)
    message = room_chat_message(event_id=event_id, message_id=message_id)
    if user is None:
        raise PermissionDenied(_("Log in to take part."))
    if message is None:
        raise ValidationError({"message_id": _("No such message in this room.")}, code="not_found")
    live_services.chat_delete(moderator=user, message=message)
    return {"id": message.pk}


def _mute(member_id: int, event_id: int, username: str, minutes: int, reason: str) -> dict[str, Any]:
    user, event = room_user_by_id(member_id), room_event_by_id(event_id)
    target = room_mute_target(username=username)
    if user is None or event is None:
        raise PermissionDenied(_("Log in to take part."))
    if target is None:
        raise ValidationError({"username": _("No member has that username.")}, code="not_found")
    mute = live_services.member_mute(
        moderator=user, event=event, member=target, minutes=minutes, reason=reason
    )
    return {"username": target.username, "until": mute.until.isoformat()}


class RoomConsumer(ResumingConsumer):
    server_frames = ROOM_SOCKET
    client_frames = {
        "ping": "handle_ping",
        "question.ask": "handle_ask",
        "question.vote": "handle_vote",
        "question.unvote": "handle_vote",
        "chat.message": "handle_chat",
        "chat.delete": "handle_chat_delete",
        "member.mute": "handle_mute",
        **dict.fromkeys(MODERATOR_ACTIONS, "handle_moderate"),
    }
    event_id: int = 0
    member_id: int | None = None
    present: bool = False
    language: str = settings.LANGUAGE_CODE

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.language = await database_sync_to_async(socket_language)(dict(self.scope))
        self.member_id = user.pk if user is not None and user.is_authenticated else None
        event_id = await database_sync_to_async(_room_event_id)(self.scope["url_route"]["kwargs"]["slug"])
        if event_id is None:
            await self.refuse(CLOSE_NOT_FOUND)
            return
        self.event_id = event_id
        groups = [room_group(event_id)]
        if self.member_id is not None:
            groups.append(room_member_group(event_id, self.member_id))
        read = partial(
            room_socket_open,
            user,
            event_id=event_id,
            since=self.since_param(),
            channel_name=self.channel_name,
        )
        if await self.open_resumed(groups, read) is None:
            return
        self.present = True
        room_board().joined(self.channel_name, self.event_id, self.member_id)

    async def disconnect(self, code: int) -> None:
        if self.present:
            self.present = False
            await database_sync_to_async(presence_leave)(RoomPresence, channel_name=self.channel_name)
            room_board().left(self.channel_name)

    # --- frames ------------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Every answer to a frame (errors included, from the services too) in the language
        # of the member's page, not the server's default.
        with translation.override(self.language):
            await super().receive(text_data, bytes_data)

    async def handle_ping(self, frame: dict[str, Any]) -> None:
        pong: Pong = {"type": "pong"}
        await self.send_frame(pong)

    def _int(self, frame: dict[str, Any], name: str) -> int | None:
        value = frame.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None

    async def _signed_in(self, frame: dict[str, Any]) -> bool:
        if self.member_id is None:
            await self.send_error("unauthenticated", _("Log in to take part."), request=frame.get("request"))
            return False
        return True

    async def _call(self, frame: dict[str, Any], function, *args) -> None:
        """Run one write and answer ``<type>.ok`` (with the frame's ``request`` tag, so a
        client can match answers to what it sent) or an error frame."""
        request = frame.get("request")
        try:
            result = await database_sync_to_async(function)(*args)
        except PermissionDenied as exc:
            await self.send_error("forbidden", str(exc) or _("You may not do that."), request=request)
        except RateLimited as exc:
            await self.send_error("rate_limited", str(exc), request=request)
        except ValidationError as exc:
            await self.send_error("invalid", _validation_message(exc), request=request)
        else:
            await self.send_frame({"type": f"{frame['type']}.ok", "request": request, **result})

    async def handle_ask(self, frame: dict[str, Any]) -> None:
        if not await self._signed_in(frame):
            return
        body, anonymous = frame.get("body"), frame.get("anonymous", False)
        if not isinstance(body, str) or not isinstance(anonymous, bool):
            await self.send_error(
                "invalid",
                _('"body" must be text and "anonymous" true or false.'),
                request=frame.get("request"),
            )
            return
        await self._call(frame, _ask, self.member_id, self.event_id, body, anonymous)

    async def _question_id(self, frame: dict[str, Any]) -> int | None:
        """The frame's question, for a signed-in member; None (and an error frame) if not."""
        if not await self._signed_in(frame):
            return None
        question_id = self._int(frame, "question_id")
        if question_id is None:
            await self.send_error(
                "invalid", _('"question_id" must be a question\'s id.'), request=frame.get("request")
            )
        return question_id

    async def handle_vote(self, frame: dict[str, Any]) -> None:
        question_id = await self._question_id(frame)
        member_id = self.member_id
        if question_id is None or member_id is None:  # _question_id answered with an error
            return
        on = frame["type"] == "question.vote"
        try:
            result = await room_board().vote(
                event_id=self.event_id, member_id=member_id, question_id=question_id, on=on
            )
        except Exception:
            # The batch could not be written (the database is away): this vote is not
            # counted, the member is told, and the socket stays open.
            await self.send_error(
                "unavailable",
                _("Your vote could not be saved just now. Please try again."),
                request=frame.get("request"),
                question_id=question_id,
            )
            return
        if not result.ok:
            # The batch's message is lazy: it becomes text here, in this member's language.
            await self.send_error(
                result.code, str(result.message), request=frame.get("request"), question_id=question_id
            )
            return
        ok: VoteOk = {
            "type": "question.vote.ok" if on else "question.unvote.ok",
            "request": frame.get("request"),
            "question_id": question_id,
            "voted": result.voted,
            "votes": result.votes,
            "at": result.at,
        }
        await self.send_frame(ok)

    async def handle_moderate(self, frame: dict[str, Any]) -> None:
        question_id = await self._question_id(frame)
        if question_id is None:
            return
        await self._call(
            frame, _moderate, self.member_id, question_id, self.event_id, MODERATOR_ACTIONS[frame["type"]]
        )

    async def handle_chat(self, frame: dict[str, Any]) -> None:
        if not await self._signed_in(frame):
            return
        body = frame.get("body")
        if not isinstance(body, str):
            await self.send_error("invalid", _('"body" must be text.'), request=frame.get("request"))
            return
        await self._call(frame, _chat, self.member_id, self.event_id, body)

    async def handle_chat_delete(self, frame: dict[str, Any]) -> None:
        if not await self._signed_in(frame):
            return
        message_id = self._int(frame, "message_id")
        if message_id is None:
            await self.send_error(
                "invalid", _('"message_id" must be a message\'s id.'), request=frame.get("request")
            )
            return
        await self._call(frame, _chat_delete, self.member_id, self.event_id, message_id)

    async def handle_mute(self, frame: dict[str, Any]) -> None:
        if not await self._signed_in(frame):
            return
        username, minutes, reason = frame.get("username"), frame.get("minutes", 15), frame.get("reason", "")
        if (
            not isinstance(username, str)
            or self._int({"m": minutes}, "m") is None
            or not isinstance(reason, str)
        ):
            await self.send_error(
                "invalid",
                _('"username" must be text, "minutes" a whole number and "reason" text.'),
                request=frame.get("request"),
            )
            return
        await self._call(frame, _mute, self.member_id, self.event_id, username, minutes, reason)

    # --- control events: access changed ----------------------------------------------------------

    async def recheck_access(self) -> None:
        """A tier change (``access.changed``) or a restriction: may this socket stay?"""
        refusal = await database_sync_to_async(room_socket_recheck)(
            member_id=self.member_id, event_id=self.event_id
        )
        if refusal:
            revoked: AccessRevoked = {"type": "access.revoked"}
            await self.send_frame(revoked)
            await self.close(code=refusal or CLOSE_FORBIDDEN)
            await self.fanout_leave()
