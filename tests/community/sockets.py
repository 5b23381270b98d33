"""What the socket tests share: a member's session cookie for the handshake, and leaving the
process's fan-out topics while the test's event loop still runs."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers
from django.conf import settings
from django.test import Client

from hub.realtime import fanout_registry

ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture(autouse=True)
async def leave_topics():
    # Sockets a test leaves open (those the server closed) stop reading while the test's
    # event loop still runs, not while it is torn down. Import it into a test module to use.
    yield
    registry = fanout_registry()
    if registry is not None:
        await registry.close()
    # Each test runs in an event loop of its own, and channels_redis binds its receive lock to
    # the loop of the receives in flight: a consumer the server closed can leave one pending
    # when the loop ends, and the next test's receives would then fail on the old loop's lock.
    # A fresh layer per test, as each process has one per event loop in production.
    channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)


@sync_to_async
def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()
