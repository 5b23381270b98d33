"""The path from a committed row to connected browsers, and the consumer base class.

Apps build their group names (:func:`group_name`) and typed payloads in their own
``realtime.py`` and hand them to :func:`send_event_on_commit` (one version for everyone),
:func:`send_variants_on_commit` (one version per audience, e.g. readers and moderators) or
:func:`send_control_on_commit` (to the sockets themselves, not the browsers). The payload is
encoded once, here, inside the transaction and sent after it commits; a rolled-back row
never reaches a client and no socket re-serialises the same event. Only events about no
stored row (presence counts) are sent at once, from async code (:func:`group_send_event`).

Fan-out (docs/realtime.md): a socket that calls
:meth:`KantaConsumer.fanout_join` is not added to the channel-layer group itself. Its process
keeps one channel per group (a "topic") in a :class:`FanoutRegistry`, joined to the group
once, and one reader task that receives each event once and writes the same encoded frame to
every local socket of the topic, in order. With Redis that is one message per process per
event instead of one per socket, and no per-socket task, queue or JSON work on the hot path.

Relay: the in-memory channel layer (the default setup) cannot cross processes. A process
that serves no sockets (the worker, any management command: :func:`relay_through_database`)
writes each message to the ``RealtimeRelay`` table after commit instead, and every serving
event loop with sockets polls that table and hands the rows to its own layer. With Redis
every process sends straight to the layer and the table stays empty.

Sessions: every signed-in socket also listens to its member's session group
(:func:`member_session_group`) for two control events: ``session.ended`` (logout, password
change: close with 4401) and ``access.changed`` (a tier change: re-check access, close
with 4403 where it is no longer allowed).

:class:`KantaConsumer`: JSON frames with a ``type`` and an allow-list of client frames, error
frames for anything else, refusals with a close code (``CLOSE_UNAUTHENTICATED``,
``CLOSE_FORBIDDEN``), the ``?since=`` parameter of a reconnecting page, and the fan-out and
session handling above.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import weakref
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, TypedDict, Unpack, cast
from urllib.parse import parse_qs

from asgiref.sync import async_to_sync
from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, ASGISendEvent, WebSocketDisconnectEvent
from channels import DEFAULT_CHANNEL_LAYER
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from . import event_types
from .direct_writes import DirectWrite, direct_writer, frame_text

if TYPE_CHECKING:
    # The scope type the channels stubs give a consumer (typing only, not in channels itself).
    from channels.consumer import _ChannelScope

    from .models import RealtimeRelay

logger = logging.getLogger(__name__)

GROUP_NAME_RE = re.compile(r"^[a-zA-Z0-9._-]{1,99}$")

# Close codes, documented in docs/realtime.md. Browsers see them on the close event.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403

# The consumer method that receives every broadcast (channels maps "kanta.event" to it).
EVENT_MESSAGE_TYPE: Final = "kanta.event"


def group_name(*parts: object) -> str:
    """Join parts into a channel-layer group name, refusing anything the layer would reject."""
    name = ".".join(str(part) for part in parts)
    if not GROUP_NAME_RE.match(name):
        raise ValueError(f"invalid group name: {name!r}")
    return name


def encode_event(event: Mapping[str, Any]) -> str:
    if not isinstance(event.get("type"), str):
        raise ValueError("every event needs a string 'type'")
    return json.dumps(event, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


def _encoded(event: Mapping[str, Any], check: Callable[[object], None]) -> str:
    """``event`` as JSON, first checked against its definition when checks are on (tests:
    hub.event_types)."""
    text = encode_event(event)
    if event_types.checking():
        check(json.loads(text))
    return text


# The channel-layer messages that carry events (one type, three shapes). "event" and "id"
# ride beside the encoded text so a socket that is still sending its backlog can drop a live
# copy of a row it has just replayed, without decoding anything.


class LayerEvent(TypedDict):
    """One version of an event for every socket of the group."""

    type: Literal["kanta.event"]
    text: str
    event: str
    id: int | None


class LayerVariants(TypedDict):
    """One version per audience (:func:`send_variants_on_commit`)."""

    type: Literal["kanta.event"]
    variants: dict[str, str]
    event: str
    id: int | None


class LayerControl(TypedDict):
    """A control event for the sockets themselves (:func:`send_control_on_commit`)."""

    type: Literal["kanta.event"]
    control: dict[str, object]


LayerMessage = LayerEvent | LayerVariants | LayerControl
event_types.register_layer(LayerMessage)


def _layer_message(text: str, event: Mapping[str, Any]) -> LayerEvent:
    return {"type": EVENT_MESSAGE_TYPE, "text": text, "event": event["type"], "id": event.get("id")}


# --- The relay: from a process without sockets to the one with them (in-memory layer) ------

# Rows are kept this long; a page that was away longer resumes from its backlog (?since=).
RELAY_KEEP_SECONDS = 60.0
# How often a serving event loop with sockets looks for new rows.
RELAY_POLL_SECONDS = 0.2
# PostgreSQL hands ids out at insert, not at commit: an id skipped over is looked for again
# this long, in case its row commits after a larger one.
RELAY_GAP_SECONDS = 5.0
RELAY_BATCH = 500

_relay_writes = False
_relay_pruned_at = 0.0


def relay_through_database(enabled: bool = True) -> None:
    """Mark this process as serving no sockets: from now on, with a layer that cannot cross
    processes, its events go to the relay table for the web process to deliver. manage.py
    calls it for every command but ``runserver`` (the worker included)."""
    global _relay_writes
    _relay_writes = enabled


def layer_crosses_processes(layer: BaseChannelLayer) -> bool:
    return not isinstance(layer, InMemoryChannelLayer)


def _relay_table() -> type[RealtimeRelay]:
    # Imported on use, not at the top: manage.py imports this module (relay_through_database)
    # before django.setup(), when no model can be imported yet.
    from .models import RealtimeRelay

    return RealtimeRelay


def relay_write(*, group: str, message: Mapping[str, Any]) -> None:
    """Store one channel-layer message for the web process (after commit, in autocommit)."""
    global _relay_pruned_at
    _relay_table().objects.create(group=group, message=json.dumps(message, separators=(",", ":")))
    # A worker running while no server reads the table must not grow it without end.
    if time.monotonic() - _relay_pruned_at > RELAY_KEEP_SECONDS:
        _relay_pruned_at = time.monotonic()
        relay_prune()


def relay_latest_id() -> int:
    return _relay_table().objects.order_by("-pk").values_list("pk", flat=True).first() or 0


RelayRow = tuple[int, str, str]  # id, group, message (JSON)


def relay_read(*, after: int, missing: Collection[int] = (), limit: int = RELAY_BATCH) -> list[RelayRow]:
    """Rows with an id above ``after`` (and those of ``missing``), oldest id first."""
    where = Q(pk__gt=after)
    if missing:
        where |= Q(pk__in=list(missing))
    rows = _relay_table().objects.filter(where).order_by("pk").values_list("pk", "group", "message")
    return list(rows[:limit])


def relay_prune() -> int:
    cutoff = timezone.now() - timedelta(seconds=RELAY_KEEP_SECONDS)
    deleted, _rows = _relay_table().objects.filter(created_at__lt=cutoff).delete()
    return deleted


class RelayCursor:
    """Where a relay has read up to, and the ids it skipped that may still commit."""

    __slots__ = ("last", "missing")

    def __init__(self, last: int):
        self.last = last
        self.missing: dict[int, float] = {}  # id → give up looking at (monotonic seconds)

    def take(self, rows: list[RelayRow], *, now: float) -> list[RelayRow]:
        """The rows not seen before, in the order read; remembers the gaps they leave."""
        fresh = []
        for row in rows:
            pk = row[0]
            if pk <= self.last:
                if self.missing.pop(pk, None) is not None:
                    fresh.append(row)
                continue
            # A long run of missing ids is a rollback or a prune, not rows about to commit.
            for gap in range(max(self.last + 1, pk - RELAY_BATCH), pk):
                self.missing[gap] = now + RELAY_GAP_SECONDS
            self.last = pk
            fresh.append(row)
        for pk, deadline in list(self.missing.items()):
            if deadline <= now:
                del self.missing[pk]
        return fresh


def _publish(group: str, message: LayerMessage) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    if _relay_writes and not layer_crosses_processes(layer):
        relay_write(group=group, message=message)
    else:
        async_to_sync(layer.group_send)(group, cast(dict[str, Any], message))


async def group_send_event(group: str, event: Mapping[str, Any]) -> None:
    """Send from async code, now: for events about no stored row (presence counts)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = _layer_message(_encoded(event, event_types.check_broadcast), event)
    if event_types.checking():
        event_types.check_layer(message)
    if _relay_writes and not layer_crosses_processes(layer):
        await database_sync_to_async(relay_write)(group=group, message=message)
    else:
        await layer.group_send(group, cast(dict[str, Any], message))


