"""The browser side of referrals: the device cookie, the hashed IP and the signed
attribution cookie a referral link leaves for the sign-up.

Only what is needed to refuse self-referral is kept: a random device id (no fingerprinting of
the browser itself) and the IP as a keyed hash, so the address cannot be read back from the
database without the secret key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

DEVICE_COOKIE = "kanta_device"
DEVICE_MAX_AGE = timedelta(days=730)
ATTRIBUTION_COOKIE = "kanta_ref"
ATTRIBUTION_MAX_AGE = timedelta(days=30)
_ATTRIBUTION_SALT = "membership.referral"
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# Request attributes DeviceCookieMiddleware reads on the way out.
_NEW_DEVICE_ID_ATTR = "_kanta_new_device_id"
_CLEAR_ATTRIBUTION_ATTR = "_kanta_clear_attribution"


def ip_hash(ip: str) -> str:
    """HMAC-SHA256 of the address under SECRET_KEY ("" for no address)."""
    if not ip:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()


def client_ip_hash(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a forwarded header is the client's to invent unless a trusted proxy
    # rewrites it, and a proxy deployment sets REMOTE_ADDR through its own middleware.
    return ip_hash(request.META.get("REMOTE_ADDR", ""))


def device_id(request: HttpRequest) -> str:
    """The browser's device id, or "" when it has none (or sent garbage)."""
    value = request.COOKIES.get(DEVICE_COOKIE, "")
    return value if _DEVICE_ID.match(value) else ""


def device_id_ensure(request: HttpRequest) -> str:
    """The browser's device id, minting one when it has none; DeviceCookieMiddleware then
    sets the cookie on whatever response this request ends with."""
    existing: str = device_id(request) or getattr(request, _NEW_DEVICE_ID_ATTR, "")
    if existing:
        return existing
    minted = secrets.token_urlsafe(24)
    setattr(request, _NEW_DEVICE_ID_ATTR, minted)
    return minted


def attribution_read(request: HttpRequest) -> tuple[str, int] | None:
    """(code, visit id) from a valid attribution cookie younger than 30 days, else None."""
    try:
        value = request.get_signed_cookie(
            ATTRIBUTION_COOKIE, salt=_ATTRIBUTION_SALT, max_age=ATTRIBUTION_MAX_AGE
        )
    except (KeyError, signing.BadSignature):
        return None
    if not value:
        return None
    code, _sep, visit = value.partition(":")
    if not code or not visit.isdigit():
        return None
    return code, int(visit)


def attribution_set(response: HttpResponse, *, code: str, visit_id: int) -> None:
    response.set_signed_cookie(
        ATTRIBUTION_COOKIE,
        f"{code}:{visit_id}",
        salt=_ATTRIBUTION_SALT,
        max_age=ATTRIBUTION_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def attribution_clear_later(request: HttpRequest) -> None:
    """Drop the attribution cookie on this request's response (it has been used)."""
    setattr(request, _CLEAR_ATTRIBUTION_ATTR, True)


def _set_device_cookie(response: HttpResponse, value: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


class DeviceCookieMiddleware:
    """Writes the cookies that signal receivers (sign-in, sign-up) cannot: they see the
    request but never the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        new_id = getattr(request, _NEW_DEVICE_ID_ATTR, "")
        if new_id and DEVICE_COOKIE not in response.cookies:
            _set_device_cookie(response, new_id)
        if getattr(request, _CLEAR_ATTRIBUTION_ATTR, False):
            response.delete_cookie(ATTRIBUTION_COOKIE, samesite="Lax")
        return response
