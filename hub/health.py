"""``/healthz``: can this process reach its database and its channel layer?"""

from __future__ import annotations

import asyncio
import time
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not healthy", reported not raised
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor, "ms": round((time.perf_counter() - started) * 1000, 2)}


async def _check_channel_layer() -> dict:
    layer = get_channel_layer()
    if layer is None:
        return {"ok": False, "error": "no channel layer configured"}
    started = time.perf_counter()
    token = uuid.uuid4().hex
    try:
        channel = await layer.new_channel("healthz.")
        await layer.send(channel, {"type": "healthz.ping", "token": token})
        message = await layer.receive(channel)
    except Exception as exc:  # a down Redis is a 503, not a 500
        return {"ok": False, "backend": layer.__class__.__name__, "error": exc.__class__.__name__}
    return {
        "ok": message.get("token") == token,
        "backend": layer.__class__.__name__,
        "ms": round((time.perf_counter() - started) * 1000, 2),
    }


@never_cache
@require_GET
async def healthz(request: HttpRequest) -> JsonResponse:
    database = await sync_to_async(_check_database)()
    try:
        channel_layer = await asyncio.wait_for(_check_channel_layer(), timeout=3)
    except TimeoutError:
        channel_layer = {"ok": False, "error": "timeout"}
    ok = database["ok"] and channel_layer["ok"]
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "database": database, "channel_layer": channel_layer},
        status=200 if ok else 503,
    )