def _send_on_commit(group: str, message: LayerMessage) -> None:
    if not GROUP_NAME_RE.match(group):
        raise ValueError(f"invalid group name: {group!r}")
    if event_types.checking():
        event_types.check_layer(message)

    # robust: a channel layer outage is logged, never turned into a failed request after
    # the data is already committed.
    transaction.on_commit(lambda: _publish(group, message), robust=True)


def send_event_on_commit(group: str, event: Mapping[str, Any]) -> None:
    """Broadcast ``event`` to ``group`` once the current transaction commits.

    Encoding happens now so a payload that cannot be serialised fails inside the
    transaction (and rolls it back) instead of after the commit.
    """
    _send_on_commit(group, _layer_message(_encoded(event, event_types.check_broadcast), event))


def send_variants_on_commit(group: str, variants: Mapping[str, Mapping[str, Any] | None]) -> None:
    """Broadcast one event in several versions, one per audience, after commit.

    ``variants`` maps an audience (``"reader"``, ``"moderator"``, or ``"*"`` for everyone
    else) to its event, or to None for "nothing for this audience". Each socket gets the
    version of its own audience (set when it joined), else the ``"*"`` one, else nothing;
    every version is encoded once, here, whatever the number of sockets.
    """
    present = {audience: event for audience, event in variants.items() if event is not None}
    if not present:
        return
    first = next(iter(present.values()))
    message: LayerVariants = {
        "type": EVENT_MESSAGE_TYPE,
        "variants": {
            audience: _encoded(event, event_types.check_broadcast) for audience, event in present.items()
        },
        "event": first["type"],
        "id": first.get("id"),
    }
    _send_on_commit(group, message)


