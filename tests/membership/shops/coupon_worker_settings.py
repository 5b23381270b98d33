"""Settings of the ``run_worker`` processes that test_coupon_worker_kill.py starts: the worker
test settings (database queue, quick heartbeats) and the test's fake of Shopify's API."""

import os

from tests.hub.worker_settings import *  # noqa: F403

KANTA_SHOPIFY_API_URL = os.environ["KANTA_TEST_SHOPIFY_API_URL"]
