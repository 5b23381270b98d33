"""Settings for ``run_worker`` processes that tests start: the test settings with the
database queue (the test settings run tasks inline) and heartbeats quick enough that a killed
worker is called lost within about a second."""

from hub.settings.test import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
KANTA_WORKER_HEARTBEAT_SECONDS = 0.2
KANTA_WORKER_LOST_AFTER_SECONDS = 1