def send_control_on_commit(group: str, event: Mapping[str, Any]) -> None:
    """After commit, hand ``event`` to every socket in ``group`` (its consumer's
    :meth:`KantaConsumer.fanout_control`) instead of to the browsers: "re-check access",
    for instance. Events go through the channel layer, so they must be plain JSON."""
    message: LayerControl = {
        "type": EVENT_MESSAGE_TYPE,
        "control": json.loads(_encoded(event, event_types.check_control)),
    }
    _send_on_commit(group, message)


# --- A member's sessions: logout, password change, tier change ------------------------------


def member_session_group(member_id: int) -> str:
    """Every signed-in socket of a member joins this group (control events only)."""
    return group_name("session", "member", member_id)


def session_digest(session_key: str | None) -> str:
    """Names one session in a control event without putting its key on the channel layer."""
    if not session_key:
        return ""
    return salted_hmac("kanta.realtime.session", session_key).hexdigest()[:32]


class SessionEnded(TypedDict):
    """Close the member's sockets with 4401: those of one session (``session``, a
    :func:`session_digest`), or every one (``session`` None: the password changed)."""

    type: Literal["session.ended"]
    member: int
    session: str | None
    reason: Literal["logout", "password"]


class AccessChanged(TypedDict):
    """Re-check access now: every socket of ``member`` (their tier changed), or, with
    ``member`` None, every socket of the group it is sent to."""

    type: Literal["access.changed"]
    member: int | None


event_types.register_control(SessionEnded, AccessChanged)


def send_session_ended(
    *, member_id: int, reason: Literal["logout", "password"], session_key: str | None = None
) -> None:
    event: SessionEnded = {
        "type": "session.ended",
        "member": member_id,
        "session": session_digest(session_key) if session_key else None,
        "reason": reason,
    }
    send_control_on_commit(member_session_group(member_id), event)


def send_access_changed(*, member_id: int | None = None, group: str | None = None) -> None:
    """After commit, make sockets re-check their access: the member's (``member_id``), or
    every socket of ``group`` (a room's or a category's tier changed)."""
    event: AccessChanged = {"type": "access.changed", "member": member_id}
    if member_id is not None:
        send_control_on_commit(member_session_group(member_id), event)
    if group is not None:
        send_control_on_commit(group, event)


# --- Process-local fan-out ------------------------------------------------------------------

# Channel layers forget a group member after a day (``group_expiry``); topics that stay
# subscribed for longer re-join well before that.
GROUP_REFRESH_SECONDS = 3600.0
# Joins and leaves in flight at once per process: hundreds of sockets closing together (the
# end of a live event) would otherwise take more connections than channels_redis's pool has.
GROUP_CHANGES_AT_ONCE = 16

SendCallable = Callable[[dict[str, Any]], Awaitable[None]]
ControlCallable = Callable[[dict[str, Any]], Awaitable[None]]


