"""``/healthz``: can this process reach its database and its channel layer, and has a
background worker been seen lately?

The HTTP status (200 or 503) says only whether *this* process can serve: its database and its
channel layer. A worker that stopped does not make the web processes unable to serve, so it
is reported in the body (``"worker": {"ok": false, ...}``) without changing the status, and a
load balancer keeps routing to them.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from asgiref.sync import sync_to_async
from channels.layers import BaseChannelLayer, get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.db import close_old_connections, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hub.task_queue import worker_status

# A load balancer's own check usually gives up after 2-5 s; answering 503 before that tells it
# more than its timeout would.
CHANNEL_LAYER_TIMEOUT = 2.0


def _check_database_and_worker() -> tuple[dict, dict]:
    try:
        started = time.perf_counter()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as exc:  # any driver error means "not healthy", reported not raised
            return {"ok": False, "error": exc.__class__.__name__}, {"ok": False, "error": "no database"}
        database = {
            "ok": True,
            "vendor": connection.vendor,
            "ms": round((time.perf_counter() - started) * 1000, 2),
        }
        try:
            worker = worker_status()
        except Exception as exc:  # reported, like the database's own errors
            worker = {"ok": False, "error": exc.__class__.__name__}
        return database, worker
    finally:
        # This runs in a pool thread of its own: give its connection back on the same terms
        # as a request's (CONN_MAX_AGE).
        close_old_connections()


async def _ping_redis(layer: RedisChannelLayer) -> None:
    """PING every shard through the layer's own connection pool for this event loop.

    Not a send and receive: channels_redis reads all of a process's specific channels with one
    blocking pop behind one lock, so a receive here would wait (up to 5 s) behind every open
    socket's reader, and a process with users would look down."""
    await asyncio.gather(*(layer.connection(index).ping() for index in range(layer.ring_size)))


async def _round_trip(layer: BaseChannelLayer) -> None:
    token = uuid.uuid4().hex
    # The in-memory layer's new_channel takes a prefix; BaseChannelLayer's abstract one does not.
    channel = await layer.new_channel("healthz.")  # type: ignore[call-arg]
    await layer.send(channel, {"type": "healthz.ping", "token": token})
    message = await layer.receive(channel)
    if message.get("token") != token:
        raise ValueError("the channel layer returned another message")


async def _check_channel_layer() -> dict:
    layer = get_channel_layer()
    if layer is None:
        return {"ok": False, "error": "no channel layer configured"}
    backend = layer.__class__.__name__
    started = time.perf_counter()
    probe = _ping_redis(layer) if isinstance(layer, RedisChannelLayer) else _round_trip(layer)
    try:
        await asyncio.wait_for(probe, timeout=CHANNEL_LAYER_TIMEOUT)
    except TimeoutError:
        return {"ok": False, "backend": backend, "error": "timeout"}
    except Exception as exc:  # a down Redis is a 503, not a 500
        return {"ok": False, "backend": backend, "error": exc.__class__.__name__}
    return {"ok": True, "backend": backend, "ms": round((time.perf_counter() - started) * 1000, 2)}


@never_cache
@require_GET
async def healthz(request: HttpRequest) -> JsonResponse:
    # Not in the thread that the sockets' database work shares (thread_sensitive): the check
    # must not queue behind them either.
    (database, worker), channel_layer = await asyncio.gather(
        sync_to_async(_check_database_and_worker, thread_sensitive=False)(), _check_channel_layer()
    )
    ok = database["ok"] and channel_layer["ok"]
    return JsonResponse(
        {
            "status": "ok" if ok else "unavailable",
            "database": database,
            "channel_layer": channel_layer,
            "worker": worker,
        },
        status=200 if ok else 503,
    )
