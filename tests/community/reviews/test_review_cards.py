"""Review cards on a product page are cached fragments per review and variant
(community/reviews/product_extensions.py): each reader still gets their own helpful button,
CSRF token and sign-in link, and what no version tracks (the author's orders and name) shows."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from community.reviews.services.helpful import review_helpful_toggle
from tests.community.conftest import buy, veteran, write_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(author, product, moderator):
    return write_review(author, product, title="Grips on black ice", approve_by=moderator)


def card(client: Client, product, review, query: str = "") -> str:
    response = client.get(f"{product.get_absolute_url()}{query}")
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index(f'id="review-{review.pk}"')
    return html[start : html.index("</article>", start)]


def test_the_helpful_button_is_each_readers_own(client, review, product, reader):
    voter, other = reader, veteran("kaisa")
    review_helpful_toggle(review=review, member=voter)
    client.force_login(other)
    assert 'aria-pressed="false"' in card(client, product, review)  # the card is cached now
    client.force_login(voter)
    html = card(client, product, review)
    assert 'aria-pressed="true"' in html and "You found this helpful</button>" in html
    client.force_login(other)
    assert 'aria-pressed="false"' in card(client, product, review)


def test_the_author_gets_no_helpful_button(client, review, product, author, reader):
    helpful = reverse("community:review_helpful", kwargs={"pk": review.pk})
    client.force_login(reader)
    assert helpful in card(client, product, review)
    client.force_login(author)
    assert helpful not in card(client, product, review)


def test_a_cached_card_posts_with_the_readers_own_token(review, product, reader):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(veteran("kaisa"))
    second.force_login(reader)
    card(first, product, review)
    html = card(second, product, review)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = second.post(
        reverse("community:review_helpful", kwargs={"pk": review.pk}),
        {"csrfmiddlewaretoken": token, "next": product.get_absolute_url()},
    )
    assert response.status_code in (200, 302), response.status_code
    assert review.helpful_votes.filter(member=reader).exists()


def test_the_sign_in_link_comes_back_to_the_address_asked(client, review, product):
    plain = card(client, product, review)
    sorted_page = card(client, product, review, "?sort=newest")
    assert "next=/products/" in plain and "sort%3Dnewest" not in plain
    assert "sort%3Dnewest" in sorted_page


def test_a_verified_purchase_shows_although_no_review_changed(client, review, product, author, reader):
    client.force_login(reader)
    assert "Not a verified purchase" in card(client, product, review)
    buy(author, product)
    assert "Verified buyer" in card(client, product, review)


def test_a_renamed_author_shows_on_the_next_view(client, review, product, author, reader):
    client.force_login(reader)
    assert "Aino Virtanen" in card(client, product, review)
    author.display_name = "Aino V."
    author.save(update_fields=["display_name"])
    html = card(client, product, review)
    assert "Aino V." in html and "Aino Virtanen" not in html
