"""Heartbeats, the requeue of tasks lost with their worker, and the worker in ``/healthz``."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hub.jobs import periodic_jobs
from hub.models import WorkerHeartbeat
from hub.task_queue import (
    MAX_CLAIMS,
    Heartbeat,
    tasks_of_lost_workers_requeue,
    worker_heartbeat,
    worker_heartbeats_prune,
    worker_status,
)
from tests.conftest import run_in_threads
from tests.factories import make_member

from .worker_tasks import notify_then_wait

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
LOST_AFTER = 60
INLINE = {"ok": True, "queue": "immediate", "detail": "tasks run inline; no worker is needed"}


@pytest.fixture
def database_queue():
    with override_settings(TASKS=DATABASE_QUEUE, KANTA_WORKER_LOST_AFTER_SECONDS=LOST_AFTER):
        yield


def running_task(*, worker_id: str, started_ago: timedelta, claims: int = 1) -> DBTaskResult:
    """A queued task claimed by ``worker_id`` (and before it by ``claims - 1`` others)."""
    member = make_member(f"m{DBTaskResult.objects.count()}")
    result = notify_then_wait.enqueue(member_id=member.pk, port=1)
    row = DBTaskResult.objects.get(pk=result.id)
    for n in range(claims - 1):
        row.claim(f"earlier-{n}")
    row.claim(worker_id)
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - started_ago)
    row.refresh_from_db()
    return row


def seen(worker_id: str, ago: timedelta) -> None:
    worker_heartbeat(worker_id=worker_id, started_at=timezone.now() - ago, now=timezone.now() - ago)


def test_a_task_of_a_worker_unseen_past_the_grace_period_is_queued_again_once(database_queue):
    seen("dead", timedelta(seconds=LOST_AFTER + 5))
    row = running_task(worker_id="dead", started_ago=timedelta(minutes=5))

    assert tasks_of_lost_workers_requeue() == 1
    assert tasks_of_lost_workers_requeue() == 0
    row.refresh_from_db()
    assert row.status == "READY"
    assert DBTaskResult.objects.ready().filter(pk=row.pk).exists()


def test_a_long_task_of_a_live_worker_is_left_running(database_queue):
    seen("alive", timedelta(seconds=2))
    row = running_task(worker_id="alive", started_ago=timedelta(hours=1))

    assert tasks_of_lost_workers_requeue() == 0
    row.refresh_from_db()
    assert row.status == "RUNNING"


def test_a_task_claimed_within_the_grace_period_is_left_running_even_unseen(database_queue):
    # Claimed by a process that records no heartbeat (seed_demo draining the queue): it has
    # the grace period to finish before anyone calls it lost.
    row = running_task(worker_id="never-beat", started_ago=timedelta(seconds=5))

    assert tasks_of_lost_workers_requeue() == 0
    row.refresh_from_db()
    assert row.status == "RUNNING"


def test_a_task_that_kept_killing_its_workers_is_failed_not_queued_again(database_queue):
    row = running_task(worker_id="dead", started_ago=timedelta(minutes=5), claims=MAX_CLAIMS)

    assert tasks_of_lost_workers_requeue() == 0
    row.refresh_from_db()
    assert row.status == "FAILED"
    assert row.exception_class_path == "hub.task_queue.WorkerLost"
    assert f"lost {MAX_CLAIMS} times" in row.traceback


def test_the_immediate_queue_has_nothing_to_requeue():
    assert tasks_of_lost_workers_requeue() == 0


@pytest.mark.django_db(transaction=True)
def test_workers_requeueing_at_once_requeue_each_task_once(migrated_rows):
    with override_settings(TASKS=DATABASE_QUEUE, KANTA_WORKER_LOST_AFTER_SECONDS=LOST_AFTER):
        rows = [running_task(worker_id="dead", started_ago=timedelta(minutes=5)) for _ in range(5)]
        results, errors = run_in_threads(8, lambda _n: tasks_of_lost_workers_requeue())
    assert errors == []
    assert sum(results) == len(rows)
    assert DBTaskResult.objects.filter(status="READY").count() == len(rows)


def test_a_heartbeat_creates_then_touches_one_row():
    started = timezone.now() - timedelta(minutes=1)
    worker_heartbeat(worker_id="w1", started_at=started, now=started)
    later = started + timedelta(seconds=30)
    worker_heartbeat(worker_id="w1", started_at=started, now=later)

    beat = WorkerHeartbeat.objects.get()
    assert (beat.worker_id, beat.started_at, beat.last_seen) == ("w1", started, later)
    assert beat.pid


def test_the_heartbeat_context_beats_before_the_first_claim():
    with Heartbeat(worker_id="ctx"):
        assert WorkerHeartbeat.objects.filter(worker_id="ctx").exists()


def heartbeat_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "kanta-heartbeat"]


def test_inside_a_transaction_the_worker_beats_once_and_keeps_no_thread(settings):
    """Run in-process inside a test's transaction, the first beat is uncommitted: a thread on
    its own connection would wait on that row (forever, on PostgreSQL) while the worker waits
    for the thread on its way out."""
    settings.KANTA_WORKER_HEARTBEAT_SECONDS = 0.05
    with Heartbeat(worker_id="in-tx"):
        assert heartbeat_threads() == []
    assert WorkerHeartbeat.objects.filter(worker_id="in-tx").count() == 1


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_thread_beats_until_the_worker_exits(settings, monkeypatch, migrated_rows):
    from hub import task_queue

    settings.KANTA_WORKER_HEARTBEAT_SECONDS = 0.05
    beats_from_thread = threading.Event()
    beat = task_queue.worker_heartbeat

    def beat_and_tell(**kwargs) -> None:
        beat(**kwargs)
        if threading.current_thread().name == "kanta-heartbeat":
            beats_from_thread.set()

    monkeypatch.setattr(task_queue, "worker_heartbeat", beat_and_tell)
    with Heartbeat(worker_id="own"):
        first = WorkerHeartbeat.objects.get(worker_id="own").last_seen
        assert len(heartbeat_threads()) == 1
        assert beats_from_thread.wait(10), "the thread never beat"
        assert WorkerHeartbeat.objects.get(worker_id="own").last_seen > first
    assert heartbeat_threads() == []


def test_heartbeats_of_workers_gone_a_week_are_pruned():
    seen("old", timedelta(days=8))
    seen("recent", timedelta(minutes=1))
    assert worker_heartbeats_prune() == 1
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["recent"]


def test_every_worker_requeues_lost_tasks_as_often_as_it_beats(settings):
    job = next(job for job in periodic_jobs() if job.name == "requeue tasks of lost workers")
    assert job.every == timedelta(seconds=settings.KANTA_WORKER_HEARTBEAT_SECONDS)


def test_worker_status_says_when_tasks_run_inline():
    assert worker_status() == INLINE


def test_worker_status_reports_the_last_worker_seen(database_queue):
    assert worker_status() == {
        "ok": False,
        "queue": "database",
        "last_seen": None,
        "lost_after_seconds": LOST_AFTER,
        "tasks_waiting": 0,
    }
    seen("gone", timedelta(seconds=LOST_AFTER + 1))
    assert worker_status()["ok"] is False
    seen("here", timedelta(seconds=3))
    status = worker_status()
    assert status["ok"] is True
    assert status["last_seen"] == WorkerHeartbeat.objects.get(pk="here").last_seen.isoformat()


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_a_worker_gone_without_taking_the_process_out_of_rotation(client, migrated_rows):
    with override_settings(TASKS=DATABASE_QUEUE, KANTA_WORKER_LOST_AFTER_SECONDS=LOST_AFTER):
        seen("gone", timedelta(minutes=10))
        response = client.get("/healthz")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["worker"]["ok"] is False
        assert body["worker"]["last_seen"] == WorkerHeartbeat.objects.get().last_seen.isoformat()

        seen("here", timedelta(seconds=1))
        assert client.get("/healthz").json()["worker"]["ok"] is True


def test_healthz_says_tasks_run_inline_under_the_test_settings(client):
    assert client.get("/healthz").json()["worker"] == INLINE
