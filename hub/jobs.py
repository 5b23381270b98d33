"""Periodic jobs: each app declares ``PERIODIC_JOBS`` in its ``jobs.py``; ``run_worker`` runs
them. Jobs must be idempotent and safe to run from several workers at once (the ledger's
are: every write takes a row lock and has a unique key). This module is also the hub's own
``jobs.py``: the task queue's housekeeping (finished rows pruned, lost workers' tasks requeued)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from hub.apps_modules import app_submodules
from hub.task_queue import task_results_prune, tasks_of_lost_workers_requeue, worker_heartbeats_prune

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: Callable[[], object]


def periodic_jobs() -> list[PeriodicJob]:
    jobs: list[PeriodicJob] = []
    for _label, module in app_submodules("jobs"):
        jobs.extend(getattr(module, "PERIODIC_JOBS", []))
    return jobs


def run_job(job: PeriodicJob) -> bool:
    """Run one job, logging (not raising) its failure so one broken job stops no other."""
    try:
        result = job.run()
    except Exception:
        logger.exception("periodic job %s failed", job.name)
        return False
    # A job with nothing to do (the requeue job runs every few seconds) is not news.
    logger.log(logging.INFO if result else logging.DEBUG, "periodic job %s: %s", job.name, result)
    return True


def _prune_task_results() -> str:
    return f"{task_results_prune()}; {worker_heartbeats_prune()} old worker heartbeat(s) forgotten"


def _requeue_lost_tasks() -> str:
    requeued = tasks_of_lost_workers_requeue()
    return f"{requeued} task(s) of lost workers queued again" if requeued else ""


def _hub_jobs() -> list[PeriodicJob]:
    return [
        PeriodicJob("prune finished tasks", timedelta(hours=24), _prune_task_results),
        # As often as workers beat: a lost task waits at most the grace period and one beat.
        PeriodicJob(
            "requeue tasks of lost workers",
            timedelta(seconds=settings.KANTA_WORKER_HEARTBEAT_SECONDS),
            _requeue_lost_tasks,
        ),
    ]


# The hub's own housekeeping: the task queue's finished rows and its lost tasks.
PERIODIC_JOBS = _hub_jobs()
