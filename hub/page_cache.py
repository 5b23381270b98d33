"""Whole pages for anonymous readers, kept in the cache and invalidated exactly.

Only views that opt in are ever stored: a Wagtail page with :class:`PageCacheMixin`, a view
with :func:`cache_for_readers`. Each names a :class:`CachePolicy`: the version tags
(hub.versions) of what the page shows, the query parameters it reads, and when at the latest
its content changes by the clock alone (an early-access opening).

:class:`PageCacheMiddleware` looks an anonymous GET or HEAD up before any URL is resolved, so a
hit skips routing and rendering. An entry holds the body, the headers, the tag versions read
*before* the page was rendered and its expiry; a hit reads the tags' current versions (one
query) and any difference is a miss. Versions live in the database and are bumped in the
transaction that changes what a page shows, so a change made by any process (the worker, a
second web process, a management command) invalidates every process's entries; nothing
in-process is trusted.

What is personal in an anonymous page is put back on every hit: each CSRF token (stored as a
marker, replaced by a fresh ``get_token(request)``, which also sets the CSRF cookie as Django
would) and the Content-Security-Policy nonce (stored as a marker, replaced by this request's
nonce, which django-csp then puts in the header). Markers are random per entry, so no text a
member writes can ask for a token.

A request is served from the cache, and its response stored, only when nothing else can make
it personal: no signed-in user, no pending messages, not a preview; a response is stored only
with status 200, HTML, no cookie of its own, no ``no-store``, a ``Vary`` on nothing but
Cookie and Accept-Language (the key holds the language; the only cookies an anonymous page
depends on are the CSRF token and the language), no session written and no message added
while rendering, and only query parameters the policy names.

Every response of an opted-in view says what happened in ``X-Kanta-Cache``: ``hit``,
``miss`` (rendered and stored) or ``bypass`` (rendered, not stored). Views that do not opt in
get no header. docs/architecture.md ("Page cache") has the invalidation table.

hub imports no domain app: the receivers here cover Wagtail's own models (pages, view
restrictions, sites); content and community connect theirs through the ``bump_*`` functions.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import DisallowedHost
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseBase

# Private, but the one definition of how a masked token maps to its secret; the tests fail
# if a Django upgrade moves it.
from django.middleware.csrf import _unmask_cipher_token, get_token  # type: ignore[attr-defined]
from django.utils import translation

from . import versions as tag_versions

STATE_ATTR = "_kanta_page_cache"
HEADER = "X-Kanta-Cache"
HIT, MISS, BYPASS = "hit", "miss", "bypass"
# Bumped when the entry's shape changes: old entries then read as misses.
ENTRY_FORMAT = 1
KEY_PREFIX = "pagecache:1:"
# Headers never stored: per-response (length changes with the markers, the header itself)
# or set again on every response by middleware outside this one.
UNSTORED_HEADERS = frozenset(
    {"content-length", "set-cookie", HEADER.lower(), "content-security-policy", "date", "expires"}
)
# What an anonymous page may vary on: the key holds the language, and the only cookies such a
# page depends on are the CSRF token (a marker) and the language cookie (in the key).
KEYED_VARY = frozenset({"cookie", "accept-language"})
# How Cache-Control and Vary separate their values.
_HEADER_LIST = re.compile(r"\s*,\s*")
# A masked CSRF token (Django's CSRF_TOKEN_LENGTH, letters and digits), standing alone.
_MASKED_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


@dataclass(frozen=True)
class CachePolicy:
    """What one page shows, for the page cache.

    ``tags``: the hub.versions tags whose bump changes it. ``query_params``: the parameters
    it reads (a request with any other is rendered, never stored, so a made-up parameter
    cannot fill the cache). ``expires``: called on a miss only, the moment the clock alone
    changes the page (an early-access opening), or None.
    """

    tags: tuple[str, ...]
    query_params: frozenset[str] = frozenset()
    expires: Callable[[], datetime | None] | None = None


@dataclass
class _State:
    """The page cache's view of one request, kept on the request."""

    eligible: bool
    key: str = ""
    opted_in: bool = False
    policy: CachePolicy | None = None
    versions: dict[str, int] = field(default_factory=dict)


