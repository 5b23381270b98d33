import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from hub.jobs import periodic_jobs, run_job


class Command(BaseCommand):
    help = "Run the apps' periodic jobs (approving pending points, expiry, warnings) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")
        parser.add_argument("--tick", type=float, default=5.0, help="Seconds between schedule checks.")

    def handle(self, *args, once: bool, tick: float, **options):
        jobs = periodic_jobs()
        if once:
            failures = sum(not run_job(job) for job in jobs)
            self.stdout.write(f"Ran {len(jobs)} job(s), {failures} failed.")
            return
        stopping = threading.Event()

        def stop(signum, frame):
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Worker started: {', '.join(f'{j.name} every {j.every}' for j in jobs)}")
        next_run = {job.name: 0.0 for job in jobs}
        while not stopping.is_set():
            now = time.monotonic()
            for job in jobs:
                if now >= next_run[job.name]:
                    close_old_connections()
                    run_job(job)
                    next_run[job.name] = now + job.every.total_seconds()
            stopping.wait(tick)  # wakes at once on SIGTERM
        self.stdout.write("Worker stopped.")
