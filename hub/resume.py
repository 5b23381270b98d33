"""The resume sequence every socket with a backlog follows (docs/realtime.md: "At most once,
then resume", and each endpoint's section on resuming).

A page reconnects with ``?since=<the newest id it has>``. The socket then, in this order:

1. joins its groups (through the process's fan-out): from here on every broadcast reaches it,
   held until step 5, instead of slipping between the backlog and the live stream;
2. reads in one go, in a database thread, whether it may open and what it missed
   (:class:`SocketOpening`: a refusal code, or the backlog and the ``session.ready`` frame);
3. refuses with the close code, or accepts;
4. sends the backlog, oldest first, then ``session.ready``;
5. goes live, dropping the held live copies of events the backlog already brought
   (:meth:`SocketOpening.already_sent`): each event reaches the page once.

Used by the forum's thread socket, the live room and ``/ws/me/``; the browser side is
hub/static/hub/live_socket.js.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async

from hub.realtime import KantaConsumer


@dataclass
class SocketOpening:
    """What a resuming socket reads after joining its groups: a refusal code, or the
    audience it belongs to, the encoded frames it missed and its ``session.ready`` frame."""

    refusal: int = 0
    # Which version of a multi-audience event the socket gets (send_variants_on_commit).
    audience: str = "*"
    backlog: list[str] = field(default_factory=list)
    ready: Mapping[str, Any] = field(default_factory=dict)
    # Live events with an ``id`` up to this are in the backlog already (None: none are)...
    covered: int | None = None
    # ...those of these event types only (None: of every type).
    covered_events: Collection[str] | None = None

    def already_sent(self, message: dict[str, Any]) -> bool:
        """Whether a held live event (its ``event`` type and ``id``) came in the backlog."""
        row = message.get("id")
        if self.covered is None or not isinstance(row, int) or row > self.covered:
            return False
        return self.covered_events is None or message.get("event") in self.covered_events


class ResumingConsumer(KantaConsumer):
    """A socket that opens with :meth:`open_resumed`. :meth:`join` and :meth:`go_live` are
    the fan-out's; a consumer that joins its groups another way overrides both."""

    async def join(self, groups: list[str]) -> None:
        await self.fanout_join(*groups)

    async def go_live(self, skip: Callable[[dict[str, Any]], bool] | None = None) -> None:
        await self.fanout_live(skip=skip)

    async def open_resumed(
        self, groups: list[str], read: Callable[[], SocketOpening]
    ) -> SocketOpening | None:
        """Steps 1 to 5 above; ``read`` runs in a database thread. Returns the opening, or
        None when the socket was refused."""
        await self.join(groups)
        opening = await database_sync_to_async(read)()
        if opening.refusal:
            await self.refuse(opening.refusal)
            return None
        self.audience = opening.audience
        await self.accept()
        for text in opening.backlog:
            await self.send(text_data=text)
        await self.send_frame(opening.ready)
        await self.go_live(opening.already_sent if opening.covered is not None else None)
        return opening
