"""The background task queue (django-tasks with django-tasks-db): ``run_worker`` drains it
between its periodic jobs, so one worker process per deployment does both.

Tasks are enqueued after commit by the services that own them (forum notifications) and by
Wagtail (search and reference index updates). Under the test settings, tasks run inline.

A worker killed in the middle of a task (SIGKILL, out of memory, the machine gone) loses
nothing: every worker records a heartbeat (:class:`~hub.models.WorkerHeartbeat`) from a thread
of its own, also while a task runs, and any live worker puts a task still RUNNING under a
worker unseen for ``KANTA_WORKER_LOST_AFTER_SECONDS`` back in the queue
(:func:`tasks_of_lost_workers_requeue`). A task's database writes commit in one transaction
with its SUCCESSFUL mark, so a task cut short left no effect and runs again from the start,
and a finished one never runs twice: exactly once in effect. What a task hands to
``transaction.on_commit`` (pushes, emails) happens at most once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import TypeVar

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks.base import TaskResultStatus
from django_tasks.utils import get_random_id
from django_tasks_db import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from hub.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# One id per worker process: django-tasks-db records which worker claimed each task.
WORKER_ID = get_random_id()
# A task that took its worker down this many times (say, out of memory) is not a victim but
# the cause: it is marked FAILED instead of being queued a fourth time.
MAX_CLAIMS = 3


_F = TypeVar("_F", bound=Callable[..., object])


class WorkerLost(Exception):
    """Recorded as the error of a task whose workers kept dying under it."""


def commits_as_it_goes(func: _F) -> _F:
    """Mark a task function that must not run inside the one transaction a task gets: it
    commits step by step (each step idempotent, so a rerun after a crash finishes the work),
    because what it hands out (an email) cannot be taken back by a rollback. Apply it under
    ``@task()``."""
    func.commits_as_it_goes = True  # type: ignore[attr-defined]
    return func


class _DrainingWorker(Worker):
    """django-tasks-db's own worker loop in batch mode (claim, run, record), counting."""

    ran = 0

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # The task's writes and its SUCCESSFUL (or FAILED) mark commit together: a worker
        # killed before the commit leaves no effect behind, after it the row is finished.
        # A task marked commits_as_it_goes commits its own steps instead (and reruns to the end).
        if getattr(getattr(db_task_result.task, "func", None), "commits_as_it_goes", False):
            super().run_task(db_task_result)
            self.ran += 1
            return
        try:
            with transaction.atomic():
                super().run_task(db_task_result)
        except Exception as exc:
            # The task broke the transaction (a database error outside a savepoint), so even
            # its FAILED mark was rolled back: record it on its own.
            logger.exception("task %s broke its transaction", db_task_result.id)
            db_task_result.set_failed(exc)
        self.ran += 1


def queue_uses_database(alias: str = DEFAULT_TASK_BACKEND_ALIAS) -> bool:
    return isinstance(task_backends[alias], DatabaseBackend)


def queued_tasks_run(*, limit: int | None = None, alias: str = DEFAULT_TASK_BACKEND_ALIAS) -> int:
    """Run every ready task of every queue (at most ``limit``) and return how many ran.
    Safe beside other workers: each task is claimed in a locked transaction first."""
    if not queue_uses_database(alias):
        return 0
    worker = _DrainingWorker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name=alias,
        startup_delay=False,
        max_tasks=limit,
        worker_id=WORKER_ID,
    )
    worker.run()
    return worker.ran


def queued_tasks_waiting(alias: str = DEFAULT_TASK_BACKEND_ALIAS) -> int:
    if not queue_uses_database(alias):
        return 0
    return DBTaskResult.objects.ready().filter(backend_name=alias).count()


def task_results_prune() -> str:
    """Forget finished tasks after a week (failed ones after a month, to look into them)."""
    if not queue_uses_database():
        return "no database queue"
    keep = settings.KANTA_TASK_RESULTS_KEEP_DAYS
    call_command(
        "prune_db_task_results",
        queue_name="*",
        min_age_days=keep,
        failed_min_age_days=max(keep, 30),
        verbosity=0,
    )
    return "pruned"


# --- Heartbeats and lost tasks -----------------------------------------------------------


def worker_heartbeat(*, worker_id: str, started_at: datetime, now: datetime | None = None) -> None:
    """Record that the worker ``worker_id`` is alive now."""
    now = now or timezone.now()
    if not WorkerHeartbeat.objects.filter(pk=worker_id).update(last_seen=now):
        WorkerHeartbeat.objects.create(
            worker_id=worker_id,
            hostname=socket.gethostname()[:255],
            pid=os.getpid(),
            started_at=started_at,
            last_seen=now,
        )


