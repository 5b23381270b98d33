"""Accepting the shop's signed API calls, once each (membership/signing.py has the scheme).

A signature is accepted when it is current, matches the request and its digest can be
inserted into ``SeenSignature``: the unique constraint decides, in the database every
process shares, so a replay is refused from another worker and while Redis is down. Two
copies racing each other get one acceptance and one ``replayed``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.db import connections, router
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import SeenSignature
from ..signing import (
    LEGACY_PREFIX,
    SIGNATURE_TOLERANCE,
    SignatureRefused,
    legacy_signature_matches,
    signature_check,
    signature_check_time,
    signature_parse,
)

logger = logging.getLogger(__name__)


def request_signature_accept(
    *,
    header: str | None,
    method: str,
    path: str,
    legacy_path: str,
    read_body: Callable[[], bytes],
    now: datetime | None = None,
) -> None:
    """Accept the call or raise SignatureRefused (reason: missing, malformed, expired,
    bad_signature, replayed). ``path`` is the path as sent with its query string;
    ``legacy_path`` the one the retired scheme signed (no query string). ``read_body`` is
    called only once the header itself is sound, so an unsigned caller gets its 401 before
    Kanta reads what it sent."""
    now = now or timezone.now()
    if header and header.strip().startswith(LEGACY_PREFIX):
        _legacy_accept(header=header.strip(), path=legacy_path, read_body=read_body)
        return
    parsed = signature_parse(header)
    signature_check_time(parsed=parsed, now=now.timestamp())
    message = signature_check(parsed=parsed, method=method, path=path, body=read_body(), now=now.timestamp())
    digest = hashlib.sha256(message).hexdigest()
    expires_at = datetime.fromtimestamp(parsed.timestamp, tz=UTC) + SIGNATURE_TOLERANCE
    if not _seen_insert(digest=digest, expires_at=expires_at):
        raise SignatureRefused("replayed", _("This signature was used before: sign every call anew."))


# ON CONFLICT … DO NOTHING (PostgreSQL, SQLite ≥ 3.24) with RETURNING (PostgreSQL, SQLite ≥
# 3.35): a row comes back only when this call inserted the digest. One statement, and no
# savepoint, where create() in atomic() catching IntegrityError costs three on every call:
# a failed insert aborts a PostgreSQL transaction, an ignored conflict does not.
_SEEN_INSERT = (
    "INSERT INTO {table} ({digest}, {expires_at}) VALUES (%s, %s) "
    "ON CONFLICT ({digest}) DO NOTHING RETURNING 1"
)


def _seen_insert(*, digest: str, expires_at: datetime) -> bool:
    """Insert the digest; False when it was there already (the unique constraint decides)."""
    meta = SeenSignature._meta
    connection = connections[router.db_for_write(SeenSignature)]
    digest_field, expires_field = meta.get_field("digest"), meta.get_field("expires_at")
    sql = _SEEN_INSERT.format(
        table=connection.ops.quote_name(meta.db_table),
        digest=connection.ops.quote_name(digest_field.column or digest_field.name),
        expires_at=connection.ops.quote_name(expires_field.column or expires_field.name),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest, expires_field.get_db_prep_save(expires_at, connection)])
        return cursor.fetchone() is not None


def _legacy_accept(*, header: str, path: str, read_body: Callable[[], bytes]) -> None:
    if not settings.KANTA_API_LEGACY_SIGNATURES:
        raise SignatureRefused(
            "malformed",
            _("The sha256= signature is retired: send t=<unix seconds>,v1=<hex HMAC-SHA256>."),
        )
    if not legacy_signature_matches(value=header, path=path, body=read_body()):
        raise SignatureRefused("bad_signature", _("The signature does not match this request."))
    # The old scheme binds neither method nor time and cannot refuse replays: say so every
    # time, so the migration period does not quietly become forever.
    logger.warning(
        "shop API call to %s accepted with a retired sha256= signature; "
        "switch the shop to t=…,v1=… and turn KANTA_API_LEGACY_SIGNATURES off",
        path,
    )


def seen_signatures_prune(*, now: datetime | None = None) -> int:
    """Delete seen signatures whose window is over (their time alone now refuses them).
    Returns how many rows went."""
    now = now or timezone.now()
    deleted, _by_model = SeenSignature.objects.filter(expires_at__lt=now).delete()
    return deleted
