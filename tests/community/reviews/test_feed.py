"""Google Merchant Center's product reviews feed, ``GET /feeds/product-reviews.xml``
(community/reviews/feed.py): every published review, valid against the 2.4 schema
(fixtures/product_reviews_2_4.xsd, transcribed from Google's documentation; README there)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.community.conftest import veteran, write_review
from tests.membership.shop import make_product

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(FIXTURES / "product_reviews_2_4.xsd")))


HOST = "community.example.com"  # Google's URL type wants a dotted host, as any real one is


@pytest.fixture(autouse=True)
def _host(settings):
    settings.ALLOWED_HOSTS = [HOST]


def fetch(client) -> etree._Element:
    response = client.get("/feeds/product-reviews.xml", HTTP_HOST=HOST)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=3600"
    return etree.fromstring(b"".join(response.streaming_content))


def test_the_schema_accepts_googles_own_sample_feed(schema):
    sample = etree.parse(str(FIXTURES / "product_reviews_sample.xml"))
    assert schema.validate(sample), schema.error_log


def test_published_reviews_only_valid_against_the_schema(client, schema, moderator, author, product):
    product.brand = "Polku"
    product.save()
    write_review(
        veteran("m0"), product, rating=5, title="Loved it", body="Glides *well*.", approve_by=moderator
    )
    buyer = veteran("m1", display_name="Mikko & Co <b>")
    write_review(buyer, product, rating=2, title="Meh", photos=1, approve_by=moderator, bought=True)
    write_review(author, product, title="Still waiting")  # pending: not in the feed

    feed = fetch(client)

    assert schema.validate(feed), schema.error_log
    assert feed.findtext("version") == "2.4"
    reviews = feed.findall("reviews/review")
    assert [r.findtext("title") for r in reviews] == ["Loved it", "Meh"]
    first, second = reviews
    assert first.findtext("content") == "Glides well."
    assert first.find("ratings/overall").attrib == {"min": "1", "max": "5"}
    assert first.findtext("ratings/overall") == "5"
    assert first.findtext("products/product/product_ids/skus/sku") == product.sku
    assert first.findtext("products/product/product_ids/brands/brand") == "Polku"
    assert first.findtext("products/product/product_name") == product.name
    assert first.findtext("products/product/product_url") == f"http://{HOST}{product.get_absolute_url()}"
    assert first.find("review_url").get("type") == "singleton"
    assert first.findtext("review_url").endswith(f"#review-{first.findtext('review_id')}")
    assert first.findtext("is_verified_purchase") == "false"
    assert first.find("reviewer_images") is None
    assert second.findtext("reviewer/name") == "Mikko & Co <b>"
    assert second.findtext("is_verified_purchase") == "true"
    assert second.findtext("is_incentivized_review") == "true"  # a verified buyer's review earns points
    assert second.findtext("reviewer_images/reviewer_image/url").startswith(f"http://{HOST}/")


def test_text_xml_cannot_hold_is_dropped_not_a_broken_feed(client, schema, moderator, product):
    write_review(veteran("m0"), product, title="Bell\x07 & <tag>", body="Line\x0bbreak", approve_by=moderator)
    feed = fetch(client)
    assert schema.validate(feed), schema.error_log
    assert feed.findtext("reviews/review/title") == "Bell & <tag>"


def test_an_empty_feed_is_still_valid(client, schema, db):
    feed = fetch(client)
    assert schema.validate(feed), schema.error_log
    assert feed.findall("reviews/review") == []


def test_queries_stay_flat_however_many_reviews(client, moderator, django_assert_max_num_queries):
    for index in range(12):
        product = make_product(sku=f"SKU-{index}")
        write_review(veteran(f"m{index}"), product, photos=1 if index % 2 else 0, approve_by=moderator)
    with django_assert_max_num_queries(2):
        feed = fetch(client)
    assert len(feed.findall("reviews/review")) == 12
