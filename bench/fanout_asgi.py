"""Kanta's ASGI application as bench/fanout.py serves it: unchanged, plus two things.

- ``/ws/bench/group-send/threads/<id>/`` is the forum's thread socket with the process
  fan-out switched off: each socket joins the channel-layer group itself and receives every
  event through its own channel, the plain Channels way.
- When ``KANTA_BENCH_COMMITS`` names a file, the instant each ``post.created`` transaction
  commits is appended to it (``<post id> <time.monotonic()>``): an on-commit callback
  registered just before the one that sends the event. CLOCK_MONOTONIC is one clock for
  every process on the machine, so the bench compares it with its readers' receipt times.
- When ``KANTA_BENCH_PROFILE`` names a path, the server runs under cProfile and writes its
  profile to ``<path>.<pid>`` when it exits (``python -m pstats``), to see where a socket
  write's time goes.

Served only by the bench, never by Kanta.
"""

import atexit
import cProfile
import os
import time

if os.environ.get("KANTA_BENCH_PROFILE"):
    _profiler = cProfile.Profile()
    _profiler.enable()
    atexit.register(lambda: _profiler.dump_stats(f"{os.environ['KANTA_BENCH_PROFILE']}.{os.getpid()}"))

# isort: off
from hub.asgi import django_asgi_app  # sets Django up: the imports below load models

# isort: on
from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.db import transaction
from django.urls import path

from community.forum.consumers import ThreadConsumer
from hub import realtime
from hub.routing import websocket_urlpatterns

COMMITS = os.environ.get("KANTA_BENCH_COMMITS", "")


def _record_commit(post_id: object) -> None:
    with open(COMMITS, "a") as log:
        log.write(f"{post_id} {time.monotonic()!r}\n")


def _timed_send_on_commit(group: str, message: dict, _send=realtime._send_on_commit) -> None:
    if message.get("event") == "post.created":
        post_id = message.get("id")
        transaction.on_commit(lambda: _record_commit(post_id), robust=True)
    _send(group, message)


if COMMITS:
    realtime._send_on_commit = _timed_send_on_commit


class GroupSendThreadConsumer(ThreadConsumer):
    use_fanout = False


GROUP_SEND_ROUTE = path("ws/bench/group-send/threads/<int:thread_id>/", GroupSendThreadConsumer.as_asgi())

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([GROUP_SEND_ROUTE, *websocket_urlpatterns]))
        ),
    }
)
