"""Wagtail admin hooks for live events: the Events report, the audit log actions of
community/events/services/live.py, and open rooms following their page (publishing or
unpublishing an event page re-checks who may stay in its room). Imported by
community/wagtail_hooks.py, where Wagtail looks for hooks."""

from __future__ import annotations

from django.dispatch import receiver
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet
from wagtail.signals import page_published, page_unpublished

from community.events import admin as event_admin
from community.events.access import can_moderate_events
from community.events.realtime import room_group
from community.events.services import live
from community.log_actions import reasoned_formatter
from content.events import EventPage
from hub.realtime import send_access_changed


class EventRunnersMenuItem(MenuItem):
    def is_shown(self, request):
        return can_moderate_events(request.user)


class EventReportViewSet(ViewSet):
    name = "event_report"
    url_prefix = "event-report"
    icon = "date"
    menu_label = _("Event figures")
    menu_order = 290
    add_to_admin_menu = True
    menu_item_class = EventRunnersMenuItem

    def get_urlpatterns(self):
        return [path("", event_admin.EventReportView.as_view(), name="index")]


@hooks.register("register_admin_viewset")
def register_event_report():
    return EventReportViewSet()


@hooks.register("register_log_actions")
def event_log_actions(actions):
    for action, label, message in (
        (live.QUESTION_APPROVE, _("Approve question"), _("Question approved in “%(event_title)s”")),
        (live.QUESTION_DISMISS, _("Dismiss question"), _("Question dismissed in “%(event_title)s”")),
        (live.QUESTION_ANSWERED, _("Mark question answered"), _("Question answered in “%(event_title)s”")),
        (live.QUESTION_HIGHLIGHT, _("Highlight question"), _("Question highlighted in “%(event_title)s”")),
        (
            live.QUESTION_UNHIGHLIGHT,
            _("Stop highlighting question"),
            _("Highlight removed in “%(event_title)s”"),
        ),
        (live.QUESTION_REOPEN, _("Reopen question"), _("Question reopened in “%(event_title)s”")),
        (live.CHAT_DELETE, _("Delete chat message"), _("Chat message by @%(author)s deleted")),
        (live.MEMBER_MUTE, _("Mute member in a live room"), _("@%(member)s muted for %(minutes)s minutes")),
    ):
        actions.register_action(action)(reasoned_formatter(label, message))


# --- open rooms follow their page -------------------------------------------------------------
@receiver(page_published, sender=EventPage, dispatch_uid="community.event_room_access_published")
@receiver(page_unpublished, sender=EventPage, dispatch_uid="community.event_room_access_unpublished")
def event_room_access_changed(sender, instance, **kwargs):
    # A raised tier or a page taken down: every socket in the room checks again (4403, 4404).
    send_access_changed(group=room_group(instance.pk))
