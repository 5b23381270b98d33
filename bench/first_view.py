"""First views: of image-heavy pages with no renditions made (what readers met before issue 15)
and after the demo seed's rendition step (what they meet now); and of a guide just published
(issue 16: "no reader waits for image renditions, made when published"), anonymous and signed
in, next to the same guide warm.

    DATABASE_URL=sqlite:////path/to/seeded-demo.sqlite3 MEDIA_ROOT=... python bench/first_view.py

    # a seeded demo to point it at: keep the one bench/pages.py builds
    BENCH_KEEP=1 python bench/pages.py --seconds 1   # prints "preparing a demo database in DIR"
    DATABASE_URL=sqlite:///DIR/kanta.sqlite3 MEDIA_ROOT=DIR/media python bench/first_view.py
    ... python bench/first_view.py --only published     # skip remaking every rendition

Works on a copy of the seeded database and a hard-linked copy of its media folder, so the
original is never touched (deleted renditions and new pictures happen in the copies). Each
figure is the first GET of a page in a process that has already served one unrelated page
(imports and templates warm), so what remains is the page's own work, renditions included.

The just-published guide is a copy of a demo guide with a hero picture no page has shown yet,
published the way the editor's Publish button does it (``revision.publish``). Two cases: the
worker has run the queued task (``queued_tasks_run``, what ``manage.py run_worker`` does)
before the first reader comes, and a reader who arrives before the worker did.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings.dev")
os.environ.setdefault("DEBUG", "0")

MEMBER = "aino"  # a plain demo member, as in bench/pages.py
WARM_VIEWS = 5


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only",
        choices=["renditions", "published"],
        help="one part: no renditions against the seed's step (minutes: it remakes every rendition), "
        "or the just-published guide",
    )
    args = parser.parse_args()
    source = urlparse(os.environ.get("DATABASE_URL", "")).path
    if not source or not Path(source).exists():
        sys.exit("Set DATABASE_URL to a seeded demo's SQLite file (sqlite:////abs/path.sqlite3).")
    work = Path(tempfile.mkdtemp(prefix="kanta-first-view-"))
    copy = work / "demo.sqlite3"
    # SQLite's backup API, not a file copy: a WAL database's latest commits may still be in its
    # -wal file (a server can have it open), and a backup reads them.
    with sqlite3.connect(source) as original, sqlite3.connect(copy) as target:
        original.backup(target)
    os.environ["DATABASE_URL"] = f"sqlite:///{copy}"
    media = os.environ.get("MEDIA_ROOT")
    if media and Path(media).is_dir():
        # Hard links: instant and no extra space; deleting a rendition file here unlinks only
        # the copy's name, and new files are new inodes.
        shutil.copytree(media, work / "media", copy_function=os.link)
        os.environ["MEDIA_ROOT"] = str(work / "media")

    import django
    from django.conf import settings

    # As in bench/database.py: rendering needs no collectstatic manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    django.setup()
    from django.test.utils import override_settings

    try:
        with override_settings(ALLOWED_HOSTS=["*"]):
            if args.only != "published":
                renditions_first_views()
            if args.only != "renditions":
                published_first_views()
    finally:
        shutil.rmtree(work)


def renditions_first_views() -> None:
    from django.test import Client
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

    renditions.all().delete()
    first_views("no renditions (before)")
    renditions.all().delete()
    started = time.perf_counter()
    asked = all_renditions_make()
    print(f"seed step: {asked} renditions asked for in {time.perf_counter() - started:.1f} s")
    first_views("after the seed's step")


def published_first_views() -> None:
    from django.contrib.auth import get_user_model
    from django.core.files.images import ImageFile
    from django.test import Client
    from wagtail.images import get_image_model

    from content.models import BuyingGuidePage
    from hub.task_queue import queued_tasks_run

    image_model = get_image_model()
    renditions = image_model.get_rendition_model().objects
    template = BuyingGuidePage.objects.live().filter(hero_image__isnull=False).order_by("pk").first()
    user_model = get_user_model()
    editor = user_model.objects.filter(is_superuser=True).order_by("pk").first()
    member = user_model.objects.get(username=MEMBER)

    def publish(n: int) -> BuyingGuidePage:
        """A copy of a demo guide with a picture never shown before, published as an editor does."""
        with template.hero_image.open_file() as original:
            picture = image_model(
                title=f"Fresh picture {n}",
                file=ImageFile(original, name=f"first-view-{n}{Path(template.hero_image.file.name).suffix}"),
            )
            picture.save()
        guide = template.copy(
            to=template.get_parent(),
            update_attrs={"title": f"{template.title} ({n})", "slug": f"first-view-{n}"},
            keep_live=False,
            copy_revisions=False,
            user=editor,
        )
        guide.hero_image = picture
        guide.save_revision(user=editor).publish(user=editor)
        return guide

    def timed(client: Client, path: str) -> tuple[float, int, int, str]:
        made = renditions.count()
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        return (
            elapsed,
            response.status_code,
            renditions.count() - made,
            response.headers.get("X-Kanta-Cache", "—"),
        )

    anonymous, signed_in = Client(), Client()
    signed_in.force_login(member)
    for client in (anonymous, signed_in):
        client.get("/forum/")  # warm imports and templates

    queued_tasks_run()  # whatever the copy left queued, so the timed run below is the publish's own
    guide = publish(1)
    started = time.perf_counter()
    ran = queued_tasks_run()
    print(
        f"\njust published, worker done: {ran} queued task(s) run in "
        f"{(time.perf_counter() - started) * 1000:.0f} ms before the first reader"
    )
    for audience, client in (("anonymous", anonymous), ("signed in", signed_in)):
        first, status, made, cache = timed(client, guide.url)
        warm = [timed(client, guide.url) for _ in range(WARM_VIEWS)]
        print(
            f"  {audience:<10} first view {status} {first:6.0f} ms ({made} renditions made, cache {cache}); "
            f"warm median of {WARM_VIEWS} {statistics.median(w[0] for w in warm):6.0f} ms "
            f"(cache {warm[-1][3]})"
        )

    guide = publish(2)
    waiting = renditions.count()
    print("just published, the worker not yet run (a reader faster than the worker):")
    for audience, client in (("anonymous", anonymous), ("signed in", signed_in)):
        first, status, made, cache = timed(client, guide.url)
        print(f"  {audience:<10} first view {status} {first:6.0f} ms ({made} renditions made, cache {cache})")
    print(f"  renditions made by these readers: {renditions.count() - waiting}")


if __name__ == "__main__":
    main()
