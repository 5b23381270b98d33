"""The forum's periodic work, run by `manage.py run_worker`."""

from datetime import timedelta

from community.forum.services.notifications import digest_send_due
from hub.jobs import PeriodicJob

PERIODIC_JOBS = [
    # Hourly, but each member gets at most one digest a day (ForumPreferences.digest_sent_at).
    PeriodicJob("forum email digest", timedelta(hours=1), lambda: digest_send_due()),
]
