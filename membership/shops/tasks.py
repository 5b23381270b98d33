"""The worker's half of coupons in the shop (membership/shops/coupons.py): one try, queued
after the redemption commits; later tries come from the every-minute job."""

from __future__ import annotations

from django_tasks import task

from hub.task_queue import commits_as_it_goes


# No transaction around the call to the shop: the claim and the result commit on their own.
@task()
@commits_as_it_goes
def shop_coupon_task(shop_coupon_id: int) -> str:
    from membership.shops.coupons import shop_coupon_attempt

    return shop_coupon_attempt(shop_coupon_id)
