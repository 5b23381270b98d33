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


DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_what_a_reply_queued_after_the_request(migrated_rows):
    """Outside tests the queue is a table: a reply stores its notification task and returns;
    the worker delivers the notifications."""
    from django.test import override_settings
    from django_tasks_db.models import DBTaskResult

    from community.models import ThreadReadState
    from hub.task_queue import queued_tasks_waiting
    from membership.models import Notification
    from tests.community.forum_factories import forum_member, make_category, reply, start_thread

    category = make_category()
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, category)
    assert ThreadReadState.objects.get(member=aino, thread=thread).watching

    with override_settings(TASKS=DATABASE_QUEUE):
        reply(eero, thread, body="Nokian W240 for ice.")
        assert queued_tasks_waiting() == 1
        assert not Notification.objects.filter(recipient=aino, kind="forum-reply").exists()

        out = StringIO()
        call_command("run_worker", "--once", stdout=out)

        assert "Ran 1 queued task(s)" in out.getvalue()
        assert queued_tasks_waiting() == 0
        assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert Notification.objects.filter(recipient=aino, kind="forum-reply").count() == 1


def test_finished_tasks_are_pruned_by_a_daily_job():
    assert "prune finished tasks" in {job.name for job in periodic_jobs()}
