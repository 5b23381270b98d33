"""Page cost does not grow with content: doubling blocks, products, guides or posts adds no queries.

Every content page is measured for an anonymous reader (the whole-page cache off, so the page
itself is measured, hub/page_cache.py) and for a signed-in member, twice: with its fragments
rendered afresh (content/fragments.py, as after any content change) and read from the cache. The forum's
pages are guarded in tests/community/forum/test_queries.py.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from content.models import BlogPostPage
from hub.versions import CONTENT, FORUM, REVIEWS, bump
from tests.content.conftest import make_image, make_product, publish
from tests.factories import make_member

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


@pytest.fixture(params=["anonymous", "member"])
def viewer(request, client, settings, db) -> str:
    # The page itself is measured, not the anonymous reader's copy of it.
    settings.KANTA_PAGE_CACHE = False
    if request.param == "member":
        client.force_login(make_member("reader"))
    return request.param


def content_changed() -> None:
    """What a publish, a product save or a review does: every fragment is rendered afresh."""
    with transaction.atomic():
        bump(CONTENT, REVIEWS, FORUM)


def queries(client, url: str) -> tuple[int, int]:
    """(fragments rendered afresh, fragments from the cache) for one page."""
    assert client.get(url).status_code == 200  # the first render creates renditions
    content_changed()
    with CaptureQueriesContext(connection) as cold:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert client.get(url).status_code == 200
    return len(cold), len(warm)


# What a signed-in member costs on top of an anonymous reader on any page: the session, the
# user, their permissions (one: membership/auth_backends.py), whether the forum bans them and
# their level (one: community/forum/access.py, reader_preload), and on a product page their
# own review.
MEMBER_EXTRA = 5


def assert_bounded(
    client,
    url: str,
    assert_max,
    *,
    viewer: str,
    cold: int,
    warm: int,
    counts: tuple[int, int] | None = None,
) -> None:
    """At most ``cold`` queries with fragments rendered afresh, ``warm`` from the cache
    (for an anonymous reader; a member may add ``MEMBER_EXTRA``)."""
    extra = MEMBER_EXTRA if viewer == "member" else 0
    measured = counts or queries(client, url)
    content_changed()
    with assert_max(cold + extra):
        client.get(url)
    with assert_max(warm + extra):
        client.get(url)
    # A cached fragment must save queries, or it caches nothing worth keeping.
    assert measured[1] < measured[0], measured


def test_guide_page_queries_do_not_grow_with_blocks_or_products(
    client, viewer, make_guide, django_assert_max_num_queries
):
    small = make_guide("Small", products=[], body=body([make_product() for _ in range(8)], blocks=20))
    large = make_guide("Large", products=[], body=body([make_product() for _ in range(16)], blocks=40))
    small_counts = queries(client, small.url)
    large_counts = queries(client, large.url)
    assert large_counts == small_counts
    assert_bounded(
        client, large.url, django_assert_max_num_queries, viewer=viewer, cold=32, warm=3, counts=large_counts
    )


def post_with(site_tree, title: str, blocks: str) -> BlogPostPage:
    post = BlogPostPage(
        title=title, slug=title.lower(), intro="Snow came early.", author=site_tree["author"], body=blocks
    )
    return publish(site_tree["blog"], post)


def test_blog_post_queries_do_not_grow_with_blocks_or_products(
    client, viewer, site_tree, django_assert_max_num_queries
):
    small = post_with(site_tree, "Small", body([make_product() for _ in range(4)], blocks=12))
    large = post_with(site_tree, "Large", body([make_product() for _ in range(16)], blocks=40))
    small_counts = queries(client, small.url)
    large_counts = queries(client, large.url)
    assert large_counts == small_counts
    assert_bounded(
        client, large.url, django_assert_max_num_queries, viewer=viewer, cold=21, warm=3, counts=large_counts
    )


def test_blog_index_queries_do_not_grow_with_posts(
    client, viewer, make_post, site_tree, django_assert_max_num_queries
):
    for index in range(20):
        make_post(f"Post {index}", tags=("winter",), hero_image=make_image(f"post-{index}"))
    twenty = queries(client, "/blog/")
    for index in range(20, 100):
        make_post(f"Post {index}", tags=("winter",), hero_image=make_image(f"post-{index}"))
    hundred = queries(client, "/blog/")
    assert hundred == twenty
    assert_bounded(
        client, "/blog/", django_assert_max_num_queries, viewer=viewer, cold=14, warm=5, counts=hundred
    )


def test_guide_index_and_home_are_bounded(
    client, viewer, make_guide, make_post, site_tree, django_assert_max_num_queries
):
    for index in range(8):
        make_guide(f"Guide {index}")
        make_post(f"Post {index}", hero_image=make_image(f"post-{index}"))
    guides = queries(client, "/guides/")
    home = queries(client, "/")
    for index in range(8, 16):
        make_guide(f"Guide {index}")
        make_post(f"Post {index}", hero_image=make_image(f"post-{index}"))
    assert queries(client, "/guides/") == guides
    assert queries(client, "/") == home
    assert_bounded(
        client, "/guides/", django_assert_max_num_queries, viewer=viewer, cold=15, warm=5, counts=guides
    )
    # Home's warm bound holds only while the forum highlights come from their fragment.
    assert_bounded(client, "/", django_assert_max_num_queries, viewer=viewer, cold=20, warm=3, counts=home)


def test_product_page_queries_do_not_grow_with_guides(
    client, viewer, make_guide, django_assert_max_num_queries
):
    few, many = make_product(), make_product()
    make_guide("Guide featuring one", products=[few, make_product()])
    for index in range(6):
        make_guide(f"Guide {index}", products=[many, make_product()])
    few_counts = queries(client, few.get_absolute_url())
    many_counts = queries(client, many.get_absolute_url())
    assert many_counts == few_counts
    assert_bounded(
        client,
        many.get_absolute_url(),
        django_assert_max_num_queries,
        viewer=viewer,
        cold=13,
        warm=3,
        counts=many_counts,
    )
