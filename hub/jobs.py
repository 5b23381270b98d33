"""Periodic jobs: each app declares ``PERIODIC_JOBS`` in its ``jobs.py``; ``run_worker`` runs
them. Jobs must be idempotent and safe to run from several workers at once (the ledger's
are: every write takes a row lock and has a unique key)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from hub.apps_modules import app_submodules

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
    logger.info("periodic job %s: %s", job.name, result)
    return True


def _prune_task_results() -> str:
    from hub.task_queue import task_results_prune

    return task_results_prune()


# The hub's own housekeeping: the task queue's finished rows.
PERIODIC_JOBS = [PeriodicJob("prune finished tasks", timedelta(hours=24), _prune_task_results)]
