"""The forum's periodic work, run by `manage.py run_worker`."""

from datetime import timedelta

from hub.jobs import PeriodicJob

from .services.forum_notifications import digest_send_due

PERIODIC_JOBS = [
    # Hourly, but each member gets at most one digest a day (ForumPreferences.digest_sent_at).
    PeriodicJob("forum email digest", timedelta(hours=1), lambda: digest_send_due()),
]