def _cache() -> Any:
    return caches[settings.KANTA_PAGE_CACHE_ALIAS]


# --- invalidation -----------------------------------------------------------------------------
# Receivers take **kwargs so any signal can call them; each bumps inside the sender's
# transaction, so a rolled-back change invalidates nothing and a committed one everything.


def bump_content(**kwargs: Any) -> None:
    """Live pages, snippets, products, navigation or site settings changed."""
    tag_versions.bump(tag_versions.CONTENT)


def bump_reviews(**kwargs: Any) -> None:
    """A review or a rating changed (created, edited, moderated, deleted, voted helpful)."""
    tag_versions.bump(tag_versions.REVIEWS)


def bump_forum(*, thread_ids: Iterable[int | None] = ()) -> None:
    """The forum index changed, and with it the named threads' pages."""
    tag_versions.bump(tag_versions.FORUM, *(tag_versions.thread_tag(pk) for pk in thread_ids if pk))


def bump_thread(*, thread_id: int) -> None:
    """One thread's page changed and nothing the forum index shows (a reaction)."""
    tag_versions.bump(tag_versions.thread_tag(thread_id))


def connect_saves(models: Iterable[type], receiver: Callable[..., None], *, uid: str) -> None:
    """Call ``receiver`` after every save and delete of each model."""
    for model in models:
        label = f"{uid}.{model._meta.label_lower}"  # type: ignore[attr-defined]
        post_save.connect(receiver, sender=model, dispatch_uid=f"{label}.save", weak=False)
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{label}.delete", weak=False)


# Page fields Wagtail writes when an editor saves a draft, locks or comments: what readers
# see is unchanged until the page is published.
_DRAFT_ONLY_FIELDS = frozenset(
    {
        "latest_revision",
        "latest_revision_created_at",
        "draft_title",
        "has_unpublished_changes",
        "locked",
        "locked_by",
        "locked_at",
        "wagtail_admin_comments",
    }
)


def _page_saved(
    sender: type, instance: Any, update_fields: Iterable[str] | None = None, **kwargs: Any
) -> None:
    # A live page's own row written outside publishing (code, a command, a test) changes
    # what readers see; a draft save does not.
    if not instance.live:
        return
    if update_fields is not None and set(update_fields) <= _DRAFT_ONLY_FIELDS:
        return
    bump_content()


def connect_wagtail_receivers() -> None:
    """Wagtail's own changes that alter a live page (from HubConfig.ready)."""
    from wagtail.models import Page, PageViewRestriction, Site, get_page_models
    from wagtail.signals import page_published, page_unpublished, post_page_move

    page_published.connect(bump_content, dispatch_uid="hub.page_cache.published", weak=False)
    page_unpublished.connect(bump_content, dispatch_uid="hub.page_cache.unpublished", weak=False)
    post_page_move.connect(bump_content, dispatch_uid="hub.page_cache.moved", weak=False)
    # Deleting a page of any type deletes its Page row too: one receiver covers them all.
    post_delete.connect(bump_content, sender=Page, dispatch_uid="hub.page_cache.deleted", weak=False)
    for model in get_page_models():
        post_save.connect(
            _page_saved,
            sender=model,
            dispatch_uid=f"hub.page_cache.saved.{model._meta.label_lower}",
            weak=False,
        )
    # A hit is served before Wagtail checks a page's privacy, and remembered routes carry
    # their restrictions (hub/page_routing.py): a new restriction, or a restriction's groups
    # changed, must drop them.
    connect_saves([PageViewRestriction, Site], bump_content, uid="hub.page_cache")
    m2m_changed.connect(
        bump_content,
        sender=PageViewRestriction.groups.through,
        dispatch_uid="hub.page_cache.restriction_groups",
        weak=False,
    )


