"""Content's part of the demo world (the plug-in hub/demo.py loads): the site and its home
page, the image library, staff authors, the product catalogue, buying guides and the blog
(site.py, with the words in catalogue.py and the pictures drawn by images.py); what
check_demo fetches of it is in checks.py.

Runs first: membership and community build on the products, guides and home page it leaves
in ``ctx.shared``, and draw their own pictures with images.py.
"""

from __future__ import annotations

from content.demo import checks, site
from hub.demo import DemoContext


def baseline(apps) -> None:
    site.baseline(apps)


def seed(ctx: DemoContext) -> None:
    site.seed(ctx)


def refresh(ctx: DemoContext) -> None:
    site.refresh(ctx)
    # Every image rendition the pages and their cards show, made now rather than by the first
    # reader of each page (content/renditions.py); on a seeded database, only the missing ones.
    from django.conf import settings

    from content.renditions import all_renditions_make

    # Tests that seed the whole demo skip it (minutes of AVIF encoding); test_i15_renditions
    # runs it directly.
    if getattr(settings, "KANTA_DEMO_RENDITIONS", True):
        all_renditions_make()


def check_pages() -> list[str]:
    return checks.check_pages()
