"""Who is on a forum thread or in a live room right now: one mechanism for both.

Each open socket has one row, because the database is the one place every server process
sees. A feature declares:

- its rows: a concrete subclass of :class:`PresenceRow` with a foreign key to what is
  attended, named by ``topic`` (``ForumPresence.thread``, ``RoomPresence.event``), and how
  long an unrefreshed row lasts (:meth:`PresenceRow.stale_seconds`);
- its board: a subclass of :class:`PresenceBoard` saying how often its process broadcasts
  and refreshes, and what it broadcasts when who is there changes.

Counting: signed-in members once however many tabs they have, plus each anonymous socket
(:func:`presence_counts`, with any further counts a feature needs in the same query).

Per process and event loop, a board (:func:`presence_board`) keeps its sockets' rows fresh
with one UPDATE per heartbeat (not one per socket), forgets rows that stopped beating (a
process that died), and coalesces changes: however many sockets join, leave or change on a
topic within the board's interval, it broadcasts once.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar, cast

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import models
from django.db.models import Aggregate, Count, Q
from django.utils import timezone

logger = logging.getLogger(__name__)


class PresenceRow(models.Model):
    """One open socket on a topic, refreshed by its process's heartbeat and forgotten when
    stale. Subclasses add the foreign key named by ``topic``."""

    # The foreign key to what is attended ("thread", "event").
    topic: ClassVar[str]

    channel_name = models.CharField(max_length=120, unique=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    @classmethod
    def stale_seconds(cls) -> float:
        """Rows not refreshed for this long are gone (their process stopped)."""
        raise NotImplementedError


# --- rows (synchronous: boards and consumers call these through database_sync_to_async) -------


def presence_enter(
    model: type[PresenceRow],
    *,
    topic_id: int,
    channel_name: str,
    member_id: int | None,
    now: datetime | None = None,
) -> None:
    """Note one socket on the topic (again, with a fresh row, for a channel seen before).

    One upsert: a crowd connecting at once (a shared thread, an event starting) writes one
    statement per socket, where update_or_create's locked read, write and transaction were
    four, all of them queued behind each other on SQLite."""
    topic_field = cast("models.ForeignKey[Any, Any]", model._meta.get_field(model.topic))
    model._default_manager.bulk_create(
        [
            model(
                channel_name=channel_name,
                member_id=member_id,
                seen_at=now or timezone.now(),
                **{topic_field.attname: topic_id},
            )
        ],
        update_conflicts=True,
        unique_fields=["channel_name"],
        update_fields=[topic_field.name, "member", "seen_at"],
    )


def presence_leave(model: type[PresenceRow], *, channel_name: str) -> None:
    model._default_manager.filter(channel_name=channel_name).delete()


def presence_counts(
    model: type[PresenceRow], *, topic_id: int, now: datetime | None = None, **extra: Aggregate
) -> dict[str, int]:
    """``present``: signed-in members once however many tabs they have, plus each anonymous
    socket, among the topic's fresh rows; and each of ``extra`` over the same rows, in the
    same query."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=model.stale_seconds())
    counts = model._default_manager.filter(**{f"{model.topic}_id": topic_id}, seen_at__gte=cutoff).aggregate(
        anonymous=Count("id", filter=Q(member__isnull=True)),
        members=Count("member", distinct=True),
        **extra,
    )
    present = counts.pop("anonymous") + counts.pop("members")
    return {"present": present, **counts}


def presence_heartbeat(
    model: type[PresenceRow], *, channel_names: list[str], now: datetime | None = None
) -> list[int]:
    """Refresh these (one process's) rows and drop stale ones; returns the topics that lost
    rows, so their counts go out again."""
    now = now or timezone.now()
    for start in range(0, len(channel_names), 500):
        model._default_manager.filter(channel_name__in=channel_names[start : start + 500]).update(seen_at=now)
    stale = model._default_manager.filter(seen_at__lt=now - timedelta(seconds=model.stale_seconds()))
    topics = sorted(set(stale.values_list(f"{model.topic}_id", flat=True)))
    if topics:
        stale.delete()
    return topics


