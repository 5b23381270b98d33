"""The demo's reviews: every state a moderator meets, photos, low ratings; seeding twice adds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

import community.demo
import community.demo.reviews
from community.models import HelpfulVote, Review, ReviewPhoto
from community.reviews.selectors import verified_buyer
from content.models import Product
from hub.demo import DemoContext
from membership.models import User
from tests.community.conftest import buy
from tests.content.conftest import make_product
from tests.factories import make_member

pytestmark = pytest.mark.django_db

JOINED_DAYS_AGO = {"aino": 1900, "eero": 1150, "juha": 800, "liisa": 500, "mikko": 120, "sanna": 0}


@pytest.fixture
def world(db):
    make_member("moderator", groups=["Moderators"])
    for username, days in JOINED_DAYS_AGO.items():
        member = make_member(username)
        User.objects.filter(pk=member.pk).update(date_joined=timezone.now() - timedelta(days=days))
    for slug in {spec.product for spec in community.demo.reviews.REVIEWS}:
        make_product(slug=slug, name=slug.replace("-", " ").title())
    # Aino bought what she reviews first; nobody else bought anything here.
    buy(
        User.objects.get(username="aino"), Product.objects.get(slug=community.demo.reviews.REVIEWS[0].product)
    )


def test_demo_reviews_cover_the_moderators_day_and_seed_once(world):
    community.demo.seed(DemoContext(log=lambda message: None))
    states = list(Review.objects.values_list("state", flat=True))
    assert states.count(Review.State.PENDING) == 1
    assert states.count(Review.State.REJECTED) == 1
    assert states.count(Review.State.PUBLISHED) == len(community.demo.reviews.REVIEWS) - 2
    assert Review.objects.filter(state=Review.State.PUBLISHED, rating__lte=2).count() >= 3
    assert ReviewPhoto.objects.count() >= 10
    assert HelpfulVote.objects.exists()
    # Only verified buyers' reviews earned points (and say so).
    verified = Review.objects.annotate(bought=verified_buyer()).filter(
        state=Review.State.PUBLISHED, bought=True
    )
    incentivised = Review.objects.filter(incentivised=True)
    assert set(incentivised) == set(verified) and incentivised.count() >= 1
    counts = (Review.objects.count(), ReviewPhoto.objects.count(), HelpfulVote.objects.count())

    community.demo.seed(DemoContext(log=lambda message: None))
    assert (Review.objects.count(), ReviewPhoto.objects.count(), HelpfulVote.objects.count()) == counts
