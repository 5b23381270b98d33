"""Index pages fetch their first card's image at once: on a phone it is the largest paint.

Lighthouse (.ci/audit/run.py) flagged `lcp-lazy-loaded` on the guide and blog indexes: the
first card's image was `loading="lazy"`, so the browser waited for layout before asking for it.
"""

from __future__ import annotations

import re

import pytest

from tests.content.conftest import make_image

pytestmark = pytest.mark.django_db

IMG_RE = re.compile(r'<div class="article-card__media">.*?<img([^>]*)>', re.S)


def card_images(html: str) -> list[str]:
    return IMG_RE.findall(html)


def test_guide_index_first_card_is_eager_and_the_rest_lazy(client, make_guide):
    for n in range(3):
        make_guide(f"Guide number {n}")
    images = card_images(client.get("/guides/").content.decode())
    assert len(images) == 3
    assert 'fetchpriority="high"' in images[0] and 'loading="lazy"' not in images[0]
    for attributes in images[1:]:
        assert 'loading="lazy"' in attributes and "fetchpriority" not in attributes


def test_blog_index_first_card_is_eager_and_the_rest_lazy(client, make_post):
    for n in range(2):
        make_post(f"Post number {n}", hero_image=make_image(f"post-{n}"))
    images = card_images(client.get("/blog/").content.decode())
    assert len(images) == 2
    assert 'fetchpriority="high"' in images[0] and 'loading="lazy"' not in images[0]
    assert 'loading="lazy"' in images[1]


def test_cards_elsewhere_stay_lazy(client, make_guide):
    """Related guides under an article are below the fold: never eager."""
    first = make_guide("Studded tyres")
    make_guide("Winter tyres")
    images = card_images(client.get(first.url).content.decode())
    assert images  # the related guide's card
    for attributes in images:
        assert 'loading="lazy"' in attributes and "fetchpriority" not in attributes


CANONICAL_RE = re.compile(r'<link rel="canonical" href="([^"]*)">')
DESCRIPTION_RE = re.compile(r'<meta name="description" content="([^"]*)">')


def test_index_pages_describe_themselves_and_keep_their_page_in_the_canonical(client, make_guide, site_tree):
    """Search engines index each listing page on its own: page 2 is not a copy of page 1."""
    for n in range(13):  # 12 a page
        make_guide(f"Guide number {n}")
    first = client.get("/guides/").content.decode()
    assert CANONICAL_RE.search(first).group(1) == "http://testserver/guides/"
    assert DESCRIPTION_RE.search(first).group(1) == "Tested picks."
    second = client.get("/guides/?page=2&utm_source=x").content.decode()
    assert CANONICAL_RE.search(second).group(1) == "http://testserver/guides/?page=2"
    blog = client.get("/blog/").content.decode()
    assert DESCRIPTION_RE.search(blog).group(1) == "News and stories."


def test_a_filtered_index_keeps_its_filter_in_the_canonical(client, make_guide):
    guide = make_guide("Studded tyres")
    guide.tags.add("winter")
    guide.save_revision().publish()
    html = client.get("/guides/?tag=winter").content.decode()
    assert CANONICAL_RE.search(html).group(1) == "http://testserver/guides/?tag=winter"


def test_an_index_without_intro_falls_back_to_the_site_description(client, site_tree):
    blog = site_tree["blog"]
    blog.intro = ""
    blog.save_revision().publish()
    html = client.get("/blog/").content.decode()
    assert "Polku Outdoor" in DESCRIPTION_RE.search(html).group(1)
