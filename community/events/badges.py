"""Live event badges: Front Row. The counter is one query. The registry is
membership/badge_registry.py."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from community.events.models import EventAttendance
from membership.badge_registry import BadgeDefinition, register_badge

# In the catalogue: last, after the reviews' and the forum's badges.
BADGE_ORDER = 130


def _events_attended(member) -> int:
    # An event counts once its attendance qualified (KANTA_EVENT_ATTENDANCE_MINUTES in the room).
    return EventAttendance.objects.filter(member=member, qualified_at__isnull=False).count()


register_badge(
    BadgeDefinition(
        key="front-row",
        name=_("Front Row"),
        description=_("Comes to live events and stays for them."),
        thresholds=(1, 5, 20),
        unit=ngettext_lazy("%(count)s live event attended", "%(count)s live events attended", "count"),
        counter=_events_attended,
        events=frozenset({"event.attended"}),
        icon="calendar",
        order=BADGE_ORDER,
    )
)
