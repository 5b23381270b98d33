"""The reviews' part in the lifecycle campaigns (plug-in ``campaign_sources``, declared in
membership/campaigns/lifecycle.py): the review request skips products the member has already
reviewed, and links to the product's review form."""

from __future__ import annotations

from collections.abc import Collection

from django.urls import reverse

from community.reviews.models import Review
from content.models import Product
from membership.campaigns.lifecycle import absolute_url
from membership.models import User


def products_reviewed(member: User, product_ids: Collection[int]) -> set[int]:
    """Products the member reviewed, in any state: a rejected or removed review still holds
    the member's one review of the product, so asking again would lead nowhere."""
    return set(
        Review.objects.filter(author=member, product_id__in=list(product_ids)).values_list(
            "product_id", flat=True
        )
    )


def review_form_url(product: Product) -> str:
    return absolute_url(reverse("community:review_new", kwargs={"slug": product.slug}))


REVIEWED = products_reviewed
REVIEW_URL = review_form_url
