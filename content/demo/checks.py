"""What check_demo fetches of content's demo (the ``check_pages`` hook that
content/demo/__init__.py hands to hub/demo.py): the home page, search, the blog's feed, the
live pages of the tree and the first products, as a visitor."""

from __future__ import annotations

from wagtail.models import Page

from content.models import Product


def check_pages() -> list[str]:
    """Fetched by a visitor; each must answer 200."""
    paths = ["/", "/search/?q=winter", "/blog/feed/"]
    paths += [page.url for page in Page.objects.live().filter(depth__gte=2).specific()[:60] if page.url]
    paths += [product.get_absolute_url() for product in Product.objects.all()[:10]]
    return paths
