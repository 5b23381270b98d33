"""Scripts a shop's own pages load from Kanta (``/widgets/v1/<name>.js``, docs/shops.md): one
address each, whatever the deployment's static file hashes, revalidated hourly by ETag."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_GET

MAX_AGE = 3600  # a new version reaches every shop page within the hour


@lru_cache(maxsize=8)
def _script(static_path: str) -> tuple[bytes, str]:
    # The app's own file through the static finders: the same bytes whether or not
    # collectstatic ran (the development server, the tests, production).
    body = Path(str(finders.find(static_path))).read_bytes()
    return body, f'"{hashlib.sha256(body).hexdigest()[:20]}"'


def widget_script(static_path: str) -> Callable[[HttpRequest], HttpResponse]:
    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        body, etag = _script(static_path)
        if etag in request.headers.get("If-None-Match", ""):
            response: HttpResponse = HttpResponseNotModified()
        else:
            response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
        response["ETag"] = etag
        response["Cache-Control"] = f"public, max-age={MAX_AGE}"
        return response

    return view
