"""The client's address behind trusted reverse proxies, for HTTP and WebSockets alike.

Every per-address rule (login and sign-up limits, the referral IP hash) reads
``REMOTE_ADDR``, which Django takes from the ASGI scope's ``client``. Behind a proxy that is
the proxy's address, and the real one is in ``X-Forwarded-For``. That header is a list each
proxy *appends* to (nginx's ``$proxy_add_x_forwarded_for``), so everything left of what our
own proxies wrote is whatever the client chose to send: only the entry
``KANTA_TRUSTED_PROXY_COUNT`` places from the right was written by a proxy we run. daphne's
``--proxy-headers`` takes the leftmost entry instead, so it must not be used.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings

Scope = dict[str, Any]


def forwarded_client(header_values: list[str], *, trusted_proxies: int) -> str | None:
    """The address our outermost trusted proxy saw, or None when the header cannot be
    trusted: no proxies are trusted, it has fewer entries than our proxies write, or the
    entry is not an IP address."""
    if trusted_proxies <= 0:
        return None
    # Several X-Forwarded-For lines mean the same as one comma-joined line (RFC 9110 5.3).
    entries = [entry.strip() for value in header_values for entry in value.split(",")]
    if len(entries) < trusted_proxies:
        return None
    candidate = entries[-trusted_proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class ClientAddressMiddleware:
    """ASGI middleware: replace ``scope["client"]`` with the address from
    ``X-Forwarded-For`` that the trusted proxies vouch for (see the module docstring).

    With ``KANTA_TRUSTED_PROXY_COUNT = 0`` (the default) the socket peer is kept and the
    header ignored, which is right when daphne faces the clients directly."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope["type"] in {"http", "websocket"}:
            trusted = int(getattr(settings, "KANTA_TRUSTED_PROXY_COUNT", 0))
            values = [
                value.decode("latin-1")
                for name, value in scope.get("headers", [])
                if name.lower() == b"x-forwarded-for"
            ]
            address = forwarded_client(values, trusted_proxies=trusted) if values else None
            if address is not None:
                # The client's port is not forwarded; the socket's is the proxy's.
                scope = {**scope, "client": [address, 0]}
        return await self.inner(scope, receive, send)
