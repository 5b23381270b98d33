"""Guide product picks show each product's rating, fetched once for the whole page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.community.conftest import veteran, write_review
from tests.content.conftest import make_product
from tests.content.test_query_counts import body

pytestmark = pytest.mark.django_db


def test_picks_show_average_and_count(client, make_guide, moderator):
    rated, unrated = make_product(name="Rated tyre"), make_product(name="Unrated tyre")
    write_review(veteran("a"), rated, rating=5, approve_by=moderator)
    write_review(veteran("b"), rated, rating=4, approve_by=moderator)
    write_review(veteran("c"), unrated, rating=1)  # waiting: does not count
    guide = make_guide("Winter tyres", products=[rated, unrated])
    html = client.get(guide.url).content.decode()
    pick = html[html.index('id="pick-' + rated.slug) :]
    pick = pick[: pick.index("</article>")]
    assert "4.5 · 2 reviews" in pick
    assert f'href="/products/{rated.slug}/#reviews"' in pick
    other = html[html.index('id="pick-' + unrated.slug) :]
    assert "product-pick__rating" not in other[: other.index("</article>")]


def test_guide_page_cost_does_not_grow_with_picks_or_reviews(
    client, make_guide, moderator, django_assert_max_num_queries
):
    small_products = [make_product() for _ in range(4)]
    large_products = [make_product() for _ in range(12)]
    for index, product in enumerate(large_products):
        for n in range(3):
            write_review(veteran(f"r{index}-{n}"), product, rating=1 + (index + n) % 5, approve_by=moderator)
    write_review(veteran("s0"), small_products[0], approve_by=moderator)
    small = make_guide("Small", products=[], body=body(small_products, blocks=8))
    large = make_guide("Large", products=[], body=body(large_products, blocks=40))

    def queries(url: str) -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries(large.url) == queries(small.url)
    # The content app's own bound for a guide page (tests/content/test_query_counts.py) plus
    # the one ratings query.
    with django_assert_max_num_queries(36):
        client.get(large.url)
    assert client.get(large.url).content.decode().count("product-pick__rating") >= 10
