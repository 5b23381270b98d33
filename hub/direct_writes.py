"""The fan-out's writes straight to daphne's sockets: one framed message, many sockets.

The ASGI way to write a frame is ``await send({"type": "websocket.send", "text": …})``:
daphne hops from asyncio into Twisted (``Server.handle_reply``), autobahn frames the text
again for every socket, and Twisted's transport buffers the bytes, registers the socket with
the event loop for writing and sends them on the loop's next turn, then unregisters it. For
one reply to 2,500 readers of a process that came to about 0.2 ms a socket, five times what
the `websockets` library spends on the same broadcast (docs/PERFORMANCE.md, "Live readers per
box"): writing a frame to a socket with nothing queued on it is one ``send()`` call.

So when a socket is daphne's own plain TCP WebSocket (the ``send`` Channels was given is
daphne's ``partial(Server.handle_reply, protocol)``, under the session middleware's wrapper,
which does nothing to a websocket.send), :func:`direct_writer` gives the
fan-out a function that writes the already framed bytes with ``socket.send()`` when
nothing is queued on it, and hands them to Twisted's transport (behind what is queued, in
order) when something is or the kernel took only part. Anything else (TLS terminated by
daphne, compression negotiated, a socket that is closing, another server, the test
communicator) gets no writer, or a ``False`` from it, and the fan-out uses ``send`` as
before; so does an error, which the normal path meets and reports.

The frames are framed once per message (:func:`frame_text`) with autobahn's own
``PreparedMessage``, as autobahn's ``sendPreparedMessage`` broadcasts. The Twisted and
autobahn attributes read here are checked against the pinned versions by
tests/hub/test_direct_writes.py.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

DirectWrite = Callable[[bytes], bool]
_TRANSPORT_STATE = (
    "socket",
    "connected",
    "disconnecting",
    "_writeDisconnected",
    "_tempDataBuffer",
    "dataBuffer",
    "offset",
)
_PROTOCOL_STATE = ("state", "_perMessageCompress", "send_queue")


def frame_text(text: str) -> bytes:
    """``text`` as one unmasked WebSocket text frame, as a server writes it."""
    from autobahn.websocket.protocol import PreparedMessage

    return PreparedMessage(text.encode("utf-8"), False, False, True).payloadHybi


def _unwrapped(send: Any) -> Any:
    """Daphne's send under Channels' session middleware (AuthMiddlewareStack), which saves
    the session on the message types it names (HTTP responses) and passes every other
    message, a websocket.send among them, straight through."""
    from channels.sessions import InstanceSessionWrapper

    wrapper = getattr(send, "__self__", None)
    while isinstance(wrapper, InstanceSessionWrapper) and "websocket.send" not in wrapper.save_message_types:
        send = wrapper.real_send
        wrapper = getattr(send, "__self__", None)
    return send


def direct_writer(send: Any) -> DirectWrite | None:
    """A function writing framed bytes to the socket behind daphne's ``send``, or None.

    It returns False (and writes nothing) when the socket is not open or not plain, so that
    the caller writes through ``send``."""
    send = _unwrapped(send)
    if not isinstance(send, functools.partial) or len(send.args) != 1:
        return None
    try:
        from daphne.ws_protocol import WebSocketProtocol
        from twisted.internet.tcp import Connection
    except ImportError:  # pragma: no cover  (daphne is a dependency)
        return None
    protocol = send.args[0]
    if not isinstance(protocol, WebSocketProtocol) or getattr(send.func, "__name__", "") != "handle_reply":
        return None
    transport = protocol.transport
    if not isinstance(transport, Connection):
        return None  # TLS or another transport: their own write path
    # What write() reads of Twisted's and autobahn's state: should an upgrade rename any of
    # it, the sockets keep the ASGI path instead of failing (and being dropped) on each write.
    if not all(hasattr(transport, name) for name in _TRANSPORT_STATE) or not all(
        hasattr(protocol, name) for name in _PROTOCOL_STATE
    ):
        logger.warning("daphne's socket is not as expected: the fan-out writes through send()")
        return None
    sock = transport.socket
    open_state = WebSocketProtocol.STATE_OPEN

    def write(frame: bytes) -> bool:
        if (
            protocol.state != open_state
            or protocol._perMessageCompress is not None
            or protocol.send_queue
            or not transport.connected
            or transport.disconnecting
            or transport._writeDisconnected
        ):
            return False
        if transport._tempDataBuffer or len(transport.dataBuffer) > transport.offset:
            transport.write(frame)  # behind what is queued: the socket keeps the order
            return True
        try:
            sent = sock.send(frame)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            return False  # a reset or a broken pipe: the normal path meets it and closes
        if sent < len(frame):
            transport.write(frame[sent:])
        return True

    return write
