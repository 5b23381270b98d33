"""First view of image-heavy pages: with no renditions made (what readers met before issue 15)
and after the demo seed's rendition step (what they meet now).

    DATABASE_URL=sqlite:////path/to/seeded-demo.sqlite3 MEDIA_ROOT=... python bench/first_view.py

Works on a copy of the seeded database (the original is never touched). Each figure is the
first GET of a page in a process that has already served one unrelated page (imports and
templates warm), so what remains is the page's own work, renditions included.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings.dev")
os.environ.setdefault("DEBUG", "0")


def main() -> None:
    source = urlparse(os.environ.get("DATABASE_URL", "")).path
    if not source or not Path(source).exists():
        sys.exit("Set DATABASE_URL to a seeded demo's SQLite file (sqlite:////abs/path.sqlite3).")
    copy = Path(tempfile.mkdtemp(prefix="kanta-first-view-")) / "demo.sqlite3"
    shutil.copy(source, copy)
    os.environ["DATABASE_URL"] = f"sqlite:///{copy}"

    import django

    django.setup()
    from django.test import Client
    from django.test.utils import override_settings
    from wagtail.images import get_image_model

    from content.events import EventPage
    from content.models import BlogIndexPage, BlogPostPage
    from content.renditions import all_renditions_make

    renditions = get_image_model().get_rendition_model().objects
    paths = {
        "blog index": BlogIndexPage.objects.live().first().url,
        "a blog post": BlogPostPage.objects.live().filter(hero_image__isnull=False).first().url,
        "an event page": EventPage.objects.live().filter(hero_image__isnull=False).first().url,
    }

    def first_views(label: str) -> None:
        client = Client()
        client.get("/forum/")  # warm imports and templates
        for name, path in paths.items():
            made = renditions.count()
            started = time.perf_counter()
            status = client.get(path).status_code
            elapsed = time.perf_counter() - started
            new = renditions.count() - made
            print(f"{label:<28} {name:<14} {status} {elapsed * 1000:8.0f} ms  {new:3d} renditions made")

    with override_settings(ALLOWED_HOSTS=["*"]):
        renditions.all().delete()
        first_views("no renditions (before)")
        renditions.all().delete()
        started = time.perf_counter()
        asked = all_renditions_make()
        print(f"seed step: {asked} renditions asked for in {time.perf_counter() - started:.1f} s")
        first_views("after the seed's step")
    shutil.rmtree(copy.parent)


if __name__ == "__main__":
    main()
