"""The worker runs every app's periodic jobs; a failing job is logged and stops no other."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from hub.jobs import PeriodicJob, periodic_jobs, run_job
from membership.models import PointEntry
from membership.services.points import points_grant

pytestmark = pytest.mark.django_db


def test_membership_declares_its_ledger_jobs():
    names = {job.name for job in periodic_jobs()}
    assert {"approve pending points", "expire unused points", "warn of expiring points"} <= names


def test_run_once_approves_due_points(member):
    entry = points_grant(
        member=member,
        rule_key="purchase",
        units=100,
        idempotency_key="order:9",
        now=timezone.now() - timedelta(days=15),
    )
    out = StringIO()
    call_command("run_worker", "--once", stdout=out)
    entry.refresh_from_db()
    assert entry.state == PointEntry.State.APPROVED
    assert "0 failed" in out.getvalue()


def test_a_failing_job_is_logged_not_raised(caplog):
    def broken():
        raise RuntimeError("boom")

    assert run_job(PeriodicJob("broken", timedelta(minutes=1), broken)) is False
    assert "periodic job broken failed" in caplog.text
