"""Static files: the project's own CSS and JavaScript minified at collectstatic time, then
hashed and compressed by WhiteNoise.

Minifying happens before hashing, so a file's hash (and the far-future cache its URL gets,
``Cache-Control: max-age=315360000, public, immutable``) is that of the bytes browsers receive.
Only the project's own sources are minified: Wagtail's and Django's are already small or are
served to staff only, and a vendor file is not ours to rewrite. No source maps are written
(the hand-written sources are in the repository).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import rcssmin
import rjsmin
from django.conf import settings
from django.core.files.base import ContentFile
from whitenoise.storage import CompressedManifestStaticFilesStorage

MINIFIERS = {
    ".css": lambda text: rcssmin.cssmin(text),
    # keep_bang_comments=False: the project's sources carry no licence headers that must stay.
    ".js": lambda text: rjsmin.jsmin(text),
}


def minify(name: str, text: str) -> str:
    """The minified text of a .css or .js file (anything else unchanged)."""
    minifier = MINIFIERS.get(Path(name).suffix)
    return minifier(text) if minifier else text


def is_own_source(storage: Any, path: str) -> bool:
    """True for a file under the project's own apps (not a dependency in the virtualenv)."""
    try:
        source = Path(storage.path(path)).resolve()
    except NotImplementedError:  # a finder's storage with no local path (remote): not ours
        return False
    base = Path(settings.BASE_DIR).resolve()
    return source.is_relative_to(base) and "site-packages" not in source.parts and ".venv" not in source.parts


class MinifiedManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def post_process(self, paths: dict[str, Any], dry_run: bool = False, **options: Any) -> Iterator[Any]:
        if not dry_run:
            for name, (storage, path) in list(paths.items()):
                if Path(name).suffix not in MINIFIERS or name.endswith((".min.js", ".min.css")):
                    continue
                if not is_own_source(storage, path):
                    continue
                with storage.open(path) as source:
                    text = source.read().decode("utf-8")
                minified = minify(name, text)
                # The copy in STATIC_ROOT becomes the minified one, and hashing reads it there.
                self.delete(name)
                self.save(name, ContentFile(minified.encode("utf-8")))
                paths[name] = (self, name)
        yield from super().post_process(paths, dry_run, **options)

    def url(self, name: str | None, force: bool = False) -> str:
        # `make run` serves the collected files with DEBUG on (KANTA_STATIC_HASHED_URLS), so the
        # demo's pages get the hashed, minified, long-cached files production serves. A file
        # collected after the server started falls back to its plain name (WhiteNoise's finders).
        if getattr(settings, "KANTA_STATIC_HASHED_URLS", False) and not force:
            try:
                return super().url(name, force=True)
            except ValueError:
                return super().url(name)
        return super().url(name, force)