# --- the per-process board ---------------------------------------------------------------------


class PresenceBoard:
    """This process's sockets on one kind of topic, the pending broadcasts, and the
    heartbeat. One per event loop and subclass (:func:`presence_board`).

    A subclass sets ``model`` and ``name`` and says :meth:`interval`, :meth:`heartbeat_seconds`
    and what to :meth:`broadcast`; :meth:`beaten` runs after each heartbeat's refresh."""

    model: ClassVar[type[PresenceRow]]
    # In the heartbeat task's name and the logs.
    name: ClassVar[str]

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.local: dict[str, tuple[int, int | None]] = {}  # channel name → (topic id, member id)
        self.pending: dict[int, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.heartbeat: asyncio.Task[None] | None = None

    # --- what a subclass says ---------------------------------------------------------------

    def interval(self) -> float:
        """Changes on one topic within this many seconds make one broadcast."""
        raise NotImplementedError

    def heartbeat_seconds(self) -> float:
        """This process refreshes its sockets' rows this often."""
        raise NotImplementedError

    async def broadcast(self, topic_id: int) -> None:
        """Tell the topic's sockets who is there now."""
        raise NotImplementedError

    async def beaten(self, members: dict[int, list[int]]) -> None:
        """After each refresh, with the members that have a socket here, per topic."""

    # --- sockets ------------------------------------------------------------------------------

    def joined(self, channel_name: str, topic_id: int, member_id: int | None = None) -> None:
        self.local[channel_name] = (topic_id, member_id)
        self.changed(topic_id)
        if self.heartbeat is None or self.heartbeat.done():
            self.heartbeat = self.loop.create_task(self._beat(), name=f"kanta-{self.name}-presence")

    def left(self, channel_name: str) -> None:
        entry = self.local.pop(channel_name, None)
        if entry is not None:
            self.changed(entry[0])

    def changed(self, topic_id: int, *, delay: float | None = None) -> None:
        """Broadcast this topic's counts soon, once, however often this is called."""
        if topic_id in self.pending:
            return
        wait = self.interval() if delay is None else delay
        self.pending[topic_id] = self.loop.call_later(wait, self._due, topic_id)

    def spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        """Run ``coroutine`` as a task the board keeps until it ends."""
        task = self.loop.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def _due(self, topic_id: int) -> None:
        self.pending.pop(topic_id, None)
        self.spawn(self._broadcast(topic_id))

    async def _broadcast(self, topic_id: int) -> None:
        try:
            await self.broadcast(topic_id)
        except Exception:
            logger.warning("%s presence broadcast failed for %s", self.name, topic_id, exc_info=True)

    async def _beat(self) -> None:
        while self.local:
            await asyncio.sleep(self.heartbeat_seconds())
            members: dict[int, set[int]] = defaultdict(set)
            for topic_id, member_id in self.local.values():
                if member_id is not None:
                    members[topic_id].add(member_id)
            try:
                emptied = await database_sync_to_async(presence_heartbeat)(
                    self.model, channel_names=list(self.local)
                )
                await self.beaten({topic: sorted(ids) for topic, ids in members.items()})
            except Exception:
                logger.warning("%s heartbeat failed", self.name, exc_info=True)
                continue
            for topic_id in emptied:
                self.changed(topic_id)


Board = TypeVar("Board", bound=PresenceBoard)

_boards: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[type[PresenceBoard], PresenceBoard]] = (
    weakref.WeakKeyDictionary()
)


def presence_board(kind: type[Board]) -> Board:
    """This event loop's board of ``kind`` (created on first use)."""
    loop = asyncio.get_running_loop()
    per_loop = _boards.setdefault(loop, {})
    board = per_loop.get(kind)
    if board is None:
        board = per_loop[kind] = kind(loop)
    return cast(Board, board)
