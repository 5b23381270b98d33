"""The page cache's hit path next to a rendered minimal Wagtail page, in one process.

    .venv/bin/python bench/page_cache_hit.py [--requests 300]

Builds a throwaway test database (hub.settings.test: SQLite, local-memory cache), a small site
(home, guide index, a guide with two products, blog index and a post, a product, a forum
category and a thread) and a plain Wagtail ``Page`` with the stock template, then times
anonymous GETs through Django's test client (the whole middleware stack, no HTTP server):
the minimal page rendered every time, and each reader page once rendered (miss) and then
served from the cache (hit). Reports milliseconds per request (median and mean) and each
page's hit speed relative to the minimal page. bench/pages.py measures the same pages over
HTTP with daphne.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings.test")


def timed(client, url: str, count: int, header: str | None) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        if header is not None:
            assert response.get("X-Kanta-Cache") == header, (url, response.get("X-Kanta-Cache"))
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    import django

    django.setup()
    from django.test.runner import DiscoverRunner
    from django.test.utils import setup_test_environment

    setup_test_environment()
    runner = DiscoverRunner(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    try:
        from django.core.cache import cache
        from django.test import Client
        from wagtail.models import Page

        from content.models import BlogIndexPage, BlogPostPage, BuyingGuidePage, GuideIndexPage
        from tests.community.forum_factories import forum_member, make_category, start_thread
        from tests.content.conftest import guide_body, make_home, make_product, publish

        home = make_home()
        guides = publish(home, GuideIndexPage(title="Buying guides", slug="guides"))
        blog = publish(home, BlogIndexPage(title="Blog", slug="blog"))
        product = make_product()
        guide = publish(
            guides,
            BuyingGuidePage(
                title="Best studded tyres",
                slug="best",
                intro="How to choose.",
                body=guide_body([product, make_product()]),
            ),
        )
        post = publish(
            blog,
            BlogPostPage(
                title="Winter is here",
                slug="winter",
                intro="Snow.",
                body='[{"type": "paragraph", "value": "<p>Studs on.</p>"}]',
            ),
        )
        minimal = publish(home, Page(title="Minimal", slug="minimal"))
        thread = start_thread(forum_member("tuomas"), make_category("cycling"))
        pages = {
            "home": "/",
            "guide index": guides.url,
            "guide": guide.url,
            "blog index": blog.url,
            "post": post.url,
            "product": product.get_absolute_url(),
            "forum index": "/forum/",
            "thread": thread.get_absolute_url(),
        }
        client = Client()
        cache.clear()
        timed(client, minimal.url, 20, None)  # warm up templates and connections
        floor = timed(client, minimal.url, args.requests, None)
        floor_median = statistics.median(floor)
        print(f"{'page':<14} {'miss ms':>8} {'hit median ms':>14} {'hit mean ms':>12} {'vs minimal':>11}")
        floor_mean = statistics.fmean(floor)
        print(f"{'minimal page':<14} {'':>8} {floor_median:>14.2f} {floor_mean:>12.2f} {'1.00x':>11}")
        for name, url in pages.items():
            miss = timed(client, url, 1, "miss")[0]
            hits = timed(client, url, args.requests, "hit")
            median = statistics.median(hits)
            print(
                f"{name:<14} {miss:>8.1f} {median:>14.2f} {statistics.fmean(hits):>12.2f} "
                f"{floor_median / median:>10.2f}x"
            )
        again = statistics.median(timed(client, minimal.url, args.requests, None))
        print(f"{'minimal again':<14} {'':>8} {again:>14.2f}")
    finally:
        runner.teardown_databases(old_config)


if __name__ == "__main__":
    main()