class Subscriber:
    """One socket's place in its process's fan-out: where to write, which audience's
    version it gets, and what to call for control events.

    A new subscriber *holds* what arrives until :meth:`go_live`: a socket joins its topics
    before it is accepted and before it reads its backlog, so nothing committed meanwhile
    is lost, and nothing is written to a socket that is not open yet.
    """

    __slots__ = ("__weakref__", "audience", "check", "control", "held", "send", "topics", "write")

    def __init__(
        self,
        send: SendCallable,
        *,
        audience: str = "*",
        control: ControlCallable | None = None,
        write: DirectWrite | None = None,
        check: Callable[[str], None] | None = None,
    ):
        self.send = send
        self.audience = audience
        self.control = control
        # The socket itself, for the fan-out's framed bytes (hub/direct_writes.py), when it
        # is daphne's own; ``check`` (tests) sees each text the fan-out writes that way.
        self.write = write
        self.check = check
        self.held: list[dict[str, Any]] | None = []
        self.topics: set[str] = set()

    @property
    def live(self) -> bool:
        return self.held is None

    async def go_live(self, *, skip: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """Write what was held, in order (leaving out messages ``skip`` accepts, such as
        rows the backlog already sent), then write each new message as it comes."""
        held = self.held
        if held is None:
            return
        index = 0
        # A message may arrive while a held one is being written; the loop picks it up, and
        # nothing can arrive between the last check and going live (no await in between).
        while index < len(held):
            message = held[index]
            index += 1
            if skip is not None and skip(message):
                continue
            if "control" in message:
                _spawn_control(self, message["control"])
                continue
            frame = _frame_for(message, self.audience)
            if frame is not None:
                await self.send(frame)
        self.held = None


def _frame_for(message: dict[str, Any], audience: str) -> dict[str, Any] | None:
    text = message.get("text")
    if text is None:
        variants = message.get("variants") or {}
        text = variants.get(audience, variants.get("*"))
    return None if text is None else {"type": "websocket.send", "text": text}


_control_tasks: set[asyncio.Task[None]] = set()


def _spawn_control(subscriber: Subscriber, event: dict[str, Any]) -> None:
    # Control handlers may read the database; they run beside the fan-out, never inside it.
    if subscriber.control is None:
        return
    task = asyncio.ensure_future(subscriber.control(event))
    _control_tasks.add(task)
    task.add_done_callback(_control_done)


def _control_done(task: asyncio.Task[None]) -> None:
    _control_tasks.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("control event handler failed", exc_info=task.exception())


# Sockets written between two turns of the event loop in one fan-out (see _deliver).
FANOUT_SLICE: Final = 200


class _Topic:
    __slots__ = ("channel", "group", "joined", "reader", "subscribers")

    def __init__(self, group: str, loop: asyncio.AbstractEventLoop):
        self.group = group
        self.channel = ""
        # Insertion-ordered, so sockets are written in the order they joined.
        self.subscribers: dict[Subscriber, None] = {}
        self.joined: asyncio.Future[None] = loop.create_future()
        self.reader: asyncio.Task[None] | None = None


class FanoutRegistry:
    """Topic → this process's sockets, with one channel-layer channel and one reader task
    per topic. One registry per channel layer and event loop (:func:`fanout_registry`)."""

    def __init__(self, layer: BaseChannelLayer, loop: asyncio.AbstractEventLoop):
        self.layer = layer
        self.loop = loop
        self.topics: dict[str, _Topic] = {}
        self._refresher: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._group_changes = asyncio.Semaphore(GROUP_CHANGES_AT_ONCE)
        # With a layer that stays in this process, events from the worker arrive through the
        # relay table: one reader per loop while this loop has sockets.
        self.relays = not layer_crosses_processes(layer)
        self._relay: asyncio.Task[None] | None = None
        self._relay_ready: asyncio.Future[None] | None = None

    async def subscribe(self, group: str, subscriber: Subscriber) -> None:
        """Add a socket to a topic. Returns once this process's channel is in the group,
        so anything sent to the group from then on reaches the socket (held until live)."""
        if not GROUP_NAME_RE.match(group):
            raise ValueError(f"invalid group name: {group!r}")
        topic = self.topics.get(group)
        if topic is not None:
            topic.subscribers[subscriber] = None
            subscriber.topics.add(group)
            await asyncio.shield(topic.joined)
            return
        topic = _Topic(group, self.loop)
        self.topics[group] = topic
        topic.subscribers[subscriber] = None
        subscriber.topics.add(group)
        try:
            # The layer's default prefix: channels_redis receives all of a process's
            # "specific" channels with one blocking pop, and only if they share it.
            topic.channel = await self.layer.new_channel()
            async with self._group_changes:
                await self.layer.group_add(group, topic.channel)
        except BaseException as exc:
            if self.topics.get(group) is topic:
                del self.topics[group]
            for member in topic.subscribers:
                member.topics.discard(group)
            topic.joined.set_exception(exc if isinstance(exc, Exception) else ConnectionError(group))
            topic.joined.exception()  # retrieved: no "never retrieved" warning when alone
            raise
        topic.reader = self.loop.create_task(self._read(topic), name=f"kanta-fanout-{group}")
        if self.relays:
            # Before the socket reads its backlog: a row relayed from then on is not missed.
            await self._relay_started()
        topic.joined.set_result(None)
        if self._refresher is None or self._refresher.done():
            self._refresher = self.loop.create_task(self._refresh(), name="kanta-fanout-refresh")

    async def unsubscribe(self, subscriber: Subscriber) -> None:
        """Remove a socket from all its topics; a topic left without local sockets stops its
        reader at once and leaves its group."""
        leaving = self.unsubscribe_soon(subscriber)
        if leaving:
            await asyncio.wait(leaving)

    def unsubscribe_soon(self, subscriber: Subscriber) -> list[asyncio.Task[None]]:
        """The same without waiting (for code that cannot await, or should not): readers
        are cancelled now; returns the tasks that leave the groups."""
        leaving = []
        for topic in self._forget(subscriber):
            if topic.reader is not None:
                topic.reader.cancel()
            task = self.loop.create_task(self._close(topic))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            leaving.append(task)
        return leaving

    async def close(self) -> None:
        """Leave every topic: a server shutting down, or the end of a test."""
        subscribers = {member for topic in self.topics.values() for member in topic.subscribers}
        for subscriber in subscribers:
            await self.unsubscribe(subscriber)
        if self._refresher is not None:
            self._refresher.cancel()
        self._relay_stop()

    def _forget(self, subscriber: Subscriber) -> list[_Topic]:
        emptied = []
        for group in list(subscriber.topics):
            topic = self.topics.get(group)
            if topic is None:
                continue
            topic.subscribers.pop(subscriber, None)
            if not topic.subscribers:
                del self.topics[group]
                emptied.append(topic)
        subscriber.topics.clear()
        if not self.topics:
            self._relay_stop()
        return emptied

    async def _close(self, topic: _Topic) -> None:
        if topic.reader is not None:
            topic.reader.cancel()
            # wait() (not await): the reader's CancelledError is not ours to raise.
            await asyncio.wait([topic.reader])
        if topic.channel and topic.joined.done() and not topic.joined.exception():
            try:
                async with self._group_changes:
                    await self.layer.group_discard(topic.group, topic.channel)
            except Exception:
                logger.warning("could not leave group %s", topic.group, exc_info=True)

    async def _read(self, topic: _Topic) -> None:
        receive = self.layer.receive
        while True:
            try:
                message = await receive(topic.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("channel layer receive failed for %s", topic.group)
                await asyncio.sleep(1)
                continue
            try:
                await self._deliver(topic, message)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("fan-out to %s failed", topic.group)

    async def _deliver(self, topic: _Topic, message: dict[str, Any]) -> None:
        if "control" in message:
            for subscriber in list(topic.subscribers):
                if subscriber.held is not None:
                    subscriber.held.append(message)
                else:
                    _spawn_control(subscriber, message["control"])
            return
        text = message.get("text")
        if text is not None:
            # One frame object for every socket: daphne and the test communicator only read it.
            frames: dict[str, dict[str, str]] = {"*": {"type": "websocket.send", "text": text}}
        else:
            frames = {
                audience: {"type": "websocket.send", "text": variant}
                for audience, variant in (message.get("variants") or {}).items()
            }
        fallback = frames.get("*")
        # Each variant framed once, for the sockets written directly.
        wire: dict[str, bytes] = {}
        subscribers = topic.subscribers
        for index, subscriber in enumerate(list(subscribers)):
            if index and index % FANOUT_SLICE == 0:
                # Writing a frame never suspends (daphne queues it on the transport), so a
                # room of thousands would hold the event loop for the whole loop: 0.2-0.7 s
                # on a busy box, while every vote and reply of the process waited. Other
                # work gets its turn between slices; this topic's next message still waits
                # for this one, so each socket keeps the order.
                await asyncio.sleep(0)
            if index >= FANOUT_SLICE and subscriber not in subscribers:
                continue  # it left during a pause
            if subscriber.held is not None:
                subscriber.held.append(message)
                continue
            variant_frame = frames.get(subscriber.audience, fallback)
            if variant_frame is None:
                continue
            try:
                if subscriber.write is not None:
                    text = variant_frame["text"]
                    if subscriber.check is not None:
                        subscriber.check(text)
                    framed = wire.get(text)
                    if framed is None:
                        framed = wire[text] = frame_text(text)
                    if subscriber.write(framed):
                        continue
                await subscriber.send(variant_frame)
            except Exception as exc:
                self._write_failed(topic, subscriber, exc)

    def _write_failed(self, topic: _Topic, subscriber: Subscriber, exc: Exception) -> None:
        # A socket that cannot be written is closed (daphne closes a handshake that took too
        # long before the consumer's connect ends; its disconnect comes only after): drop it
        # now, once. Kept, every later event would try again and log a traceback per socket,
        # and under a connect storm those tracebacks were most of a process's CPU (bench 16).
        logger.info("fan-out write failed on %s (%s): socket dropped", topic.group, exc)
        self.unsubscribe_soon(subscriber)

    # --- the relay (in-memory layer only) -------------------------------------------------------

    async def _relay_started(self) -> None:
        if self._relay is None or self._relay.done() or self._relay_ready is None:
            self._relay_ready = self.loop.create_future()
            self._relay = self.loop.create_task(self._relay_loop(self._relay_ready), name="kanta-relay")
        await asyncio.shield(self._relay_ready)

    def _relay_stop(self) -> None:
        if self._relay is not None:
            self._relay.cancel()
            self._relay = None
            self._relay_ready = None

    async def _relay_loop(self, ready: asyncio.Future[None]) -> None:
        """Hand every relay row written from now on to this loop's layer, in id order."""
        # Off the consumers' shared database thread: a poll never waits behind their work.
        latest = database_sync_to_async(relay_latest_id, thread_sensitive=False)
        read = database_sync_to_async(relay_read, thread_sensitive=False)
        prune = database_sync_to_async(relay_prune, thread_sensitive=False)
        cursor: RelayCursor | None = None
        try:
            cursor = RelayCursor(await latest())
        except Exception:
            logger.warning("could not read the realtime relay; retrying", exc_info=True)
        finally:
            if not ready.done():
                ready.set_result(None)
        prune_at = self.loop.time() + RELAY_KEEP_SECONDS
        while True:
            await asyncio.sleep(RELAY_POLL_SECONDS)
            try:
                if cursor is None:
                    cursor = RelayCursor(await latest())
                    continue
                rows = await read(after=cursor.last, missing=tuple(cursor.missing))
                if self.loop.time() >= prune_at:
                    prune_at = self.loop.time() + RELAY_KEEP_SECONDS
                    await prune()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("could not read the realtime relay; retrying", exc_info=True)
                continue
            for _pk, group, text in cursor.take(rows, now=self.loop.time()):
                try:
                    await self.layer.group_send(group, json.loads(text))
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.warning("could not relay a message to %s", group, exc_info=True)

    async def _refresh(self) -> None:
        while self.topics:
            await asyncio.sleep(GROUP_REFRESH_SECONDS)
            for topic in list(self.topics.values()):
                if topic.joined.done() and not topic.joined.exception():
                    try:
                        await self.layer.group_add(topic.group, topic.channel)
                    except Exception:
                        logger.warning("could not refresh group %s", topic.group, exc_info=True)


_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, FanoutRegistry]] = (
    weakref.WeakKeyDictionary()
)


