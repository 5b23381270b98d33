"""The Wagtail admin's Events report: per event, RSVPs, attendance, questions, votes and
chat, for hosts, moderators and staff (community.moderate_events)."""

from __future__ import annotations

import csv

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.auth import permission_denied
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from community.events.access import can_moderate_events
from community.events.selectors import event_stats, events_for_staff
from content.events import EventPhase

COLUMNS = [
    ("going", gettext_lazy("Going")),
    ("waitlisted", gettext_lazy("Waitlist")),
    ("attendees", gettext_lazy("In the room")),
    ("qualified", gettext_lazy("Attended")),
    ("minutes", gettext_lazy("Minutes in the room")),
    ("questions", gettext_lazy("Questions")),
    ("answered", gettext_lazy("Answered")),
    ("votes", gettext_lazy("Votes")),
    ("chat", gettext_lazy("Chat messages")),
]


class EventReportView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "community/events/admin/event_report.html"
    page_title = gettext_lazy("Events")
    header_icon = "date"

    def dispatch(self, request, *args, **kwargs):
        if not can_moderate_events(request.user):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def _rows(self):
        phase = self.request.GET.get("phase", "")
        if phase not in EventPhase.values:
            phase = ""
        events = events_for_staff(phase=phase)
        stats = event_stats(events=events)
        return phase, [(event, stats[event.pk]) for event in events]

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            return self._csv()
        return super().get(request, *args, **kwargs)

    def _csv(self) -> HttpResponse:
        _phase, rows = self._rows()
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="events-{timezone.localdate():%Y-%m-%d}.csv"'
        writer = csv.writer(response)
        writer.writerow([_("Event"), _("Starts"), *[str(label) for _key, label in COLUMNS]])
        for event, figures in rows:
            writer.writerow(
                [event.title, event.starts_at.isoformat(), *[figures[key] for key, _label in COLUMNS]]
            )
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        phase, rows = self._rows()
        context.update(
            phase=phase,
            phases=[("", _("All")), *EventPhase.choices],
            columns=COLUMNS,
            rows=[(event, [figures[key] for key, _label in COLUMNS]) for event, figures in rows],
        )
        return context
