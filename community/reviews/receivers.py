"""The reviews' reactions to membership's domain signals (membership/signals.py); connected
by community/apps.py."""

from typing import Any

from django.dispatch import receiver

from community.reviews.services.reviews import review_points_reverse_unverified
from membership.models import Order
from membership.signals import order_refunded


@receiver(order_refunded, dispatch_uid="community.review_points_on_refund")
def reverse_review_points_on_refund(sender: object, order: Order, **kwargs: Any) -> None:
    review_points_reverse_unverified(order=order)
