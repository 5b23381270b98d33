"""The product page: rating, sorted reviews with photos, verified buyers, disclosures, the form."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.models import Review
from membership.models import Order, OrderLine
from tests.community.conftest import veteran, write_review
from tests.content.conftest import make_product
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def json_ld(html: str) -> list[dict]:
    return [
        json.loads(block)
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


def product_ld(html: str) -> dict:
    return next(data for data in json_ld(html) if data.get("@type") == "Product")


def order(member, product, *, status=Order.Status.PAID, n=1) -> Order:
    placed = Order.objects.create(
        external_id=f"o-{member.pk}-{product.pk}-{n}",
        email=member.email,
        member=member,
        status=status,
        currency="EUR",
        original_total=Decimal("59.90"),
        total=Decimal("59.90") if status != Order.Status.REFUNDED else Decimal(0),
        created_at=timezone.now() - timedelta(days=30),
    )
    OrderLine.objects.create(
        order=placed, sku=product.sku, product=product, quantity=1, price=Decimal("59.90")
    )
    return placed


def test_without_reviews_there_is_no_aggregate_rating(client, product):
    html = client.get(product.get_absolute_url()).content.decode()
    assert "aggregateRating" not in product_ld(html)
    assert "No reviews yet." in html
    assert "Sign in to review" in html


def test_pending_reviews_neither_show_nor_count(client, author, product):
    write_review(author, product, title="Waiting here")
    html = client.get(product.get_absolute_url()).content.decode()
    assert "Waiting here" not in html
    assert "aggregateRating" not in product_ld(html)


def test_rating_summary_and_aggregate_rating(client, moderator, product):
    for index, rating in enumerate([5, 4, 1]):
        write_review(veteran(f"m{index}"), product, rating=rating, approve_by=moderator)
    html = client.get(product.get_absolute_url()).content.decode()
    assert product_ld(html)["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": 3.3,
        "reviewCount": 3,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert "3.3 out of 5" in html
    assert "Based on 3 reviews" in html


def test_sorting_and_star_filter(client, moderator, product):
    ratings = {"Middling": 3, "Loved it": 5, "Broke": 1}
    reviews = {
        title: write_review(veteran(f"s{i}"), product, rating=rating, title=title, approve_by=moderator)
        for i, (title, rating) in enumerate(ratings.items())
    }
    Review.objects.filter(pk=reviews["Broke"].pk).update(helpful_count=7)
    Review.objects.filter(pk=reviews["Middling"].pk).update(created_at=timezone.now() + timedelta(minutes=5))

    def order_on(query: str) -> list[str]:
        html = client.get(f"{product.get_absolute_url()}{query}").content.decode()
        return sorted(
            ratings, key=lambda title: html.index(f">{title}</h3>") if f">{title}</h3>" in html else 1e9
        )[: html.count('class="review card"')]

    assert order_on("") == ["Broke", "Middling", "Loved it"]  # most helpful first
    assert order_on("?sort=newest") == ["Middling", "Broke", "Loved it"]
    assert order_on("?sort=highest") == ["Loved it", "Middling", "Broke"]
    assert order_on("?sort=lowest") == ["Broke", "Middling", "Loved it"]
    assert order_on("?stars=5") == ["Loved it"]
    assert order_on("?sort=bogus&stars=9")[0] == "Broke"


def test_reviews_are_paginated(client, moderator, product):
    for index in range(12):
        write_review(veteran(f"p{index}"), product, title=f"Review number {index}", approve_by=moderator)
    first = client.get(product.get_absolute_url()).content.decode()
    second = client.get(f"{product.get_absolute_url()}?sort=helpful&page=2").content.decode()
    assert first.count('class="review card"') == 10
    assert second.count('class="review card"') == 2
    assert "Page 1 of 2" in first


def test_verified_buyer_comes_from_orders_that_were_not_fully_refunded(client, moderator, product):
    buyer, refunded, browser = veteran("buyer"), veteran("refunded"), veteran("browser")
    order(buyer, product)
    order(buyer, product, n=2)  # two orders: still one badge, no duplicate rows
    order(refunded, product, status=Order.Status.REFUNDED)
    order(browser, make_product())  # bought something else
    for member in (buyer, refunded, browser):
        write_review(member, product, title=f"By {member.username}", approve_by=moderator)
    html = client.get(product.get_absolute_url()).content.decode()
    assert html.count("Verified buyer") == 1
    card = html[html.index("By buyer") : html.index("By buyer") + 3000]
    assert "Verified buyer" in card
    assert html.count('class="review card"') == 3


def test_incentivised_reviews_carry_the_disclosure(client, author, moderator, product, settings):
    write_review(author, product, approve_by=moderator, bought=True)
    html = client.get(product.get_absolute_url()).content.decode()
    assert (
        "This reviewer earned loyalty points for writing a review. Points never depend on the rating." in html
    )
    assert "Incentivised" in html


def test_reviews_that_earned_nothing_carry_no_disclosure(client, author, moderator, product):
    from membership.models import EarningRule

    EarningRule.objects.filter(key__in=["review", "review-photo"]).update(active=False)
    write_review(author, product, approve_by=moderator)
    html = client.get(product.get_absolute_url()).content.decode()
    assert "earned loyalty points" not in html


def test_signed_in_members_get_the_form_or_their_review(client, author, moderator, product):
    client.force_login(author)
    html = client.get(product.get_absolute_url()).content.decode()
    assert 'id="write-review"' in html and "Sign in to review" not in html
    review = write_review(author, product)
    html = client.get(product.get_absolute_url()).content.decode()
    assert 'id="write-review"' not in html
    assert "Waiting for moderation" in html
    assert f"/reviews/{review.pk}/edit/" in html


def test_page_cost_does_not_grow_with_reviews_or_photos(client, moderator, django_assert_max_num_queries):
    product = make_product()
    viewer = veteran("viewer")
    for index in range(5):
        write_review(veteran(f"a{index}"), product, photos=2, approve_by=moderator)
    client.force_login(viewer)
    url = product.get_absolute_url()
    client.get(url)
    with CaptureQueriesContext(connection) as five:
        client.get(url)
    for index in range(5, 20):
        author = veteran(f"a{index}")
        order(author, product)
        write_review(author, product, photos=2, approve_by=moderator)
    # Warm as above: the new reviews bumped the version, so the first render fills the
    # fragments (the head's rating, the summary) again.
    client.get(url)
    with CaptureQueriesContext(connection) as twenty:
        response = client.get(url)
    assert response.content.decode().count('class="review card"') == 10
    assert len(twenty) == len(five), [q["sql"][:120] for q in twenty.captured_queries]
    # A member, warm: the session, the user, the product, the versions, the page of reviews
    # (with the reader's votes), their own review, permissions, sanctions and tier. The
    # cards, their photos and the summary are fragments (was 10 before issue 16's cards).
    with django_assert_max_num_queries(8):
        client.get(url)
    # Anonymous readers cost no more.
    client.logout()
    with django_assert_max_num_queries(8):
        client.get(url)


def test_helpful_form_only_for_other_signed_in_members(client, author, reader, moderator, product):
    review = write_review(author, product, approve_by=moderator)
    client.force_login(author)
    assert f"/reviews/{review.pk}/helpful/" not in client.get(product.get_absolute_url()).content.decode()
    client.force_login(reader)
    assert f"/reviews/{review.pk}/helpful/" in client.get(product.get_absolute_url()).content.decode()
    client.logout()
    assert "Sign in to mark it helpful" in client.get(product.get_absolute_url()).content.decode()


def test_anonymous_sees_sign_in_to_review(client, product):
    make_member("nobody")
    html = client.get(product.get_absolute_url()).content.decode()
    assert "Sign in to review" in html
    assert f"next=/products/{product.slug}/review/" in html.replace("%2F", "/")
