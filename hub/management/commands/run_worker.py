"""``manage.py run_worker``: the one background process, running queued tasks as they arrive
and the apps' periodic jobs (hub/jobs.py) on their schedule; a heartbeat thread lets other
workers requeue its tasks if it dies (hub/task_queue.py)."""

import logging
import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from hub.jobs import periodic_jobs, run_job
from hub.task_queue import Heartbeat, queue_uses_database, queued_tasks_run

logger = logging.getLogger(__name__)
# Tasks run per tick at most, so a flood of them cannot starve the periodic jobs.
TASKS_PER_TICK = 200


class Command(BaseCommand):
    help = (
        "Run queued background tasks (notifications, search indexing) as they arrive and the "
        "apps' periodic jobs (pending points, expiry, reminders) on their schedule, until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Run queued tasks and every job once, then exit."
        )
        parser.add_argument(
            "--tick", type=float, default=1.0, help="Seconds between looking for queued tasks and due jobs."
        )

    def handle(self, *args, once: bool, tick: float, **options):
        # The heartbeat lets /healthz see this worker, and lets the other workers tell a long
        # task of this one from a task lost with a worker that died.
        with Heartbeat():
            self._run(once=once, tick=tick)

    def _run(self, *, once: bool, tick: float) -> None:
        jobs = periodic_jobs()
        if once:
            # Tasks may queue more tasks: run until none is ready.
            ran = total = queued_tasks_run()
            while ran:
                ran = queued_tasks_run()
                total += ran
            ran = total
            failures = sum(not run_job(job) for job in jobs)
            self.stdout.write(f"Ran {ran} queued task(s) and {len(jobs)} job(s), {failures} failed.")
            return
        stopping = threading.Event()

        def stop(signum, frame):
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        queue = "the task queue and " if queue_uses_database() else ""
        self.stdout.write(f"Worker started: {queue}{', '.join(f'{j.name} every {j.every}' for j in jobs)}")
        next_run = {job.name: 0.0 for job in jobs}
        while not stopping.is_set():
            close_old_connections()
            try:
                ran = queued_tasks_run(limit=TASKS_PER_TICK)
            except Exception:
                # A database outage must not end the worker: log it and look again next tick.
                logger.exception("could not read the task queue; retrying")
                ran = 0
            now = time.monotonic()
            for job in jobs:
                if stopping.is_set():
                    break
                if now >= next_run[job.name]:
                    close_old_connections()
                    run_job(job)
                    next_run[job.name] = now + job.every.total_seconds()
            if ran < TASKS_PER_TICK:
                stopping.wait(tick)  # wakes at once on SIGTERM
        self.stdout.write("Worker stopped.")
