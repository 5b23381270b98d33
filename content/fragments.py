"""Parts of pages every reader sees alike, kept rendered until what they show changes.

A fragment's cache key is its name, the language, what it varies on (a page id) and the
versions (hub.versions) of the tags it shows: ``CONTENT`` for pages, products and snippets,
``REVIEWS`` for ratings, ``FORUM`` and ``thread_tag(id)`` for the forum. The transaction that
changes one of those bumps its tag, so the next reader renders the fragment afresh; nothing
is keyed by the time of the request and nothing expires on a timer to be right.
The key also holds the time zone and a digest of the code that renders fragments
(``code_stamp``), so a deploy never serves what the previous code stored.

What depends on the moment rather than on a change is handled apart:

- an early-access page opens when its date passes, with no change to bump anything: a
  fragment that shows pages (cards with an "Early access" label) is stored with the soonest
  opening date among them and read as missing from that moment (``opens`` in the tag);
- "5 minutes ago": a fragment stores the moment (``{% fragment_since value %}``) and each
  reader gets the phrase for their own now, filled in when the fragment is sent.

What is the reader's own never goes in a fragment: early access for this member, their
review, points, notifications, CSP nonces, moderation buttons. A CSRF token is stored as a
marker and each reader's own token is put in when the fragment is sent, so a form every
reader sees alike (a reaction button, the reply form) can be part of one. A list whose items
differ by a little per reader (a reaction the reader pressed, "your post") stores one
fragment per item and variant: ``fragments_many`` reads them in one cache round trip.

Versions are read once per request (``hub.versions.request_versions``): the page's routing
(hub/page_routing.py) or the first fragment reads every common tag in one query, and a view
that shows a thread asks for its tag up front.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

from hub.versions import request_versions

# Versions change the key when content changes; this only bounds how long an unread
# fragment of an old version lingers in the cache.
FRAGMENT_SECONDS = 24 * 60 * 60

# A relative time inside a fragment: the moment is stored, the phrase is the reader's.
_SINCE = re.compile(r"\x00since:([^\x00]+)\x00")
# What ``{% csrf_token %}`` writes inside a fragment (the template context's ``csrf_token``):
# the reader's own token replaces it when the fragment is sent.
CSRF_MARKER = "\x00csrf\x00"


# Where the code that renders fragments lives (the project's apps and templates).
_CODE_FOLDERS = ("hub", "content", "membership", "community", "templates")


@functools.cache
def code_stamp() -> str:
    """A digest of the project's templates and modules, part of every fragment's key.

    Versions follow what pages show, not the code that renders it: without this, a deploy
    that changed a fragment's template (a form's fields, a card's markup) would serve the
    fragments the old code stored until their content changed or a day passed. Read once
    per process (about 50 ms), on the first fragment it renders."""
    root = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    for folder in _CODE_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".html") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def fragment_key(request: HttpRequest | None, name: str, vary: Iterable[Any], tags: Iterable[str]) -> str:
    found = request_versions(request, tags)
    stamp = ".".join(f"{found[tag]:x}" for tag in sorted(found))
    # Hashed: a part may come from the query string (a tag filter), of any length.
    # Dates are written in the active time zone, as the language is the active one.
    parts = hashlib.sha256(
        "\n".join([get_current_timezone_name(), *(str(part) for part in vary)]).encode()
    ).hexdigest()[:32]
    return f"fragment:{code_stamp()}:{name}:{get_language() or ''}:{parts}:{stamp}"


def _usable(stored: Any, now: datetime) -> str | None:
    if stored is None:
        return None
    valid_until, html = stored
    if valid_until is not None and now >= valid_until:
        return None
    return html


def fragment_get(key: str, *, now: datetime | None = None, csrf: Any = "") -> str | None:
    """The stored HTML, with its relative times for now and the reader's CSRF token; None
    when missing or opened since."""
    now = now or timezone.now()
    html = _usable(cache.get(key), now)
    if html is None:
        return None
    return fragment_finish(html, now=now, csrf=csrf)


def fragment_set(key: str, html: str, *, valid_until: datetime | None = None) -> None:
    cache.set(key, (valid_until, str(html)), FRAGMENT_SECONDS)


def fragment_finish(html: str, *, now: datetime | None = None, csrf: Any = "") -> SafeString:
    """Fill in the reader's CSRF token (``csrf``: a string or the context's lazy token, only
    made when the fragment has a form) and the relative times (each reader's own "5 minutes
    ago")."""
    if "\x00" not in html:
        return mark_safe(html)
    if CSRF_MARKER in html:
        html = html.replace(CSRF_MARKER, escape(str(csrf)))
        if "\x00" not in html:
            return mark_safe(html)
    from hub.templatetags.kanta_time import relative_time

    now = now or timezone.now()

    def phrase(match: re.Match[str]) -> str:
        moment = parse_datetime(match.group(1))
        return escape(relative_time(moment, now)) if moment else ""

    return mark_safe(_SINCE.sub(phrase, html))


def fragments_many(
    request: HttpRequest | None,
    name: str,
    items: Sequence[tuple[Iterable[Any], Callable[[], str]]],
    *,
    tags: Iterable[str],
    csrf: Any = "",
) -> list[SafeString]:
    """One fragment per item of a list, read together in one cache round trip: ``items`` are
    (what the item varies on, how to render it with ``CSRF_MARKER`` for the token). The
    misses are rendered in order and stored together; each item comes back finished."""
    tags = list(tags)
    keys = [fragment_key(request, name, vary, tags) for vary, _ in items]
    now = timezone.now()
    found = cache.get_many(keys) if keys else {}
    out: list[SafeString] = []
    stored: dict[str, tuple[None, str]] = {}
    for key, (_, render) in zip(keys, items, strict=True):
        html = _usable(found.get(key), now)
        if html is None:
            html = str(render())
            stored[key] = (None, html)
        out.append(fragment_finish(html, now=now, csrf=csrf))
    if stored:
        cache.set_many(stored, FRAGMENT_SECONDS)
    return out


def since_marker(value: datetime | None) -> str:
    """What a fragment stores for a relative time (see ``fragment_finish``)."""
    if not value:
        return ""
    return f"\x00since:{value.isoformat()}\x00"


def soonest_opening(pages: Iterable[Any], *, now: datetime | None = None) -> datetime | None:
    """The first early-access date still ahead among ``pages``: the shown labels change then."""
    now = now or timezone.now()
    ahead = [
        until
        for page in pages
        if (until := getattr(page, "early_access_until", None)) is not None and until > now
    ]
    return min(ahead, default=None)
