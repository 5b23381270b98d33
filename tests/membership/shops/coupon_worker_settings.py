"""Settings of the ``run_worker`` processes that test_coupon_worker_kill.py starts: the worker
test settings (database queue, quick heartbeats), the test's fake of Shopify's API, and a
lease of a second so the test need not wait two minutes for a dead worker's claim to end."""

import os

from tests.hub.worker_settings import *  # noqa: F403

KANTA_SHOPIFY_API_URL = os.environ["KANTA_TEST_SHOPIFY_API_URL"]
KANTA_SHOP_COUPON_LEASE_SECONDS = 1
