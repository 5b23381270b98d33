"""Settings of the ``run_worker`` processes that test_send_kill.py starts: the worker test
settings (database queue, quick heartbeats) with one file per email sent."""

from tests.hub.worker_settings import *  # noqa: F403

EMAIL_BACKEND = "tests.membership.campaigns.outbox_mail.OutboxBackend"
