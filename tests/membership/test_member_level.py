"""A member's level (their tier's threshold), the one comparison behind every tier gate:
forum categories, event rooms and RSVPs."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from membership.models import User
from membership.selectors import member_level
from membership.services.points import points_grant

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_and_no_user_have_no_level():
    assert member_level(AnonymousUser()) is None
    assert member_level(None) is None


def test_a_member_without_points_is_at_level_zero(member):
    assert member_level(member) == 0


@pytest.mark.usefixtures("review_rule_uncapped")
def test_the_level_is_the_tier_threshold(member):
    for n in range(10):
        points_grant(member=member, rule_key="review", idempotency_key=f"review:{n}")
    assert member_level(User.objects.get(pk=member.pk)) == 500  # Silver


@pytest.mark.usefixtures("review_rule_uncapped")
def test_the_level_is_read_once_per_user_object(member, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert member_level(member) == 0
        assert member_level(member) == 0
    for n in range(10):
        points_grant(member=member, rule_key="review", idempotency_key=f"review:{n}")
    assert member_level(member) == 0  # this request's user object keeps what it read
    assert member_level(User.objects.get(pk=member.pk)) == 500