# --- opting in -------------------------------------------------------------------------------


def page_cache_render(
    request: HttpRequest, policy: CachePolicy | None, render: Callable[[], HttpResponseBase]
) -> HttpResponseBase:
    """Render a page under ``policy`` (None: this response is not for the cache). The tag
    versions are read before rendering, so a change committed while the page renders makes
    the stored entry stale rather than stored as current."""
    state: _State | None = getattr(request, STATE_ATTR, None)
    if state is not None and policy is not None:
        state.opted_in = True
        if state.eligible:
            state.policy = policy
            state.versions = tag_versions.request_versions(request, policy.tags)
    return render()


def cache_for_readers(policy: Callable[..., CachePolicy | None]) -> Callable[[V], V]:
    """Opt a function view in: ``policy`` gets the view's arguments and names the page's tags."""

    def decorate(view: V) -> V:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            return page_cache_render(
                request, policy(request, *args, **kwargs), lambda: view(request, *args, **kwargs)
            )

        return cast(V, wrapped)

    return decorate


class PageCacheMixin:
    """Opt a Wagtail page type in; put it first in the bases. ``page_cache_policy`` names the
    tags (None for a sub-route that is not cached, a feed)."""

    def page_cache_policy(self, request: HttpRequest, *args: Any, **kwargs: Any) -> CachePolicy | None:
        raise NotImplementedError

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        serve = super().serve  # type: ignore[misc]
        policy = self.page_cache_policy(request, *args, **kwargs)
        # A hit is served before Wagtail's privacy check, and the reader who got this far may
        # have passed it (a password kept in their session): a page behind any view
        # restriction, its own or an ancestor's, is never stored. Asked only when it could be.
        if policy is not None and _eligible(request) and self.get_view_restrictions().exists():  # type: ignore[attr-defined]
            policy = None
        return page_cache_render(request, policy, lambda: serve(request, *args, **kwargs))


# --- the middleware ---------------------------------------------------------------------------


def _pending_messages(request: HttpRequest) -> int:
    # len() counts stored and newly added messages without marking them read.
    storage = getattr(request, "_messages", None)
    return len(storage) if storage is not None else 0


def _eligible(request: HttpRequest) -> bool:
    if getattr(request, "is_dummy", False) or getattr(request, "is_preview", False):
        return False
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        return False
    return not _pending_messages(request)


def cache_key(request: HttpRequest) -> str:
    """Scheme, host, language and the full path with its query, hashed to a fixed length."""
    parts = "\n".join(
        [request.scheme or "", request.get_host(), translation.get_language() or "", request.get_full_path()]
    )
    return KEY_PREFIX + hashlib.sha256(parts.encode()).hexdigest()


def _vary_is_keyed(response: HttpResponseBase) -> bool:
    if not response.has_header("Vary"):
        return True
    fields = {value.strip().lower() for value in _HEADER_LIST.split(response["Vary"]) if value.strip()}
    return fields <= KEYED_VARY


def _no_store(response: HttpResponseBase) -> bool:
    if not response.has_header("Cache-Control"):
        return False
    return "no-store" in {value.strip().lower() for value in _HEADER_LIST.split(response["Cache-Control"])}


def _storable(request: HttpRequest, response: HttpResponseBase, state: _State) -> bool:
    policy = state.policy
    session = getattr(request, "session", None)
    return bool(
        policy is not None
        and request.method == "GET"
        and isinstance(response, HttpResponse)
        and not response.streaming
        and response.status_code == 200
        and response.get("Content-Type", "").startswith("text/html")
        and not response.cookies
        and not _no_store(response)
        and _vary_is_keyed(response)
        and set(request.GET) <= policy.query_params
        and not (session is not None and session.modified)
        and not _pending_messages(request)
        and not request.user.is_authenticated
    )