def fanout_registry(alias: str = DEFAULT_CHANNEL_LAYER) -> FanoutRegistry | None:
    """This process's registry for a channel layer (None when there is no layer). Keyed by
    the running event loop as well: a channel layer's connections belong to one loop."""
    layer = get_channel_layer(alias)
    if layer is None:
        return None
    loop = asyncio.get_running_loop()
    per_loop = _registries.setdefault(loop, {})
    registry = per_loop.get(alias)
    if registry is None or registry.layer is not layer:
        registry = per_loop[alias] = FanoutRegistry(layer, loop)
    return registry


# --- Frames every socket may send (each socket lists the ones it uses: hub.event_types) ------


class Pong(TypedDict):
    """The answer to a client's ``ping``."""

    type: Literal["pong"]


class ErrorDetails(TypedDict, total=False):
    # The live room: the client frame's ``request`` tag, echoed as it came.
    request: object
    # ``unknown_type``: the type that was refused (its first 64 characters).
    frame_type: str
    # A vote that could not be counted.
    question_id: int


class ErrorBasics(TypedDict):
    type: Literal["error"]
    code: str
    message: str


class ErrorFrame(ErrorBasics, ErrorDetails):
    """A client frame refused; the socket stays open. ``code`` is stable, ``message``
    translated (docs/realtime.md, "Frames")."""


