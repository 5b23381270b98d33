"""The public media storage (MEDIA_ROOT, served by the web server as it is).

Wagtail names an image's original after the editor's file (``original_images/gold-preview.jpg``)
and its renditions after that (``images/gold-preview.fill-800x450.jpg``): anyone who could guess
a guide's image name could fetch it before the guide opens. A random token in the original's
name makes both unguessable; a reader still needs to have been shown the URL.
"""

from __future__ import annotations

import os
import secrets

from django.core.files.storage import FileSystemStorage

UNGUESSABLE_FOLDERS = ("original_images/",)
_TOKEN_CHARS = 16  # 64 random bits


class MediaStorage(FileSystemStorage):
    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        if name.startswith(UNGUESSABLE_FOLDERS):
            root, ext = os.path.splitext(name)
            suffix = f".{secrets.token_hex(_TOKEN_CHARS // 2)}{ext}"
            if max_length is not None:
                # Shorten the editor's part, never the token.
                root = root[: max(len(os.path.dirname(root)) + 2, max_length - len(suffix))]
            name = f"{root}{suffix}"
        return super().get_available_name(name, max_length)
