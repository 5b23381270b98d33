"""What other apps add to content's pages: the forum's discussion below a guide and its latest
threads on the home page, the RSVP box and the room's door on an event.

Mirrors content/product_extensions.py: content knows nothing of the apps above it, so an app
(or one of its feature packages) declares its part in a ``page_extensions`` module, found by
:func:`hub.apps_modules.app_submodules` the first time a page asks:

    register_page_extension(PageExtension(
        key="forum",
        template="community/forum/_discussion.html",      # below the guide
        context=lambda *, request, page: {...},            # the template's ``section``
        page_types=("content.BuyingGuidePage",),
    ))

A context function that returns None leaves its section out for that page. Sections show in
``order``, then by key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from hub.apps_modules import app_submodules

_EXTENSIONS: dict[str, PageExtension] = {}
_loaded = False


@dataclass(frozen=True)
class PageExtension:
    key: str
    template: str
    context: Callable[..., dict[str, Any] | None]
    # "app_label.ModelName" of the page types it shows on.
    page_types: tuple[str, ...] = ("content.BuyingGuidePage",)
    order: int = 100
    # Where the page shows it: "" is the page's list of extensions; a page type may name
    # other places (the event page's "event-door": what a visitor may do in the live room,
    # in the status box at the top).
    slot: str = ""


@dataclass(frozen=True)
class RenderedPageExtension:
    key: str
    template: str
    context: dict[str, Any]
    slot: str = ""


def register_page_extension(extension: PageExtension) -> None:
    _EXTENSIONS[extension.key] = extension


def page_extensions() -> list[PageExtension]:
    global _loaded
    if not _loaded:
        list(app_submodules("page_extensions"))  # importing each module registers its extensions
        _loaded = True
    return sorted(_EXTENSIONS.values(), key=lambda extension: (extension.order, extension.key))


def page_extensions_render(*, request: HttpRequest, page) -> list[RenderedPageExtension]:
    """The extensions to show below the page, with their template context."""
    label = page._meta.label
    rendered = []
    for extension in page_extensions():
        if label not in extension.page_types:
            continue
        context = extension.context(request=request, page=page)
        if context is not None:
            rendered.append(RenderedPageExtension(extension.key, extension.template, context, extension.slot))
    return rendered
