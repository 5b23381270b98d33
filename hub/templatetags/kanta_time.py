"""How long ago something happened, in words a reader expects.

``{{ post.created_at|kanta_timesince }}`` reads "just now" under a minute (Django's
``timesince`` says "0 minutes"), then "5 minutes ago", "3 hours ago", "2 days ago" with the
language's plural forms, and the full date and time after a week. hub/static/hub/dates.js
(``KantaDates.relative``) says exactly the same in the browser, from the same messages.

Wrap it in ``<time datetime="{{ value|date:'c' }}">`` so the exact moment stays readable.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.translation import gettext, ngettext

register = template.Library()

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def _datetime(value: datetime) -> str:
    return date_filter(timezone.localtime(value) if timezone.is_aware(value) else value, "DATETIME_FORMAT")


def relative_time(value: datetime | None, now: datetime | None = None) -> str:
    """The phrase for ``value`` seen at ``now`` (default: the current time)."""
    if not value:
        return ""
    now = now or timezone.now()
    if timezone.is_naive(value) and timezone.is_aware(now):
        value = timezone.make_aware(value)
    age = now - value
    if abs(age) < MINUTE:
        # A clock a few seconds apart from the database's still reads "just now".
        return gettext("just now")
    if age < MINUTE:
        # The future: no "in 5 minutes" on this site, the moment itself is clearer.
        return _datetime(value)
    if age < HOUR:
        count = age // MINUTE
        return ngettext("%(count)s minute ago", "%(count)s minutes ago", count) % {"count": count}
    if age < DAY:
        count = age // HOUR
        return ngettext("%(count)s hour ago", "%(count)s hours ago", count) % {"count": count}
    if age < WEEK:
        count = age // DAY
        return ngettext("%(count)s day ago", "%(count)s days ago", count) % {"count": count}
    return _datetime(value)


@register.filter(expects_localtime=False, is_safe=False)
def kanta_timesince(value: datetime | None, now: datetime | None = None) -> str:
    """``{{ value|kanta_timesince }}``: "just now", "5 minutes ago", … then the datetime."""
    return relative_time(value, now)
