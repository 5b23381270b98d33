"""Fixtures shared by the membership tests."""

from __future__ import annotations

import pytest

from membership.models import EarningRule


@pytest.fixture
def review_rule_uncapped(db) -> None:
    """For tests that use the review rule as a plain 50-point award, many times in one day.
    Its daily cap is tested with real reviews (tests/community/reviews/services/test_review_points.py)."""
    EarningRule.objects.filter(key="review").update(daily_cap=None)
