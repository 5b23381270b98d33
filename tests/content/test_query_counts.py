"""Page cost does not grow with content: doubling blocks, products or posts adds no queries."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.content.conftest import make_image, make_product

pytestmark = pytest.mark.django_db


def body(products, blocks: int) -> str:
    items = []
    for index in range(blocks):
        product = products[index % len(products)]
        kind = index % 4
        if kind == 0:
            items.append(
                {"type": "heading", "value": {"text": f"Section {index}", "level": "h2", "anchor": ""}}
            )
        elif kind == 1:
            items.append(
                {
                    "type": "product_pick",
                    "value": {
                        "award": "",
                        "product": product.pk,
                        "verdict": "Good.",
                        "pros": ["A"],
                        "cons": ["B"],
                        "best_for": "All",
                        "cta_text": "",
                        "cta_url": "",
                    },
                }
            )
        elif kind == 2:
            items.append({"type": "paragraph", "value": f"<p>Paragraph {index}.</p>"})
        else:
            items.append(
                {
                    "type": "image",
                    "value": {"image": product.image_id, "caption": "c", "alt": "", "width": "text"},
                }
            )
    items.append(
        {
            "type": "comparison_table",
            "value": {
                "title": "",
                "products": [p.pk for p in products[:6]],
                "rows": [{"label": "x", "values": ["1"] * min(6, len(products))}],
            },
        }
    )
    items.append(
        {"type": "faq", "value": {"title": "FAQ", "items": [{"question": "Q?", "answer": "<p>A.</p>"}]}}
    )
    return json.dumps(items)


def queries_for(client, url: str) -> int:
    client.get(url)  # first render creates renditions; measure the steady state
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_guide_page_queries_do_not_grow_with_blocks_or_products(
    client, make_guide, django_assert_max_num_queries
):
    small = make_guide("Small", products=[], body=body([make_product() for _ in range(8)], blocks=20))
    large = make_guide("Large", products=[], body=body([make_product() for _ in range(16)], blocks=40))
    small_count = queries_for(client, small.url)
    large_count = queries_for(client, large.url)
    assert large_count == small_count
    with django_assert_max_num_queries(35):
        client.get(large.url)


def test_blog_index_queries_do_not_grow_with_posts(
    client, make_post, site_tree, django_assert_max_num_queries
):
    for index in range(20):
        make_post(f"Post {index}", tags=("winter",), hero_image=make_image(f"post-{index}"))
    twenty = queries_for(client, "/blog/")
    for index in range(20, 100):
        make_post(f"Post {index}", tags=("winter",), hero_image=make_image(f"post-{index}"))
    hundred = queries_for(client, "/blog/")
    assert hundred == twenty
    with django_assert_max_num_queries(20):
        client.get("/blog/")


def test_guide_index_and_home_are_bounded(client, make_guide, site_tree, django_assert_max_num_queries):
    for index in range(8):
        make_guide(f"Guide {index}")
    guides = queries_for(client, "/guides/")
    home = queries_for(client, "/")
    for index in range(8, 16):
        make_guide(f"Guide {index}")
    assert queries_for(client, "/guides/") == guides
    assert queries_for(client, "/") == home
