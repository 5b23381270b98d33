"""The background task queue (django-tasks with django-tasks-db): ``run_worker`` drains it
between its periodic jobs, so one worker process per deployment does both.

Tasks are enqueued after commit by the services that own them (forum notifications) and by
Wagtail (search and reference index updates). Under the test settings, tasks run inline.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks.utils import get_random_id
from django_tasks_db import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

# One id per worker process: django-tasks-db records which worker claimed each task.
WORKER_ID = get_random_id()


class _DrainingWorker(Worker):
    """django-tasks-db's own worker loop in batch mode (claim, run, record), counting."""

    ran = 0

    def run_task(self, db_task_result: DBTaskResult) -> None:
        super().run_task(db_task_result)
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
