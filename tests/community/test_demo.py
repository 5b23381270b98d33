"""The demo's reviews: every state a moderator meets, photos, low ratings; seeding twice adds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

import community.demo
from community.models import HelpfulVote, Review, ReviewPhoto
from hub.demo import DemoContext
from membership.models import User
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
    for slug in {spec.product for spec in community.demo.REVIEWS}:
        make_product(slug=slug, name=slug.replace("-", " ").title())


def test_demo_reviews_cover_the_moderators_day_and_seed_once(world):
    community.demo.seed(DemoContext(log=lambda message: None))
    states = list(Review.objects.values_list("state", flat=True))
    assert states.count(Review.State.PENDING) == 1
    assert states.count(Review.State.REJECTED) == 1
    assert states.count(Review.State.PUBLISHED) == len(community.demo.REVIEWS) - 2
    assert Review.objects.filter(state=Review.State.PUBLISHED, rating__lte=2).count() >= 3
    assert ReviewPhoto.objects.count() >= 10
    assert HelpfulVote.objects.exists()
    assert Review.objects.filter(incentivised=True).count() == states.count(Review.State.PUBLISHED)
    counts = (Review.objects.count(), ReviewPhoto.objects.count(), HelpfulVote.objects.count())

    community.demo.seed(DemoContext(log=lambda message: None))
    assert (Review.objects.count(), ReviewPhoto.objects.count(), HelpfulVote.objects.count()) == counts
