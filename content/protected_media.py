"""Uploads that not every reader may see: forum attachments, review photos.

They are stored by :class:`ProtectedMediaStorage`, under ``KANTA_PROTECTED_MEDIA_ROOT``: a
directory outside ``MEDIA_ROOT``, which the web server publishes as it is. Their URLs
(``KANTA_PROTECTED_MEDIA_URL``, ``/protected-media/<folder>/<name>``) reach
``content.media_views.protected_media``, which asks the app that owns the folder whether this
reader may see this file, then answers with the file (or, behind nginx, with an
``X-Accel-Redirect`` to an internal location) and says whether shared caches may keep it.

An app (or one of its feature packages) declares its folders in a ``protected_media`` module
with a ``PROTECTED_MEDIA`` dict of folder to :data:`Resolver`, found by
:func:`hub.apps_modules.app_submodules`; content knows no forum or review. A system check
fails when the protected directory is inside ``MEDIA_ROOT`` (or holds it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.functional import cached_property

from hub.apps_modules import app_submodules


class ProtectedMediaStorage(FileSystemStorage):
    """A file system storage whose root and URL come from the protected-media settings."""

    @cached_property
    def base_location(self) -> str:
        # FileSystemStorage keeps the constructor's arguments in _location and _base_url;
        # django-stubs does not declare them.
        location = self._location  # type: ignore[attr-defined]
        return str(self._value_or_setting(location, settings.KANTA_PROTECTED_MEDIA_ROOT))

    @cached_property
    def base_url(self) -> str:
        url = self._value_or_setting(self._base_url, settings.KANTA_PROTECTED_MEDIA_URL)  # type: ignore[attr-defined]
        return url if url.endswith("/") else f"{url}/"


def protected_storage() -> Storage:
    """The storage of files only some readers may see (an ``ImageField``'s ``storage``)."""
    return storages["protected"]


@dataclass(frozen=True)
class MediaAccess:
    """A reader may see a file; ``public``: so may anyone, and shared caches may keep it."""

    public: bool


# (reader, stored name such as "forum/ab12.webp") -> access, or None: not for this reader
# (or no such file); the view answers 404 either way, so nothing tells which.
Resolver = Callable[[Any, str], MediaAccess | None]


@cache
def _resolvers() -> dict[str, Resolver]:
    resolvers: dict[str, Resolver] = {}
    for _label, module in app_submodules("protected_media"):
        resolvers.update(getattr(module, "PROTECTED_MEDIA", {}))
    return resolvers


def protected_media_access(*, user: Any, name: str) -> MediaAccess | None:
    folder, _slash, rest = name.partition("/")
    resolver = _resolvers().get(folder)
    if resolver is None or not rest:
        return None
    return resolver(user, name)


@checks.register(checks.Tags.security)
def check_protected_media_root(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The protection is the directory's place: inside MEDIA_ROOT, the web server would
    publish every protected file at /media/ without asking anyone."""
    protected = Path(settings.KANTA_PROTECTED_MEDIA_ROOT).resolve()
    media = Path(settings.MEDIA_ROOT).resolve()
    if protected == media or media in protected.parents or protected in media.parents:
        return [
            checks.Error(
                "KANTA_PROTECTED_MEDIA_ROOT (PROTECTED_MEDIA_ROOT) must not be inside MEDIA_ROOT, "
                "nor contain it: the web server would serve protected files to anyone.",
                id="content.E001",
            )
        ]
    return []