class AccessRevoked(TypedDict):
    """This socket may no longer read what it is on: the server closes it with 4403 next."""

    type: Literal["access.revoked"]


class KantaConsumer(AsyncWebsocketConsumer):
    """Base for every Kanta socket: JSON frames with a ``type``, an allow-list of client
    frames, error frames for anything else, and refusals that carry a close code.

    Subclasses set ``client_frames`` to ``{"frame.type": "method_name"}``; each method takes
    the decoded frame. Broadcasts reach the socket through the process's fan-out
    (:meth:`fanout_join`, then :meth:`fanout_live` once accepted and caught up), or, for a
    consumer that joins groups itself, pre-encoded through :meth:`kanta_event`.
    """

    client_frames: ClassVar[dict[str, str]] = {}
    # Every frame this socket sends (hub.event_types.register_socket); checked in tests.
    server_frames: ClassVar[event_types.SocketFrames | None] = None
    max_frame_bytes: ClassVar[int] = 16 * 1024
    # Which version of a multi-audience event this socket gets (send_variants_on_commit).
    audience: str = "*"
    _fanout: Subscriber | None = None
    _server_send: ASGISendCallable | None = None
    # The signed-in member whose session group this socket joined, if any.
    session_member_id: int | None = None
    # Set when the member's session ended: every frame after it is refused, even one that
    # arrives before the close reaches the browser.
    session_ended: bool = False

    async def __call__(
        self, scope: _ChannelScope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        # The server's own send, for the fan-out's direct writes (hub/direct_writes.py).
        self._server_send = send
        if event_types.checking():
            send = self._checked_send(send)
        try:
            await super().__call__(scope, receive, send)
        finally:
            # A consumer cancelled by the server (it took too long to close) still leaves
            # its topics; the normal path has already done so in websocket_disconnect.
            if self._fanout is not None and self._fanout.topics:
                registry = _registries.get(asyncio.get_running_loop(), {}).get(self.channel_layer_alias)
                if registry is not None:
                    registry.unsubscribe_soon(self._fanout)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch without its ``aclose_old_connections()`` before every message.

        That call hops into the one thread that every socket of the process shares for
        thread-sensitive work, once per frame received and per group message: at 900 votes/s
        the frames queued there for most of a second. Nothing here touches the database
        outside ``database_sync_to_async``, which closes stale connections itself, in the
        thread that runs the query, before and after each call."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def _check_text(self, text: str) -> None:
        """The check of ``_checked_send`` for a text the fan-out writes to the socket itself."""
        if self.server_frames is None:
            raise event_types.EventMismatch(f"{type(self).__name__} declares no server_frames")
        self.server_frames.check(json.loads(text))

    def _checked_send(self, send: ASGISendCallable) -> ASGISendCallable:
        """``send``, checking each text frame against the socket's ``server_frames`` first:
        whatever path it took (send_frame, a backlog, the fan-out), a browser gets no frame
        its socket does not declare."""
        frames = self.server_frames
        consumer = type(self).__name__

        async def checked(message: ASGISendEvent) -> None:
            text = cast(Mapping[str, Any], message).get("text")
            if message["type"] == "websocket.send" and text is not None:
                if frames is None:
                    raise event_types.EventMismatch(f"{consumer} declares no server_frames")
                frames.check(json.loads(text))
            await send(message)

        return checked

    async def fanout_join(self, *groups: str) -> None:
        """Subscribe this socket to ``groups`` through the process's fan-out. Call before
        accepting and before reading any backlog; events are held until :meth:`fanout_live`."""
        registry = fanout_registry(self.channel_layer_alias)
        if registry is None:
            return
        if self._fanout is None:
            # The fan-out writes plain websocket.send dicts, not asgiref's TypedDict messages.
            send = cast(SendCallable, self.base_send)
            self._fanout = Subscriber(
                send,
                audience=self.audience,
                control=self.control_event,
                write=direct_writer(self._server_send),
                check=self._check_text if event_types.checking() else None,
            )
        session_group = self.session_group()
        if session_group is not None and session_group not in self._fanout.topics:
            groups = (*groups, session_group)
        for group in groups:
            await registry.subscribe(group, self._fanout)

    def session_group(self) -> str | None:
        """The member's session group, for a signed-in socket (joined with its other groups)."""
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return None
        self.session_member_id = user.pk
        return member_session_group(user.pk)

    async def fanout_live(self, *, skip: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """Write the events held since :meth:`fanout_join` (except those ``skip`` accepts:
        its argument carries ``event`` (the type) and ``id``), then stream."""
        if self._fanout is not None:
            self._fanout.audience = self.audience
            await self._fanout.go_live(skip=skip)

    async def fanout_leave(self) -> None:
        if self._fanout is None or not self._fanout.topics:
            return
        registry = fanout_registry(self.channel_layer_alias)
        if registry is not None:
            await registry.unsubscribe(self._fanout)

    async def control_event(self, event: dict[str, Any]) -> None:
        """Every control event for this socket: the session's own first, then the
        subclass's (:meth:`fanout_control`)."""
        kind = event.get("type")
        if kind == "session.ended":
            await self._session_ended(event)
        elif kind == "access.changed":
            target = event.get("member")
            if not self.session_ended and (target is None or target == self.session_member_id):
                await self.recheck_access()
        else:
            await self.fanout_control(event)

    async def _session_ended(self, event: dict[str, Any]) -> None:
        if self.session_member_id is None or event.get("member") != self.session_member_id:
            return
        ended = event.get("session")
        if ended is not None:
            session = self.scope.get("session")
            if session_digest(getattr(session, "session_key", None)) != ended:
                return  # another browser's session: this one is still signed in
        self.session_ended = True
        await self.close(code=CLOSE_UNAUTHENTICATED)
        await self.fanout_leave()

    async def recheck_access(self) -> None:
        """``access.changed``: check this socket's access again and close it if it is gone.
        Default: nothing to check (the member's own socket)."""

    async def fanout_control(self, event: dict[str, Any]) -> None:
        """A control event (send_control_on_commit) for this socket. Default: ignore."""

    async def websocket_disconnect(self, message: WebSocketDisconnectEvent) -> None:
        # Stop this socket's deliveries first, then the subclass's disconnect, then wait for
        # the topics it emptied to leave their groups.
        leaving: list[asyncio.Task[None]] = []
        if self._fanout is not None and self._fanout.topics:
            registry = fanout_registry(self.channel_layer_alias)
            if registry is not None:
                leaving = registry.unsubscribe_soon(self._fanout)
        try:
            await super().websocket_disconnect(message)
        finally:
            if leaving:
                await asyncio.wait(leaving)

    async def refuse(self, code: int) -> None:
        # Accept first: a socket closed during the handshake reaches the browser as 1006
        # with no code, and the page could not tell the member why.
        await self.fanout_leave()
        await self.accept()
        await self.close(code=code)

    def query_param(self, name: str) -> str | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        values = query.get(name)
        return values[0] if values else None

    def since_param(self) -> int | None:
        raw = self.query_param("since")
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            return None
        return value if value >= 0 else None

    async def send_frame(self, frame: Mapping[str, Any]) -> None:
        await self.send(text_data=encode_event(frame))

    async def send_error(self, code: str, message: str, **details: Unpack[ErrorDetails]) -> None:
        frame: ErrorFrame = {"type": "error", "code": code, "message": message, **details}
        await self.send_frame(frame)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session_ended:
            return  # signed out: not a frame more as this member (the close is on its way)
        if text_data is None:
            await self.send_error("bad_frame", _("Frames must be JSON text."))
            return
        if len(text_data.encode("utf-8")) > self.max_frame_bytes:
            await self.send_error("too_large", _("The frame is too large."))
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self.send_error("bad_json", _("The frame is not valid JSON."))
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.send_error("bad_frame", _('A frame must be a JSON object with a "type".'))
            return
        method_name = self.client_frames.get(frame["type"])
        if method_name is None:
            await self.send_error(
                "unknown_type",
                _("Unknown frame type."),
                frame_type=frame["type"][:64],
            )
            return
        await getattr(self, method_name)(frame)

    async def kanta_event(self, message: dict[str, Any]) -> None:
        """A broadcast to a group this consumer joined itself (channel_layer.group_add)."""
        if "control" in message:
            await self.control_event(message["control"])
            return
        text = message.get("text")
        if text is None:
            variants = message.get("variants") or {}
            text = variants.get(self.audience, variants.get("*"))
        if text is not None:
            await self.send(text_data=text)
