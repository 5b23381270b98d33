"""In-process render time and queries of the eight pages members read most, anonymous and signed in.

    .venv/bin/python bench/render.py [--repeat 20] [--member aino] [--reuse DIR] [--profile PATH]

Builds the demo database (bench/database.py, then ``seed_demo``), renders each page through
Django's test client (the whole middleware stack, DEBUG off, local-memory cache) a few times
to warm up, then ``--repeat`` times, and prints the median and p95 milliseconds and the
queries of one render as a Markdown table. "anonymous" renders bypass the anonymous
whole-page cache (hub/page_cache.py) so they measure the page itself; "member" is a signed-in
demo member. A plain Wagtail page with the stock template is the floor.

``--reuse DIR`` keeps the seeded demo in DIR and uses it again on the next run (the seed
takes a minute or two); ``--profile PATH`` writes a cProfile of the member's renders there.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from database import machine, percentiles, setup


def reuse(var_dir: Path) -> bool:
    """Point Django at a demo kept in ``var_dir``; False when there is none yet (seed it)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(
        {
            "KANTA_VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            "DJANGO_SETTINGS_MODULE": "hub.settings.dev",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    seeded = (var_dir / "seeded").exists()
    import django
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    django.setup()
    from django.core.management import call_command

    # Also on reuse: the checkout may have gained a migration since the demo was seeded.
    call_command("migrate", "--no-input", verbosity=0)
    return seeded


def seed() -> None:
    from django.core.management import call_command

    print("seeding the demo …", file=sys.stderr)
    call_command("seed_demo", stdout=io.StringIO())


def pages() -> list[tuple[str, str]]:
    """(label, path) of the floor and the eight pages, from the demo's own data."""
    from django.db.models import Count
    from wagtail.models import Page

    from community.forum.models import Thread
    from content.models import BlogPostPage, BuyingGuidePage, HomePage, Product

    home = HomePage.objects.get()
    minimal = Page.objects.filter(slug="bench-minimal").first()
    if minimal is None:
        minimal = Page(title="Minimal", slug="bench-minimal")
        home.add_child(instance=minimal)
        minimal.save_revision().publish()
    open_now = {"early_access_tier__isnull": True}
    guide = BuyingGuidePage.objects.live().public().filter(**open_now).order_by("pk").first()
    post = BlogPostPage.objects.live().public().filter(**open_now).order_by("pk").first()
    # The first product, and the busiest thread of a category everyone reads.
    product = Product.objects.order_by("pk").first()
    thread = (
        Thread.objects.filter(state=Thread.State.VISIBLE, category__read_tier__isnull=True)
        .annotate(replies=Count("posts"))
        .order_by("-replies", "pk")
        .first()
    )
    found = [
        ("minimal Wagtail page", minimal.url),
        ("home", "/"),
        ("guides index", "/guides/"),
        ("guide", guide.url if guide else ""),
        ("blog index", "/blog/"),
        ("blog post", post.url if post else ""),
        ("product", product.get_absolute_url() if product else ""),
        ("forum index", "/forum/"),
        ("thread", thread.get_absolute_url() if thread else ""),
    ]
    return [(label, path) for label, path in found if path]


@contextmanager
def page_cache_bypassed():
    """The anonymous whole-page cache (hub/page_cache.py) off, so a render is measured."""
    from django.test import override_settings

    with override_settings(KANTA_PAGE_CACHE=False):
        yield


def measure(client, path: str, repeat: int, profiler: cProfile.Profile | None) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # renditions, template loading, caches of what rarely changes
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    timings = []
    for _ in range(repeat):
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        if profiler:
            profiler.disable()
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return timings, len(captured)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--member", default="aino", help="the demo member who signs in")
    parser.add_argument("--reuse", type=Path, help="keep the seeded demo in this folder and reuse it")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the member's renders here")
    parser.add_argument(
        "--no-fragments",
        action="store_true",
        help="render every fragment afresh (content/fragments.py never hits): the cost without them",
    )
    args = parser.parse_args()

    if args.reuse:
        if not reuse(args.reuse.resolve()):
            seed()
            (args.reuse / "seeded").touch()
        database = "SQLite (reused demo)"
    else:
        database = setup("render")
        seed()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    if args.no_fragments:
        from content.templatetags import content_fragments

        content_fragments.fragment_get = lambda key, now=None: None  # type: ignore[assignment]
    targets = pages()
    member = get_user_model().objects.get(username=args.member)
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(member)
    profiler = cProfile.Profile() if args.profile else None

    rows = []
    for label, path in targets:
        with page_cache_bypassed():
            anon_times, anon_queries = measure(anonymous, path, args.repeat, None)
        member_times, member_queries = measure(signed_in, path, args.repeat, profiler)
        rows.append((label, path, anon_times, anon_queries, member_times, member_queries))
    if profiler:
        profiler.dump_stats(args.profile)

    print(
        f"\nIn-process renders (Django test client, DEBUG off, local-memory cache), {database}, "
        f"{args.repeat} renders each after 3 to warm up; member: {args.member}"
        f"{'; fragments off' if args.no_fragments else ''}\n{machine()}\n"
    )
    print("| page | path | anonymous p50 ms | p95 ms | queries | member p50 ms | p95 ms | queries |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, path, anon_times, anon_queries, member_times, member_queries in rows:
        a50, a95 = percentiles(anon_times)
        m50, m95 = percentiles(member_times)
        print(
            f"| {label} | `{path}` | {a50:.1f} | {a95:.1f} | {anon_queries} "
            f"| {m50:.1f} | {m95:.1f} | {member_queries} |"
        )


if __name__ == "__main__":
    main()
