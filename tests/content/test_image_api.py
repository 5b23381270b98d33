"""/api/v2/images/ lists and shows only images an anonymous reader sees on the site."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from wagtail.models import PageViewRestriction

from membership.models import Tier
from tests.content.conftest import make_image, make_product

pytestmark = pytest.mark.django_db


def listed(client) -> set[int]:
    response = client.get("/api/v2/images/", {"limit": 20})
    assert response.status_code == 200
    return {item["id"] for item in response.json()["items"]}


@pytest.fixture
def until():
    return timezone.now() + timedelta(days=10)


@pytest.fixture
def guides(make_guide, until):
    return {
        "open": make_guide("Open tyre guide", slug="open-tyre-guide", products=[]),
        "early": make_guide(
            "Secret tyre guide",
            slug="secret-tyre-guide",
            products=[],
            early_access_tier=Tier.objects.get(slug="gold"),
            early_access_until=until,
        ),
    }


def test_lists_a_public_guides_image_and_not_an_early_access_one(client, guides):
    open_image, early_image = guides["open"].hero_image, guides["early"].hero_image
    unused = make_image("never-used")
    ids = listed(client)
    assert open_image.pk in ids
    assert early_image.pk not in ids
    assert unused.pk not in ids
    assert client.get(f"/api/v2/images/{open_image.pk}/").status_code == 200
    for hidden in (early_image, unused):
        response = client.get(f"/api/v2/images/{hidden.pk}/")
        assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert client.get("/api/v2/images/find/", {"id": early_image.pk}).status_code == 404


def test_a_signed_in_gold_member_gets_the_same_anonymous_list(client, guides, django_user_model):
    from tests.community.forum_factories import forum_member

    client.force_login(forum_member("aino", tier="vip"))
    assert guides["early"].hero_image.pk not in listed(client)


def test_the_image_appears_when_its_guide_opens(client, guides, until):
    with time_machine.travel(until + timedelta(minutes=1), tick=False):
        assert guides["early"].hero_image.pk in listed(client)


def test_images_of_drafts_and_login_only_pages_are_absent(client, guides):
    draft_only = guides["open"]
    draft_only.unpublish()
    assert draft_only.hero_image.pk not in listed(client)
    restricted = guides["early"]
    restricted.early_access_until = None
    restricted.early_access_tier = None
    restricted.save()
    PageViewRestriction.objects.create(page=restricted, restriction_type=PageViewRestriction.LOGIN)
    assert restricted.hero_image.pk not in listed(client)


def test_an_image_shared_with_a_public_page_is_listed(client, guides):
    shared = guides["early"].hero_image
    page = guides["open"]
    page.hero_image = shared
    page.save_revision().publish()
    assert shared.pk in listed(client)


def test_product_photos_are_listed(client, site_tree):
    product = make_product()
    assert product.image_id in listed(client)


def test_listing_costs_a_fixed_number_of_queries_besides_wagtails_tags(
    client, make_guide, django_assert_max_num_queries
):
    """The filter is one subquery whatever the number of pages. Wagtail's serializer reads
    each listed image's tags with a query of its own (``tags.names()`` ignores prefetching);
    the API's page size (at most 20) bounds those."""
    for n in range(6):
        make_guide(f"Guide {n}", slug=f"guide-{n}", products=[make_product()])
    listed(client)  # warm the content-type and site caches
    shown = len(listed(client))
    assert shown >= 12
    # Collection and page view restrictions (asked twice: count and page), the count, the
    # page of images, the site; then one tags query per image.
    with django_assert_max_num_queries(7 + shown):
        assert len(listed(client)) == shown


def test_search_finds_only_images_a_public_page_shows(client, guides):
    open_image, early_image = guides["open"].hero_image, guides["early"].hero_image
    for query in (open_image.title, early_image.title, 'tyre"', "\x00"):
        response = client.get("/api/v2/images/", {"search": query})
        assert response.status_code == 200, query
        ids = {item["id"] for item in response.json()["items"]}
        assert early_image.pk not in ids
    found = client.get("/api/v2/images/", {"search": open_image.title}).json()["items"]
    assert open_image.pk in {item["id"] for item in found}
