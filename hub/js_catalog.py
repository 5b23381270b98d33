"""The JavaScript translation catalog, cacheable: one URL per language and catalog version
(``/jsi18n/fi/?v=3f2a…``), so browsers keep it for a year and a page's scripts never wait on
it after the first view. The version changes when a djangojs.mo file does (compilemessages),
and the page then links the new URL."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.views.i18n import JavaScriptCatalog

YEAR = 365 * 24 * 60 * 60


def _catalog_files() -> list[Path]:
    roots = [Path(path) for path in settings.LOCALE_PATHS]
    roots += [Path(config.path) / "locale" for config in apps.get_app_configs()]
    return sorted(path for root in roots if root.is_dir() for path in root.glob("*/LC_MESSAGES/djangojs.mo"))


def _version_now() -> str:
    digest = hashlib.sha256()
    for path in _catalog_files():
        stat = path.stat()
        digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.hexdigest()[:12]


@lru_cache(maxsize=1)
def _version_cached() -> str:
    return _version_now()


def catalog_version() -> str:
    """A short hash of the compiled JavaScript catalogs (looked up once per process, or on every
    call with DEBUG on, where compilemessages runs beside a running server)."""
    return _version_now() if settings.DEBUG else _version_cached()


def catalog_url(language: str) -> str:
    return f"{reverse('javascript-catalog-language', args=[language])}?v={catalog_version()}"


@lru_cache(maxsize=16)
def _catalog_body(language: str, version: str) -> bytes:
    request = HttpRequest()
    request.method = "GET"
    with translation.override(language):
        response = JavaScriptCatalog.as_view()(request)
        assert isinstance(response, HttpResponse)
        return response.content


def javascript_catalog(request: HttpRequest, language: str) -> HttpResponse:
    if language not in dict(settings.LANGUAGES):
        raise Http404("No such language")
    version = catalog_version()
    response = HttpResponse(_catalog_body(language, version), content_type="text/javascript; charset=utf-8")
    if request.GET.get("v") == version:
        response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        # An old or missing version: served (a page cached elsewhere still works), kept briefly.
        response["Cache-Control"] = "public, max-age=300"
    return response
