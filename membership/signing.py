"""The shop's signature on ``/api/v1/`` calls (docs/api.md), without the database.

``X-Kanta-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` where the HMAC, keyed with
``KANTA_WEBHOOK_SECRET``, covers ``"<t>.<METHOD>.<path>.<raw body>"``: the path as sent,
query string included (``/api/v1/coupons/POLKU-ABCD-EFGH/?x=1``), and the body byte for
byte (empty for a GET). Binding method, path and time means a captured signature works for
that one call only, and only for ``SIGNATURE_TOLERANCE`` either side of ``t``; the service in
``membership.services.signatures`` refuses a second use within that window.

Several ``v1=`` values may be sent (one per secret while the shop rotates it); one match is
enough. Keys other than ``t`` and ``v1`` are ignored, so a later scheme can be added beside.

The retired scheme (``sha256=<hex>`` of the body, or of the path when there is no body) is
read only while ``KANTA_API_LEGACY_SIGNATURES`` is on, for the shop's migration period.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from django.conf import settings
from django.utils.translation import gettext as _

SIGNATURE_HEADER = "X-Kanta-Signature"
SIGNATURE_TOLERANCE = timedelta(minutes=5)
LEGACY_PREFIX = "sha256="
# Rotation needs two; more than a handful is someone probing, not a shop.
MAX_SIGNATURES = 5

Reason = Literal["missing", "malformed", "expired", "bad_signature", "replayed"]

_HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")


class SignatureRefused(Exception):
    """The call is not signed, or not for this request, now, or for the first time."""

    def __init__(self, reason: Reason, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class ParsedSignature:
    timestamp: int
    digests: tuple[str, ...]


def _secret_bytes(secret: str | None) -> bytes:
    return (settings.KANTA_WEBHOOK_SECRET if secret is None else secret).encode()


def signed_message(*, timestamp: int, method: str, path: str, body: bytes) -> bytes:
    """What ``v1`` is the HMAC of: ``<t>.<METHOD>.<path>.<body>``."""
    return f"{timestamp}.{method.upper()}.{path}.".encode() + body


def signature_header(
    *,
    method: str,
    path: str,
    body: bytes = b"",
    timestamp: int | None = None,
    secret: str | None = None,
) -> str:
    """The header value the shop sends (tests, the demo and docs/api.md use it too)."""
    t = int(time.time()) if timestamp is None else timestamp
    message = signed_message(timestamp=t, method=method, path=path, body=body)
    return f"t={t},v1={hmac.new(_secret_bytes(secret), message, hashlib.sha256).hexdigest()}"


def legacy_signature(message: bytes, secret: str | None = None) -> str:
    """The retired ``sha256=`` header value: of the body, or of the path without one."""
    return LEGACY_PREFIX + hmac.new(_secret_bytes(secret), message, hashlib.sha256).hexdigest()


def signature_parse(value: str | None) -> ParsedSignature:
    if not value or not value.strip():
        raise SignatureRefused("missing", _("Send the %(header)s header.") % {"header": SIGNATURE_HEADER})
    timestamps: list[str] = []
    digests: list[str] = []
    for item in value.split(","):
        key, sep, part = item.strip().partition("=")
        if not sep:
            timestamps, digests = [], []
            break
        if key == "t":
            timestamps.append(part)
        elif key == "v1":
            digests.append(part)
    if (
        len(timestamps) != 1
        or not _TIMESTAMP.match(timestamps[0])
        or not digests
        or len(digests) > MAX_SIGNATURES
        or not all(_HEX_DIGEST.match(digest) for digest in digests)
    ):
        raise SignatureRefused(
            "malformed",
            _("Send %(header)s as t=<unix seconds>,v1=<hex HMAC-SHA256>.") % {"header": SIGNATURE_HEADER},
        )
    return ParsedSignature(int(timestamps[0]), tuple(digest.lower() for digest in digests))


def signature_check_time(*, parsed: ParsedSignature, now: float) -> None:
    """SignatureRefused("expired") unless ``t`` is within the tolerance of ``now``, either way."""
    if abs(now - parsed.timestamp) > SIGNATURE_TOLERANCE.total_seconds():
        raise SignatureRefused(
            "expired",
            _("The signature's time t is more than %(minutes)s minutes from Kanta's clock.")
            % {"minutes": int(SIGNATURE_TOLERANCE.total_seconds() // 60)},
        )


def signature_check(
    *, parsed: ParsedSignature, method: str, path: str, body: bytes, now: float, secret: str | None = None
) -> bytes:
    """The signed message when ``parsed`` is a current signature of this request, else
    SignatureRefused. ``now`` is in unix seconds."""
    signature_check_time(parsed=parsed, now=now)
    key = _secret_bytes(secret)
    message = signed_message(timestamp=parsed.timestamp, method=method, path=path, body=body)
    expected = hmac.new(key, message, hashlib.sha256).hexdigest().encode()
    # Every candidate is compared, in constant time each: which one matched says nothing
    # about the secret, and an empty secret signs nothing.
    matched = [hmac.compare_digest(expected, digest.encode()) for digest in parsed.digests]
    if not key or not any(matched):
        raise SignatureRefused("bad_signature", _("The signature does not match this request."))
    return message


def legacy_signature_matches(*, value: str, path: str, body: bytes, secret: str | None = None) -> bool:
    key = _secret_bytes(secret)
    if not key or not value.startswith(LEGACY_PREFIX):
        return False
    given = LEGACY_PREFIX + value.removeprefix(LEGACY_PREFIX).lower()
    # Bytes, not str: compare_digest refuses non-ASCII text, and a header may carry it.
    return hmac.compare_digest(legacy_signature(body or path.encode(), secret).encode(), given.encode())
