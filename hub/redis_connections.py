"""Redis connections for the channel layer whose sends never swallow a cancellation.

redis-py bounds a send with ``asyncio.wait_for``. On Python 3.11, ``wait_for`` returns the
result instead of raising when the task is cancelled in the same turn of the event loop
as the send finishes (fixed in 3.12, where it is built on ``asyncio.timeout``). A
cancelled channel-layer receive then goes on to its blocking pop and loops on it, pop
after pop. Cancelling a pop loop at random points (tests/hub/test_redis_connections.py),
redis-py's own connection lost about one cancel in ten.
Channels cancels a consumer's receive when its socket closes and waits for it, so a lost
cancel left a consumer, or a fan-out reader (hub/realtime.py), running for good; in the
test suite it hung the closing of an event loop.

These classes bound the send with the same ``asyncio.timeout`` redis-py uses for reads
(a cancel from outside always propagates through it), and are otherwise redis-py's own.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio.connection import (
    AbstractConnection,
    Connection,
    SSLConnection,
    UnixDomainSocketConnection,
    async_timeout,
    parse_url,
)
from redis.exceptions import TimeoutError as RedisTimeoutError


class _SendWithCancellableTimeout(AbstractConnection):
    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        timeout = self.socket_timeout
        if not timeout:
            await super().send_packed_command(command, check_health)
            return
        # Without a socket timeout the parent writes directly (no wait_for); this bounds it.
        # One command at a time uses a connection, so nothing else reads the field meanwhile.
        self.socket_timeout = None
        try:
            async with async_timeout(timeout):
                await super().send_packed_command(command, check_health)
        except TimeoutError:
            # Only this block's timer raises the builtin here: the parent turns the
            # connection's own timeouts into redis-py's TimeoutError. It has already
            # disconnected (it does on any BaseException mid-send).
            raise RedisTimeoutError("Timeout writing to socket") from None
        finally:
            self.socket_timeout = timeout


class CancelSafeConnection(_SendWithCancellableTimeout, Connection):
    pass


class CancelSafeSSLConnection(_SendWithCancellableTimeout, SSLConnection):
    pass


class CancelSafeUnixConnection(_SendWithCancellableTimeout, UnixDomainSocketConnection):
    pass


_CANCEL_SAFE: dict[type[AbstractConnection], type[AbstractConnection]] = {
    Connection: CancelSafeConnection,
    SSLConnection: CancelSafeSSLConnection,
    UnixDomainSocketConnection: CancelSafeUnixConnection,
}


def channel_layer_host(url: str, **options: Any) -> dict[str, Any]:
    """A channels_redis ``hosts`` entry for ``url`` (redis://, rediss:// or unix://) using
    the cancel-safe connection of its kind. An ``address`` entry would not do: redis-py's
    ``from_url`` puts back its own class for rediss:// and unix:// URLs."""
    kwargs = parse_url(url)
    kwargs["connection_class"] = _CANCEL_SAFE[kwargs.get("connection_class", Connection)]
    return {**kwargs, **options}
