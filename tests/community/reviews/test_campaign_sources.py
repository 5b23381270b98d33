"""The reviews' campaign source: which products a member has reviewed, and where the review
form of a product is; the review request uses both."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.reviews.campaign_sources import products_reviewed, review_form_url
from membership.campaigns.lifecycle import lifecycle_scan
from membership.campaigns.models import Campaign, CampaignRecipient
from membership.models import EarningRule
from tests.community.conftest import write_review
from tests.content.conftest import make_product
from tests.membership.campaigns.lifecycle_factories import buy, lifecycle

pytestmark = pytest.mark.django_db


def test_reviewed_products_in_any_state(member, other_member):
    tyre, pump, lamp = make_product(), make_product(), make_product()
    write_review(member, tyre)  # a new member's review waits for moderation: it still counts
    write_review(other_member, pump)

    assert products_reviewed(member, [tyre.pk, pump.pk, lamp.pk]) == {tyre.pk}
    assert products_reviewed(member, []) == set()


def test_the_review_form_is_an_absolute_address():
    tyre = make_product(slug="kivi-w240")
    assert review_form_url(tyre) == "http://testserver/products/kivi-w240/review/"


def test_a_review_written_before_the_window_closed_skips_the_request(member):
    campaign = lifecycle(Campaign.Trigger.REVIEW_REQUEST)
    window = EarningRule.objects.get(key="purchase").pending_days
    tyre, pump = make_product(name="Tyre"), make_product(name="Pump")
    order = buy(member, [tyre, pump], created_at=timezone.now() - timedelta(days=window + 1))
    write_review(member, tyre)

    assert lifecycle_scan() == {Campaign.Trigger.REVIEW_REQUEST: 1}
    row = CampaignRecipient.objects.get(campaign=campaign)
    assert row.occurrence == f"review:{order.pk}:{pump.pk}"
    assert row.context["links"] == [{"title": "Write a review of Pump", "url": review_form_url(pump)}]
