"""What the community's uploads share (review photos, forum post images)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from content.protected_media import protected_storage


@contextmanager
def new_files_cleaned_on_error() -> Iterator[list[str]]:
    """Collects the names of files saved inside the block and deletes them if the block
    fails: the rows roll back with the transaction, files on disk would not."""
    saved: list[str] = []
    try:
        yield saved
    except BaseException:
        for name in saved:
            protected_storage().delete(name)
        raise