class Heartbeat:
    """Beats at once on entering, then every ``KANTA_WORKER_HEARTBEAT_SECONDS`` from a thread
    of its own, so a worker busy with a long task still counts as alive."""

    def __init__(self, worker_id: str = WORKER_ID) -> None:
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._beat_until_stopped, name="kanta-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        # Before the first claim: a task is never RUNNING under a worker nobody has seen.
        worker_heartbeat(worker_id=self.worker_id, started_at=self.started_at)
        # Inside a caller's transaction (a test running the worker in-process) the first beat
        # is not committed: the thread's own connection would wait on its row for as long as
        # the caller holds it, and the caller waits for the thread on the way out. Nobody
        # else can see such a worker anyway, so it beats once and keeps no thread.
        if not connection.in_atomic_block:
            self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            # A beat stuck on the database must not keep the worker from exiting; the thread
            # is a daemon and goes with the process.
            self._thread.join(timeout=settings.KANTA_WORKER_HEARTBEAT_SECONDS + 5)

    def _beat_until_stopped(self) -> None:
        try:
            while not self._stopping.wait(settings.KANTA_WORKER_HEARTBEAT_SECONDS):
                try:
                    worker_heartbeat(worker_id=self.worker_id, started_at=self.started_at)
                except Exception:
                    # The database is down or locked: the next beat tries again; other
                    # workers wait the whole grace period before they call this one lost.
                    logger.exception("worker %s could not record its heartbeat", self.worker_id)
        finally:
            connection.close()


def tasks_of_lost_workers_requeue(
    *, now: datetime | None = None, alias: str = DEFAULT_TASK_BACKEND_ALIAS
) -> int:
    """Put back in the queue every task still RUNNING under a worker that has not been seen
    for ``KANTA_WORKER_LOST_AFTER_SECONDS`` (and was claimed before that). Returns how many.

    Safe from several workers at once: each row changes only if it is still in the state it
    was read in (a conditional UPDATE), so one of them wins and the others change nothing."""
    if not queue_uses_database(alias):
        return 0
    now = now or timezone.now()
    lost_before = now - timedelta(seconds=settings.KANTA_WORKER_LOST_AFTER_SECONDS)
    alive = set(
        WorkerHeartbeat.objects.filter(last_seen__gte=lost_before).values_list("worker_id", flat=True)
    )
    running = (
        DBTaskResult.objects.running()
        .filter(backend_name=alias, started_at__lt=lost_before)
        .only("id", "worker_ids", "started_at", "task_path")
    )
    requeued = 0
    for row in running:
        if row.worker_ids and row.worker_ids[-1] in alive:
            continue  # a long task of a live worker
        unchanged = DBTaskResult.objects.filter(
            pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at
        )
        if len(row.worker_ids) >= MAX_CLAIMS:
            unchanged.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=f"Its worker was lost {len(row.worker_ids)} times while running it.",
            )
            logger.error("task %s (%s) failed: its workers kept dying", row.pk, row.task_path)
            continue
        if unchanged.update(status=TaskResultStatus.READY):
            requeued += 1
            logger.warning(
                "task %s (%s) queued again: worker %s was lost", row.pk, row.task_path, row.worker_ids
            )
    return requeued


def worker_heartbeats_prune(*, now: datetime | None = None) -> int:
    """Forget workers not seen for a week (their tasks were requeued long before)."""
    now = now or timezone.now()
    deleted, _ = WorkerHeartbeat.objects.filter(last_seen__lt=now - timedelta(days=7)).delete()
    return deleted


def worker_status(*, now: datetime | None = None, alias: str = DEFAULT_TASK_BACKEND_ALIAS) -> dict:
    """For ``/healthz``: when a worker was last seen, and whether that is recent enough."""
    if not queue_uses_database(alias):
        return {"ok": True, "queue": "immediate", "detail": "tasks run inline; no worker is needed"}
    now = now or timezone.now()
    lost_after = settings.KANTA_WORKER_LOST_AFTER_SECONDS
    last_seen = WorkerHeartbeat.objects.aggregate(last=Max("last_seen"))["last"]
    return {
        "ok": last_seen is not None and last_seen >= now - timedelta(seconds=lost_after),
        "queue": "database",
        "last_seen": last_seen.isoformat() if last_seen else None,
        "lost_after_seconds": lost_after,
        "tasks_waiting": queued_tasks_waiting(alias),
    }
