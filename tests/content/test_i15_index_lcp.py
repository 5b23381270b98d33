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
