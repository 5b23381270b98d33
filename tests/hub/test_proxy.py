"""The client address behind trusted proxies (hub/proxy.py), through the real
``hub.asgi.application``: a forged X-Forwarded-For entry never becomes the address that
rate limits and referral checks use."""

from __future__ import annotations

import io

import pytest
from allauth.account.adapter import get_adapter
from allauth.core.internal import ratelimit
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from channels.testing import WebsocketCommunicator
from django.core.handlers.asgi import ASGIRequest

from hub.asgi import application
from hub.proxy import ClientAddressMiddleware, forwarded_client
from membership.devices import client_ip_hash, ip_hash
from membership.models import ReferralVisit
from membership.services.referrals import referral_link_get_or_create
from tests.factories import make_member

NGINX = "127.0.0.1"
REAL = "203.0.113.7"
FORGED = "198.51.100.66"


@pytest.mark.parametrize(
    ("values", "trusted", "expected"),
    [
        ([f"{FORGED}, {REAL}"], 1, REAL),  # nginx appended the real peer to the client's header
        ([f"{FORGED}, {REAL}, 10.0.0.2"], 2, REAL),  # a CDN, then nginx
        ([FORGED, REAL], 1, REAL),  # two header lines are one list
        ([f"{FORGED}, {REAL}"], 0, None),  # no proxy trusted: the header is ignored
        ([REAL], 2, None),  # fewer entries than our proxies write: not ours
        ([f"{FORGED}, not-an-address"], 1, None),
        ([" 2001:db8::1 "], 1, "2001:db8::1"),
    ],
)
def test_forwarded_client_takes_the_entry_our_proxies_wrote(values, trusted, expected):
    assert forwarded_client(values, trusted_proxies=trusted) == expected


async def http_get(app, path: str, *, headers: list[tuple[bytes, bytes]], client: list | None) -> dict:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": client,
        "server": ["testserver", 80],
    }
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(5)
    await communicator.receive_output(5)
    await communicator.wait(5)
    return start


class Recorder:
    """An inner ASGI app that keeps the Django request it would have seen."""

    def __init__(self) -> None:
        self.request: ASGIRequest | None = None
        self.scope: dict | None = None

    async def __call__(self, scope, receive, send):
        self.scope = scope
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept"})
            return
        await receive()
        self.request = ASGIRequest(scope, io.BytesIO(b""))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.mark.django_db
async def test_rate_limits_and_referral_hashing_see_the_real_address(settings):
    settings.KANTA_TRUSTED_PROXY_COUNT = 1
    recorder = Recorder()
    await http_get(
        ClientAddressMiddleware(recorder),
        "/accounts/login/",
        headers=[(b"x-forwarded-for", f"{FORGED}, {REAL}".encode())],
        client=[NGINX, 50000],
    )
    request = recorder.request
    assert request.META["REMOTE_ADDR"] == REAL
    assert await sync_to_async(get_adapter().get_client_ip)(request) == REAL
    login_rate = ratelimit.get_rates(app="allauth.account", action="login")[0]
    cache_key = ratelimit.get_cache_key(request, app="allauth.account", action="login", rate=login_rate)
    assert cache_key.endswith(f":ip:{REAL}")
    assert client_ip_hash(request) == ip_hash(REAL)


@pytest.mark.django_db(transaction=True)
async def test_referral_visit_through_the_application_hashes_the_real_address(settings):
    settings.KANTA_TRUSTED_PROXY_COUNT = 1
    member = await sync_to_async(make_member)("aino")
    link = await sync_to_async(referral_link_get_or_create)(member=member)
    start = await http_get(
        application,
        f"/r/{link.code}/",
        headers=[(b"x-forwarded-for", f"{FORGED}, {REAL}".encode())],
        client=[NGINX, 50000],
    )
    assert start["status"] == 302
    visit = await sync_to_async(ReferralVisit.objects.get)(link=link)
    assert visit.ip_hash == ip_hash(REAL)


@pytest.mark.django_db
async def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.KANTA_TRUSTED_PROXY_COUNT = 0
    recorder = Recorder()
    await http_get(
        ClientAddressMiddleware(recorder),
        "/",
        headers=[(b"x-forwarded-for", f"{FORGED}, {REAL}".encode())],
        client=[NGINX, 50000],
    )
    assert recorder.request.META["REMOTE_ADDR"] == NGINX
    assert client_ip_hash(recorder.request) == ip_hash(NGINX)


@pytest.mark.django_db
async def test_a_short_header_keeps_the_socket_peer(settings):
    settings.KANTA_TRUSTED_PROXY_COUNT = 2
    recorder = Recorder()
    await http_get(
        ClientAddressMiddleware(recorder),
        "/",
        headers=[(b"x-forwarded-for", REAL.encode())],
        client=[NGINX, 1],
    )
    assert recorder.request.META["REMOTE_ADDR"] == NGINX


@pytest.mark.parametrize(("trusted", "expected"), [(1, REAL), (0, None)])
async def test_websockets_get_the_same_address(settings, monkeypatch, trusted, expected):
    settings.KANTA_TRUSTED_PROXY_COUNT = trusted
    recorder = Recorder()
    # The real application, with its socket routes swapped for the recorder.
    monkeypatch.setitem(application.inner.application_mapping, "websocket", recorder)
    communicator = WebsocketCommunicator(
        application, "/ws/me/", headers=[(b"x-forwarded-for", f"{FORGED}, {REAL}".encode())]
    )
    connected, _ = await communicator.connect()
    assert connected
    client = recorder.scope.get("client")
    assert (client[0] if client else None) == expected
    await communicator.disconnect()