def _markers(request: HttpRequest, body: bytes) -> tuple[bytes, str, str] | None:
    """The body with this visitor's CSRF tokens and CSP nonce replaced by fresh markers,
    or None when something personal would remain."""
    text = body.decode("utf-8")
    csrf_marker = nonce_marker = ""
    secret = request.META.get("CSRF_COOKIE")
    if secret:
        csrf_marker = f"kanta-csrf-{secrets.token_hex(16)}"

        def mark(match: re.Match[str]) -> str:
            token = match.group(0)
            return csrf_marker if _unmask_cipher_token(token) == secret else token

        text = _MASKED_TOKEN.sub(mark, text)
        if secret in text:
            return None
        if csrf_marker not in text:
            csrf_marker = ""
    nonce = getattr(request, "_csp_nonce", None)
    if isinstance(nonce, str) and nonce in text:
        nonce_marker = f"kanta-nonce-{secrets.token_hex(16)}"
        text = text.replace(nonce, nonce_marker)
    return text.encode("utf-8"), csrf_marker, nonce_marker


def _store(request: HttpRequest, response: HttpResponse, state: _State) -> bool:
    policy = cast(CachePolicy, state.policy)
    now = time.time()
    expires_at = now + settings.KANTA_PAGE_CACHE_SECONDS
    opening = policy.expires() if policy.expires is not None else None
    if opening is not None:
        expires_at = min(expires_at, opening.timestamp())
    if expires_at <= now:
        return False
    marked = _markers(request, response.content)
    if marked is None:
        return False
    body, csrf_marker, nonce_marker = marked
    entry = {
        "format": ENTRY_FORMAT,
        "tags": list(policy.tags),
        "versions": state.versions,
        "expires_at": expires_at,
        "headers": [
            (name, value) for name, value in response.items() if name.lower() not in UNSTORED_HEADERS
        ],
        "body": body,
        "csrf": csrf_marker,
        "nonce": nonce_marker,
    }
    _cache().set(state.key, entry, math.ceil(expires_at - now))
    return True


def _hit(request: HttpRequest, entry: Any) -> HttpResponse | None:
    if not isinstance(entry, dict) or entry.get("format") != ENTRY_FORMAT:
        return None
    if time.time() >= entry["expires_at"]:
        return None
    if tag_versions.versions(entry["tags"]) != entry["versions"]:
        return None
    body: bytes = entry["body"]
    if entry["nonce"]:
        nonce = getattr(request, "csp_nonce", None)
        if nonce is None:
            return None
        # Reading it makes django-csp put this nonce in this response's header.
        body = body.replace(entry["nonce"].encode(), str(nonce).encode())
    if entry["csrf"]:
        # A fresh masked token of this visitor's secret (a new secret and cookie if none).
        body = body.replace(entry["csrf"].encode(), get_token(request).encode())
    response = HttpResponse(body)
    for name, value in entry["headers"]:
        response[name] = value
    response[HEADER] = HIT
    return response


class PageCacheMiddleware:
    """Serves and stores opted-in pages for anonymous readers (see the module docstring).

    Sits after the session, CSRF, locale, authentication, member-language and message
    middleware (it needs the user, the language and the messages) and before URL routing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not settings.KANTA_PAGE_CACHE or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        state = _State(eligible=_eligible(request))
        if state.eligible:
            try:
                state.key = cache_key(request)
            except DisallowedHost:
                state.eligible = False
        setattr(request, STATE_ATTR, state)
        if state.eligible:
            hit = _hit(request, _cache().get(state.key))
            if hit is not None:
                return hit
        response = self.get_response(request)
        if not state.opted_in:
            return response
        stored = (
            state.eligible
            and _storable(request, response, state)
            and _store(request, cast(HttpResponse, response), state)
        )
        response[HEADER] = MISS if stored else BYPASS
        return response
