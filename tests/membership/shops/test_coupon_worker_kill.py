"""A worker killed while Shopify is creating a coupon, and another started: one discount in the
shop, the coupon live with that discount's id, the member told once. Real ``manage.py
run_worker`` processes on the test database, a real SIGKILL, and the HTTP-level fake of
Shopify (fake_platforms.py) holding its answer until the kill: the shop made the code, the
worker never heard."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone

from membership.models import Notification, Reward, ShopConnection, ShopCoupon
from membership.services.points import points_adjust
from membership.services.rewards import reward_redeem
from tests.factories import make_member
from tests.membership.shops.fake_platforms import SHOPIFY_TOKEN, FakePlatforms
from tests.subprocesses import database_url_for_subprocess

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
WAIT = 120


def start_worker(tmp_path: Path, fake: FakePlatforms, name: str, *, once: bool = False) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.membership.shops.coupon_worker_settings",
        "DATABASE_URL": database_url_for_subprocess(),
        "KANTA_VAR_DIR": str(tmp_path),
        "KANTA_TEST_SHOPIFY_API_URL": fake.origin + "/{shop}/admin/api/{version}/graphql.json",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--tick", "0.1", *(["--once"] if once else [])],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / f"{name}.log").open("wb"),
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def test_a_worker_killed_mid_call_leaves_one_discount_and_the_next_worker_finds_it(tmp_path, migrated_rows):
    ShopConnection.objects.create(
        platform="shopify",
        name="Polku",
        shop_domain="polku.myshopify.com",
        webhook_secret="s" * 32,
        coupons_enabled=True,
        api_secret=SHOPIFY_TOKEN,
    )
    member = make_member("aino")
    points_adjust(member=member, amount=100, reason="balance", actor=make_member("staff"))
    reward = Reward.objects.create(name="5 € off", kind=Reward.Kind.FIXED, value=Decimal(5), cost=100)
    with override_settings(TASKS=DATABASE_QUEUE):
        redemption = reward_redeem(member=member, reward_id=reward.pk)
    row = ShopCoupon.objects.get(redemption=redemption)
    assert row.state == ShopCoupon.State.PENDING and row.attempts == 0

    fake = FakePlatforms().start()
    fake.faults = ["hold"]
    try:
        first = start_worker(tmp_path, fake, "first")
        try:
            assert fake.arrived.wait(timeout=WAIT), (tmp_path / "first.log").read_text()
            first.send_signal(signal.SIGKILL)
            assert first.wait(timeout=WAIT) == -signal.SIGKILL
        finally:
            stop(first)
            fake.release.set()
        made = fake.shopify_discounts[redemption.coupon_code]["id"]
        row.refresh_from_db()
        # The dead worker claimed the coupon and never recorded what the shop did.
        assert (row.state, row.attempts, row.external_id) == (ShopCoupon.State.PENDING, 1, "")
        assert not Notification.objects.filter(recipient=member, kind="reward-redeemed").exists()

        # The dead worker's claim ends (its lease, passing, is test_coupons.py's business).
        assert row.next_attempt_at is not None
        ShopCoupon.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        second = start_worker(tmp_path, fake, "second", once=True)
        try:
            assert second.wait(timeout=WAIT) == 0, (tmp_path / "second.log").read_text()
        finally:
            stop(second)
    finally:
        fake.stop()

    row.refresh_from_db()
    assert (row.state, row.external_id) == (ShopCoupon.State.LIVE, made), (
        tmp_path / "second.log"
    ).read_text()
    assert len(fake.shopify_discounts) == 1
    creates = [r for r in fake.requests if "discountCodeBasicCreate" in r["body"].get("query", "")]
    assert len(creates) == 2  # the killed worker's, and the retry the shop refused as TAKEN
    assert Notification.objects.filter(recipient=member, kind="reward-redeemed").count() == 1
