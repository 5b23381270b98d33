"""The one path from a committed row to connected browsers, and the consumer base class.

Apps build their group names and typed payloads in their own ``realtime.py`` and hand them
to :func:`send_event_on_commit`. The payload is encoded once, here, after the transaction
commits; consumers forward the encoded text untouched, so a rolled-back row never reaches a
client and no socket re-serialises the same event.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qs

from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

GROUP_NAME_RE = re.compile(r"^[a-zA-Z0-9._-]{1,99}$")

# Close codes, documented in docs/realtime.md. Browsers see them on the close event.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403

# The consumer method that receives every broadcast (channels maps "kanta.event" to it).
EVENT_MESSAGE_TYPE = "kanta.event"


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


def send_event_now(group: str, event: Mapping[str, Any]) -> None:
    """Send immediately. Only for callers that are already outside any transaction."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, {"type": EVENT_MESSAGE_TYPE, "text": encode_event(event)})


def send_event_on_commit(group: str, event: Mapping[str, Any]) -> None:
    """Broadcast ``event`` to ``group`` once the current transaction commits.

    Encoding happens now so a payload that cannot be serialised fails inside the
    transaction (and rolls it back) instead of after the commit.
    """
    if not GROUP_NAME_RE.match(group):
        raise ValueError(f"invalid group name: {group!r}")
    text = encode_event(event)

    def _send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, {"type": EVENT_MESSAGE_TYPE, "text": text})

    # robust: a channel layer outage is logged, never turned into a failed request after
    # the data is already committed.
    transaction.on_commit(_send, robust=True)


Handler = Callable[[dict[str, Any]], Awaitable[None]]


class KantaConsumer(AsyncWebsocketConsumer):
    """Base for every Kanta socket: JSON frames with a ``type``, an allow-list of client
    frames, error frames for anything else, and refusals that carry a close code.

    Subclasses set ``client_frames`` to ``{"frame.type": "method_name"}``; each method takes
    the decoded frame. Broadcasts arrive pre-encoded through :meth:`kanta_event`.
    """

    client_frames: ClassVar[dict[str, str]] = {}
    max_frame_bytes: ClassVar[int] = 16 * 1024

    async def refuse(self, code: int) -> None:
        # Accept first: a socket closed during the handshake reaches the browser as 1006
        # with no code, and the page could not tell the member why.
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

    async def send_error(self, code: str, message: str, **extra: Any) -> None:
        await self.send_frame({"type": "error", "code": code, "message": message, **extra})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
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
        await self.send(text_data=message["text"])
