"""The channel layer's Redis connections (hub/redis_connections.py): a cancelled command
always ends, a stalled send still times out, and every kind of URL gets its cancel-safe
class. Against a real Redis: ``REDIS_URL``'s, the local one, or a private server."""

from __future__ import annotations

import asyncio
import random
import socket
import sys
import threading

import pytest
import redis.asyncio as aioredis
from redis.asyncio.connection import Connection
from redis.exceptions import TimeoutError as RedisTimeoutError

from hub.redis_connections import (
    CancelSafeConnection,
    CancelSafeSSLConnection,
    CancelSafeUnixConnection,
    channel_layer_host,
)
from tests.redis_server import redis_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.services

CANCELS = 300


async def cancels_lost(pool: aioredis.ConnectionPool, *, until_first: bool = False) -> int:
    """Start a channels_redis-like reader (blocking pops in a loop) and cancel it at a random
    point of its first commands, CANCELS times; count the readers still running after (a
    cancelled one ends within milliseconds)."""
    client = aioredis.Redis(connection_pool=pool)

    async def reader() -> None:
        while True:
            await client.bzpopmin("kanta-test-cancel", timeout=1)

    lost = 0
    chance = random.Random(7)
    for _ in range(CANCELS):
        task = asyncio.ensure_future(reader())
        for _ in range(chance.randint(0, 6)):
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=0.5)
        if done and not task.cancelled():
            task.result()  # the reader failed instead: raise what it raised
        if not done:
            lost += 1
            task.cancel()  # a second cancel lands in the pop's read, which honours it
            await asyncio.wait([task], timeout=5)
            if until_first:
                break
    await pool.aclose()
    return lost


async def test_a_cancelled_command_always_ends(redis_url):  # noqa: F811
    pool = aioredis.ConnectionPool(**channel_layer_host(redis_url, socket_timeout=15))
    assert pool.connection_class is CancelSafeConnection
    client = aioredis.Redis(connection_pool=pool)
    await client.zadd("kanta-test-cancel", {"message": 1})
    assert await client.bzpopmin("kanta-test-cancel", timeout=1) == (b"kanta-test-cancel", b"message", 1.0)
    assert await cancels_lost(pool) == 0


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="asyncio.wait_for keeps a cancel from 3.12 on")
async def test_redis_pys_own_connection_loses_cancels_on_python_3_11(redis_url):  # noqa: F811
    # Why hub/redis_connections.py exists. If this fails, redis-py no longer bounds its
    # sends with wait_for and the module can go.
    pool = aioredis.ConnectionPool.from_url(redis_url, socket_timeout=15)
    assert pool.connection_class is Connection
    assert await cancels_lost(pool, until_first=True) > 0


@pytest.fixture
def deaf_server():
    """A TCP server that accepts and never reads: a big send fills the buffers and stalls."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()
    for conn in accepted:
        conn.close()


async def test_a_stalled_send_times_out_and_drops_the_connection(deaf_server):
    connection = CancelSafeConnection(host="127.0.0.1", port=deaf_server, socket_timeout=0.5)
    connection._connect_callbacks = []
    await connection._connect()  # the server speaks no RESP: skip the handshake
    with pytest.raises(RedisTimeoutError, match="Timeout writing to socket"):
        await asyncio.wait_for(connection.send_packed_command(b"x" * 64_000_000, check_health=False), 10)
    assert connection.socket_timeout == 0.5
    assert not connection.is_connected


def test_every_kind_of_url_gets_its_cancel_safe_class():
    plain = channel_layer_host("redis://:secret@cache.internal:6380/2", socket_timeout=15)
    assert plain["connection_class"] is CancelSafeConnection
    assert (plain["host"], plain["port"], plain["db"]) == ("cache.internal", 6380, 2)
    assert plain["password"] == "secret"
    assert plain["socket_timeout"] == 15
    assert channel_layer_host("rediss://cache.internal:6380/0")["connection_class"] is CancelSafeSSLConnection
    unix = channel_layer_host("unix:///run/redis.sock?db=3")
    assert unix["connection_class"] is CancelSafeUnixConnection
    assert (unix["path"], unix["db"]) == ("/run/redis.sock", 3)
