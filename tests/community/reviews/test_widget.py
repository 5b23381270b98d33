"""The reviews widget's data, ``GET /api/v1/widget/reviews/<sku>/`` (community/reviews/widget.py):
published reviews only, the product's AggregateRating only when there is one, and readable
from the browser by the shop's listed storefront addresses only (CORS)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from community.models import Review
from membership.models import ShopConnection
from tests.community.conftest import veteran, write_review

SHOP_PAGE = "https://shop.example.com"


def url(product) -> str:
    return f"/api/v1/widget/reviews/{product.sku}/"


@pytest.fixture
def listed_shop(db):
    return ShopConnection.objects.create(
        platform="shopify",
        name="Polku",
        shop_domain="polku.myshopify.com",
        webhook_secret="s" * 32,
        storefront_origins=f"{SHOP_PAGE}\nhttps://www.shop.example.com/",
    )


def test_published_reviews_newest_first_with_the_aggregate_rating(client, moderator, author, product):
    write_review(veteran("m0"), product, rating=5, title="Loved it", approve_by=moderator)
    write_review(veteran("m1"), product, rating=2, title="Meh", photos=1, approve_by=moderator)
    write_review(author, product, title="Still waiting")  # pending: neither shown nor counted

    response = client.get(url(product))

    assert response.status_code == 200
    data = response.json()
    assert [review["title"] for review in data["reviews"]] == ["Meh", "Loved it"]
    assert data["summary"]["count"] == 2 and data["summary"]["average"] == 3.5
    assert [row["count"] for row in data["summary"]["histogram"]] == [1, 0, 0, 1, 0]
    first = data["reviews"][0]
    assert first["verified_buyer"] is False and first["rating"] == 2
    assert first["photos"][0]["url"].startswith("http://testserver/")
    assert first["url"] == f"http://testserver{product.get_absolute_url()}#review-{first['id']}"
    assert data["write_url"] == f"http://testserver/products/{product.slug}/review/"
    assert data["json_ld"] == {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "sku": product.sku,
        "url": f"http://testserver{product.get_absolute_url()}",
        "aggregateRating": {
            "@type": "AggregateRating",
            "ratingValue": 3.5,
            "reviewCount": 2,
            "bestRating": 5,
            "worstRating": 1,
        },
    }
    assert response["Cache-Control"] == "public, max-age=60"


def test_a_product_without_reviews_gets_no_rating(client, product):
    data = client.get(url(product)).json()
    assert (data["summary"]["count"], data["reviews"], data["json_ld"]) == (0, [], None)


def test_an_unknown_sku_is_404_json(client, db):
    response = client.get("/api/v1/widget/reviews/NO-SUCH-SKU/")
    assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_only_listed_storefronts_may_read_it(client, product, listed_shop):
    listed = client.get(url(product), headers={"Origin": "https://www.shop.example.com"})
    assert listed["Access-Control-Allow-Origin"] == "https://www.shop.example.com"
    assert "Origin" in listed["Vary"]

    stranger = client.get(url(product), headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger
    assert "Origin" in stranger["Vary"]

    # A storefront added in the admin is allowed at once; an inactive shop's are not.
    listed_shop.storefront_origins += "\nhttps://new.example.com"
    listed_shop.save()
    assert client.get(url(product), headers={"Origin": "https://new.example.com"}).has_header(
        "Access-Control-Allow-Origin"
    )
    listed_shop.active = False
    listed_shop.save()
    assert not client.get(url(product), headers={"Origin": SHOP_PAGE}).has_header(
        "Access-Control-Allow-Origin"
    )


def test_the_environment_lists_storefronts_too(client, product, settings):
    from django.core.cache import cache

    settings.KANTA_STOREFRONT_ORIGINS = ["https://env-shop.example.com"]
    cache.delete("shops:storefront-origins")
    response = client.get(url(product), headers={"Origin": "https://env-shop.example.com"})
    assert response["Access-Control-Allow-Origin"] == "https://env-shop.example.com"


def test_storefront_addresses_are_checked_when_saved(db):
    shop = ShopConnection(
        platform="woocommerce",
        name="Woo",
        shop_domain="https://woo.example.com",
        webhook_secret="s" * 32,
        storefront_origins="https://woo.example.com\nwoo.example.com/shop\nhttp://x.example:99999",
    )
    with pytest.raises(ValidationError) as raised:
        shop.full_clean()
    assert "woo.example.com/shop" in str(raised.value) and "x.example:99999" in str(raised.value)


def test_only_get(client, product):
    assert client.post(url(product)).status_code == 405


def test_a_fixed_number_of_queries_whatever_the_reviews(
    client, moderator, product, django_assert_max_num_queries
):
    for index in range(6):
        write_review(veteran(f"q{index}"), product, photos=1, approve_by=moderator)
    client.get(url(product))  # the rating summary is kept per reviews version
    with django_assert_max_num_queries(6):
        assert len(client.get(url(product)).json()["reviews"]) == 5
    assert Review.objects.count() == 6


# --- The script a shop page loads, and the demo shop that loads it -------------------------


def test_the_widget_script_is_served_with_an_etag_and_revalidated(client):
    response = client.get("/widgets/v1/reviews.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=3600"
    body = response.content
    assert b"attachShadow" in body and b"/api/v1/widget/reviews/" in body
    again = client.get("/widgets/v1/reviews.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again["ETag"] == response["ETag"]


def test_the_widget_script_stays_small(client):
    import gzip

    body = client.get("/widgets/v1/reviews.js").content
    assert len(gzip.compress(body)) < 4 * 1024


def test_the_widget_answer_carries_its_words_in_the_language_asked(client, moderator, product):
    write_review(veteran("m0"), product, rating=4, approve_by=moderator)
    english = client.get(url(product)).json()
    assert english["labels"]["heading"] == "Customer reviews"
    assert english["labels"]["average"] == "4.0 out of 5, from 1 review"
    assert english["summary"]["histogram"][0]["label"] == "5 stars out of 5"
    assert english["reviews"][0]["rating_label"] == "4 stars out of 5"
    finnish = client.get(url(product) + "?lang=fi").json()
    assert finnish["labels"]["heading"] != "Customer reviews"
    assert finnish["summary"]["average_display"] == "4,0"


def test_the_demo_shop_embeds_the_widget_for_the_most_reviewed_product(client, moderator, product):
    from tests.membership.shop import make_product

    make_product(sku="NO-REVIEWS")
    write_review(veteran("m0"), product, approve_by=moderator)
    page = client.get("/demo-shop/").content.decode()
    assert f'data-kanta-reviews data-sku="{product.sku}"' in page
    assert 'src="/widgets/v1/reviews.js"' in page
    assert 'data-sku="NO-REVIEWS"' in client.get("/demo-shop/?sku=NO-REVIEWS").content.decode()


def test_the_demo_shop_is_off_unless_a_settings_module_turns_it_on():
    from hub.settings import base

    assert base.KANTA_DEMO_SHOP is False  # production inherits this; dev.py and test.py turn it on
