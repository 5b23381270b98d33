"""Builders for review tests: products, members, a moderator and reviews, through the services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from community.models import Review
from community.reviews.services.moderation import review_approve
from community.reviews.services.reviews import NewPhoto, review_create
from content.uploads import sanitise_image
from membership.models import Order, User
from membership.services.orders import LineData, order_receive
from tests.content.conftest import make_guide, make_post, make_product, site_tree  # noqa: F401
from tests.factories import image_bytes, make_member


def photo(color: str = "#2f6f4e", alt: str = "") -> NewPhoto:
    upload = SimpleUploadedFile(
        "photo.jpg", image_bytes("JPEG", (400, 300), color), content_type="image/jpeg"
    )
    return NewPhoto(image=sanitise_image(upload), alt=alt)


def veteran(username: str, **kwargs) -> User:
    """A member who joined long ago (premoderation still applies until one review is published)."""
    member = make_member(username, **kwargs)
    User.objects.filter(pk=member.pk).update(date_joined=timezone.now() - timedelta(days=400))
    member.refresh_from_db()
    return member


_order_ids = count(1)


def buy(member: User, product, *, price: str = "59.90", days_ago: int = 3) -> Order:
    """A paid shop order of ``product`` by ``member``, through the orders service: it makes
    them a verified buyer of it (its purchase points wait out the return window)."""
    return order_receive(
        external_id=f"t-order-{next(_order_ids)}-{member.pk}-{product.pk}",
        email=member.email,
        status=Order.Status.PAID,
        currency="EUR",
        total=Decimal(price),
        created_at=timezone.now() - timedelta(days=days_ago),
        lines=[LineData(sku=product.sku, quantity=1, price=Decimal(price))],
        notify=False,
    ).order


def write_review(
    author: User,
    product,
    *,
    rating: int = 4,
    title: str = "Solid",
    body: str = "Works well on ice.",
    photos: int = 0,
    approve_by: User | None = None,
    bought: bool = False,
) -> Review:
    """A review through the services; ``bought`` first makes the author a verified buyer
    (only their reviews earn points)."""
    if bought:
        buy(author, product)
    review = review_create(
        author=author,
        product=product,
        rating=rating,
        title=title,
        body=body,
        photos=[photo() for _ in range(photos)],
    )
    if approve_by is not None and review.state == Review.State.PENDING:
        review = review_approve(review=review, moderator=approve_by)
    return review


@pytest.fixture
def product(db):
    return make_product()


@pytest.fixture
def moderator(db):
    return make_member("ville", display_name="Ville Koskinen", groups=["Moderators"])


@pytest.fixture
def author(db):
    return veteran("aino", display_name="Aino Virtanen")


@pytest.fixture
def reader(db):
    return veteran("eero", display_name="Eero Korhonen")
