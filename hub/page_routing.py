"""Wagtail's page routing, remembered in each process until the content changes.

Stock Wagtail finds the page for a path by walking the tree: the site (one query), then each
path segment's child and its specific row, then, before serving, the page's ancestors and
their view restrictions: six queries for a guide three levels down, on every request of every
reader the whole-page cache (hub/page_cache.py) does not answer, such as signed-in members.
None of it changes until a page is published, unpublished, moved or deleted, or a site or a
view restriction changes, and each of those bumps the ``CONTENT`` version (hub.versions).

So :func:`serve` keeps, per process, what the walk found for each host and path: the site,
the page's type and id, how many path segments the tree consumed (a routable page resolves
the rest itself) and the view restrictions that apply. The whole map belongs to one
``CONTENT`` version, read once per request with the other common tags
(``hub.versions.request_versions``, so the page's fragments read nothing more); when the
version differs the map is dropped. A remembered route costs one query, the page's own row.

Only page types that opt in to the page cache (:class:`hub.page_cache.PageCacheMixin`) are
remembered: what they show is already declared by version tags. Any other page, a path that
does not route and a route that no longer resolves (a page deleted since) go through
Wagtail's own routing, unchanged; a path that routed to another type is noted so that its next
requests do not read the versions either (they cost exactly what stock Wagtail costs), until
it routes to an opted-in page again.

The map is bounded: a routable page answers many sub-paths (a blog's tag pages), so once
``MAX_ROUTES`` are kept it is started afresh rather than grown.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponseBase
from django.http.request import split_domain_port
from wagtail import views as wagtail_views
from wagtail.models import Page, PageViewRestriction, Site

from . import versions as tag_versions

MAX_ROUTES = 5_000


@dataclass(frozen=True)
class _Route:
    site: Site
    model: type[Page]
    page_id: int
    consumed: int
    restrictions: tuple[PageViewRestriction, ...]


_lock = threading.Lock()
_routes: dict[tuple[str, str, str], _Route] = {}
_routes_version: list[int | None] = [None]
# Paths whose page is of a type that does not opt in: routed by Wagtail without a versions read.
_stock_paths: set[tuple[str, str, str]] = set()


def _key(request: HttpRequest, path: str) -> tuple[str, str, str]:
    # What Site.find_for_request reads: the raw host's name (checked against ALLOWED_HOSTS by
    # CommonMiddleware before any view runs) and the port.
    raw_host: str = request._get_raw_host()  # type: ignore[attr-defined]
    return (split_domain_port(raw_host)[0], request.get_port(), path)


def _components(path: str) -> list[str]:
    return [component for component in path.split("/") if component]


def _remembered(version: int, key: tuple[str, str, str]) -> _Route | None:
    with _lock:
        if _routes_version[0] != version:
            _routes.clear()
            _routes_version[0] = version
            return None
        return _routes.get(key)


def _remember(version: int, key: tuple[str, str, str], route: _Route) -> None:
    with _lock:
        if _routes_version[0] != version:
            # Read under an older (or newer) version than the map holds: not kept.
            return
        if len(_routes) >= MAX_ROUTES:
            _routes.clear()
        _routes[key] = route


def forget() -> None:
    """Drop every remembered route (tests that change content without a version bump)."""
    with _lock:
        _routes.clear()
        _routes_version[0] = None
        _stock_paths.clear()


class _RestrictionsOf:
    """What ``page.get_view_restrictions()`` answers for a remembered route: the restrictions
    read when the route was, as the queryset-like value Wagtail's callers use."""

    def __init__(self, restrictions: tuple[PageViewRestriction, ...]) -> None:
        self._restrictions = restrictions

    def __call__(self) -> _RestrictionsOf:
        return self

    def __iter__(self) -> Any:
        return iter(self._restrictions)

    def __len__(self) -> int:
        return len(self._restrictions)

    def __bool__(self) -> bool:
        return bool(self._restrictions)

    def exists(self) -> bool:
        return bool(self._restrictions)


def _routed(request: HttpRequest, path: str, route: _Route) -> Any:
    """The route result for a remembered route, or None when it no longer resolves."""
    try:
        page = route.model.objects.get(pk=route.page_id)
    except route.model.DoesNotExist:
        return None
    # Wagtail's privacy check and the page cache ask the page; the answer is the version's.
    page.get_view_restrictions = _RestrictionsOf(route.restrictions)
    try:
        return page.route(request, _components(path)[route.consumed :])
    except Http404:
        return None


def serve(request: HttpRequest, path: str) -> HttpResponseBase:
    """Wagtail's ``serve`` view, with the route remembered for the content's version."""
    from .page_cache import PageCacheMixin

    key = _key(request, path)
    if key in _stock_paths:
        result = Page.route_for_request(request, path)
        if result is not None and isinstance(result[0], PageCacheMixin):
            # Another page at this path now: remembered from its next request on.
            _stock_paths.discard(key)
        return wagtail_views.serve(request, path)
    version = tag_versions.request_versions(request, [tag_versions.CONTENT])[tag_versions.CONTENT]
    route = _remembered(version, key)
    if route is not None:
        result = _routed(request, path, route)
        if result is not None:
            request._wagtail_site = route.site  # type: ignore[attr-defined]
            request._wagtail_route_for_request = result  # type: ignore[attr-defined]
            return wagtail_views.serve(request, path)
    result = Page.route_for_request(request, path)
    site = Site.find_for_request(request)
    if result is not None and site is not None and isinstance(result[0], PageCacheMixin):
        page: Any = result[0]
        restrictions = tuple(page.get_view_restrictions().prefetch_related("groups"))
        page.get_view_restrictions = _RestrictionsOf(restrictions)
        consumed = page.depth - site.root_page.depth
        _remember(version, key, _Route(site, type(page), page.pk, consumed, restrictions))
    elif result is not None:
        with _lock:
            if len(_stock_paths) >= MAX_ROUTES:
                _stock_paths.clear()
            _stock_paths.add(key)
    return wagtail_views.serve(request, path)
