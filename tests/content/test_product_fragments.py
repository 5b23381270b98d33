"""A member's product page: its head tags, facts and discussion are fragments, read from the
cache until what they show changes (a review, a product edit, a forum post)."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.reviews.services.moderation import review_remove
from tests.community.conftest import veteran, write_review
from tests.community.forum_factories import forum_member, make_category, reply, start_thread
from tests.content.conftest import make_image, make_product
from tests.factories import make_member

pytestmark = pytest.mark.django_db

LD_RE = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


@pytest.fixture
def product(db):
    product = make_product(name="Kivi W240", slug="kivi-w240")
    product.tags.add("winter")
    return product


@pytest.fixture
def reader(client):
    client.force_login(make_member("reader"))
    return client


@pytest.fixture
def moderator(db):
    return make_member("ville", display_name="Ville Koskinen", groups=["Moderators"])


def product_ld(html: str) -> dict:
    found = []
    for block in LD_RE.findall(html):
        data = json.loads(block)
        found.extend(data if isinstance(data, list) else [data])
    return next(data for data in found if isinstance(data, dict) and data.get("@type") == "Product")


def page(client, product) -> str:
    response = client.get(product.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_a_warm_page_reads_no_rating_picture_tags_or_discussion(reader, product):
    page(reader, product)
    with CaptureQueriesContext(connection) as captured:
        html = page(reader, product)
    sqls = " ".join(query["sql"] for query in captured.captured_queries)
    for table in ("wagtailimages_image", "wagtailimages_rendition", "taggit_tag", "community_thread"):
        assert f'"{table}"' not in sqls, table
    assert "AVG(" not in sqls
    # What the fragments hold is on the page all the same.
    assert '<span class="chip">winter</span>' in html
    assert 'property="og:image"' in html
    assert product_ld(html)["image"]


def test_a_review_changes_the_rating_in_json_ld(reader, product, moderator):
    assert "aggregateRating" not in product_ld(page(reader, product))
    review = write_review(veteran("sulo"), product, rating=2, title="Studs fell out", approve_by=moderator)
    html = page(reader, product)
    rating = product_ld(html)["aggregateRating"]
    assert (rating["ratingValue"], rating["reviewCount"]) == (2.0, 1)
    assert "Studs fell out" in html
    review_remove(review=review, moderator=moderator, reason="Spam")
    assert "aggregateRating" not in product_ld(page(reader, product))


def test_a_product_edit_changes_its_tags_and_picture(reader, product):
    first = page(reader, product)
    product.tags.add("studded")
    product.image = make_image("new picture")
    product.save()
    html = page(reader, product)
    assert '<span class="chip">studded</span>' in html
    assert product_ld(html)["image"] != product_ld(first)["image"]


def test_a_forum_post_about_the_product_shows_in_its_discussion(reader, product):
    author = forum_member("tuomas")
    assert "Which studded tyres" not in page(reader, product)
    thread = start_thread(author, make_category("cycling"), title="Which studded tyres?", products=[product])
    assert "Which studded tyres" in page(reader, product)
    reply(forum_member("aino"), thread, body="The Kivi grips on black ice.")
    assert "The Kivi grips on black ice." in page(reader, product)


def test_the_head_tags_follow_the_address_asked(reader, product):
    page(reader, product)
    html = reader.get(product.get_absolute_url(), HTTP_HOST="localhost").content.decode()
    assert "http://localhost/products/kivi-w240/" in product_ld(html)["url"]
