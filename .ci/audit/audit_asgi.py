"""The audit's server: Kanta's ASGI application, with /media/ served beside it.

In a deployment nginx serves MEDIA_ROOT at /media/ (the README's example) and Django never
sees those requests; with DEBUG off Django serves no uploads at all. This stands in for that
one nginx location, so the audited pages load their images as readers' browsers do. Uploaded
names are unique (random tokens, rendition filters in the name), so they are cached for a year
as a deployment would.
"""

from __future__ import annotations

import mimetypes
import posixpath
from pathlib import Path

from django.conf import settings

from hub.asgi import application as kanta_application

MEDIA_PREFIX = "/media/"
ONE_YEAR = 60 * 60 * 24 * 365


async def _send_file(send, path: Path) -> None:
    # A blocking read is fine here: one audit client, small files, no other load to starve.
    body = path.read_bytes()  # noqa: ASYNC240
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", f"public, max-age={ONE_YEAR}, immutable".encode()),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _not_found(send) -> None:
    await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"Not found"})


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"].startswith(MEDIA_PREFIX):
        relative = posixpath.normpath(scope["path"][len(MEDIA_PREFIX) :])
        root = Path(settings.MEDIA_ROOT).resolve()  # noqa: ASYNC240  # as above
        candidate = (root / relative).resolve()
        if relative.startswith(("..", "/")) or root not in candidate.parents or not candidate.is_file():
            await _not_found(send)
        else:
            await _send_file(send, candidate)
        return
    await kanta_application(scope, receive, send)
