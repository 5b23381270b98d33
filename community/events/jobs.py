"""Live events' periodic work, run by `manage.py run_worker`: reminders (24 h and 15 min
before, each once), the "it's live" push when a room opens, places freed by a larger capacity,
and the recap draft once an event ends."""

from datetime import timedelta

from community.events.services.rsvps import (
    event_live_announce,
    event_recaps_create_due,
    event_reminders_send,
    waitlists_promote_due,
)
from hub.jobs import PeriodicJob

PERIODIC_JOBS = [
    PeriodicJob("event reminders", timedelta(minutes=1), lambda: event_reminders_send()),
    PeriodicJob("event rooms open", timedelta(minutes=1), lambda: event_live_announce()),
    PeriodicJob("event waitlists", timedelta(minutes=5), lambda: waitlists_promote_due()),
    PeriodicJob("event recaps", timedelta(minutes=5), lambda: event_recaps_create_due()),
]
