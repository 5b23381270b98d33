"""The fan-out's direct writes to daphne's sockets (hub/direct_writes.py), on a real Twisted
TCP connection over a socket pair: framing, order behind what Twisted has queued, the
kernel taking part of a frame, and every case that must fall back to daphne's ``send``.
They also pin the Twisted and autobahn attributes the writer reads: an upgrade that renames
one fails here, not silently in production."""

from __future__ import annotations

import functools
import socket
import struct
from collections import deque

import pytest

# daphne's server module installs Twisted's asyncio reactor: it must come before anything
# that imports a reactor, as the browser tests' daphne needs that one.
import daphne.server  # noqa: F401  isort: skip
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet.tcp import Connection

from hub.direct_writes import direct_writer, frame_text


class _ManualReactor:
    """The connection's reactor: the tests call ``doWrite`` themselves. Never the process's
    real one, which the browser tests' daphne may be running in another thread of this
    session: it would write the same buffer from there."""

    def addWriter(self, writer) -> None:
        pass

    def removeWriter(self, writer) -> None:
        pass

    def addReader(self, reader) -> None:
        pass

    def removeReader(self, reader) -> None:
        pass


class _Server:
    """Stands in for daphne's Server: the writer only needs ``partial(handle_reply, protocol)``."""

    def handle_reply(self, protocol, message):  # pragma: no cover  (never called here)
        raise AssertionError("the direct path must not go through handle_reply")


def read_frame(data: bytes) -> tuple[str, bytes]:
    """(text, rest) of the first unmasked text frame in ``data``."""
    assert data[0] == 0x81  # FIN, text
    length, offset = data[1] & 0x7F, 2
    if length == 126:
        length, offset = struct.unpack("!H", data[2:4])[0], 4
    elif length == 127:
        length, offset = struct.unpack("!Q", data[2:10])[0], 10
    return data[offset : offset + length].decode(), data[offset + length :]


def receive_all(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk
        data += chunk
    return data


@pytest.fixture
def wired():
    """An open daphne WebSocketProtocol on a Twisted TCP connection; the peer socket reads."""
    ours, peer = socket.socketpair()
    protocol = WebSocketProtocol()
    protocol.state = WebSocketProtocol.STATE_OPEN
    protocol._perMessageCompress = None
    protocol.send_queue = deque()
    transport = Connection(ours, protocol, _ManualReactor())
    transport.connected = 1
    protocol.transport = transport
    peer.settimeout(5)
    yield protocol, transport, peer
    transport.stopWriting()
    ours.close()
    peer.close()


def writer_for(protocol):
    write = direct_writer(functools.partial(_Server().handle_reply, protocol))
    assert write is not None
    return write


@pytest.mark.parametrize("size", [5, 125, 126, 3_832, 70_000])
def test_a_text_is_framed_once_as_a_server_frames_it(size):
    text = ("Hyvää talvea " * (size // 13 + 1))[:size]
    framed = frame_text(text)
    assert read_frame(framed) == (text, b"")


def test_an_idle_socket_is_written_at_once(wired):
    protocol, transport, peer = wired
    framed = frame_text('{"type": "post.created", "id": 7}')
    assert writer_for(protocol)(framed) is True
    assert receive_all(peer, len(framed)) == framed
    assert not transport._tempDataBuffer  # nothing left for the event loop


def test_a_frame_goes_behind_what_twisted_has_queued(wired):
    protocol, transport, peer = wired
    transport.write(b"queued first")  # daphne's own send, not flushed yet
    framed = frame_text("then the fan-out's frame")
    assert writer_for(protocol)(framed) is True
    transport.doWrite()
    assert receive_all(peer, len(b"queued first") + len(framed)) == b"queued first" + framed


def test_what_the_kernel_does_not_take_is_queued_in_order(wired):
    protocol, transport, peer = wired
    ours = transport.socket
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    filler = b""
    while True:  # fill the kernel's buffer: the next send takes part of a frame, or none
        try:
            filler += b"x" * ours.send(b"x" * 1024)
        except BlockingIOError:
            break
    framed = frame_text("y" * 100_000)
    assert writer_for(protocol)(framed) is True
    assert transport._tempDataBuffer  # the rest waits for the event loop
    received = b""
    while len(received) < len(filler) + len(framed):
        transport.doWrite()
        received += peer.recv(1 << 20)
    assert received == filler + framed


@pytest.mark.parametrize(
    "change",
    [
        lambda protocol, transport: setattr(protocol, "state", WebSocketProtocol.STATE_CLOSING),
        lambda protocol, transport: setattr(protocol, "_perMessageCompress", object()),
        lambda protocol, transport: protocol.send_queue.append((b"x", True)),
        lambda protocol, transport: setattr(transport, "disconnecting", 1),
        lambda protocol, transport: setattr(transport, "connected", 0),
    ],
    ids=["closing", "compressed", "autobahn-queue", "disconnecting", "disconnected"],
)
def test_anything_but_an_open_plain_socket_is_left_to_daphne(wired, change):
    protocol, transport, peer = wired
    write = writer_for(protocol)
    change(protocol, transport)
    assert write(frame_text("not here")) is False
    assert not transport._tempDataBuffer
    peer.setblocking(False)
    with pytest.raises(BlockingIOError):
        peer.recv(10)


def test_only_daphnes_own_send_gets_a_writer(wired):
    protocol, _, _ = wired

    async def send(message):  # the test communicator, or a middleware's wrapper
        return None

    assert direct_writer(send) is None
    assert direct_writer(functools.partial(_Server().handle_reply, object())) is None
    assert direct_writer(functools.partial(print, protocol)) is None
    protocol.transport = object()  # TLS: autobahn over TLSMemoryBIOProtocol
    assert direct_writer(functools.partial(_Server().handle_reply, protocol)) is None


def test_the_session_middlewares_wrapper_is_seen_through(wired):
    """AuthMiddlewareStack wraps daphne's send to save the session on HTTP responses; a
    websocket.send passes through it untouched, so the writer is daphne's own."""
    from channels.sessions import InstanceSessionWrapper

    protocol, _, peer = wired
    daphne_send = functools.partial(_Server().handle_reply, protocol)
    wrapped = InstanceSessionWrapper({"type": "websocket", "cookies": {}}, daphne_send).send
    write = direct_writer(wrapped)
    assert write is not None
    framed = frame_text("through the wrapper")
    assert write(framed) is True
    assert receive_all(peer, len(framed)) == framed


@pytest.mark.parametrize("missing", ["transport", "protocol"])
def test_a_socket_not_as_expected_keeps_the_asgi_path(wired, missing):
    """Should an upgrade of Twisted or autobahn rename what the writer reads, the socket gets
    no writer (and daphne's send), rather than a writer that fails and drops it."""
    protocol, transport, _ = wired
    if missing == "transport":
        del transport._tempDataBuffer
    else:
        del protocol.send_queue
    assert direct_writer(functools.partial(_Server().handle_reply, protocol)) is None
