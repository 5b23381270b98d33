"""Wagtail admin: the review moderation queue and its audit log actions."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet
from wagtail.log_actions import LogFormatter

from community.reviews import admin as admin_views
from community.reviews.access import can_moderate_reviews
from community.reviews.services.moderation import APPROVE, REJECT, REMOVE


class ModeratorsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_moderate_reviews(request.user)


class ReviewModerationViewSet(ViewSet):
    name = admin_views.URL_NAMESPACE
    url_prefix = "reviews"
    icon = "comment"
    menu_label = gettext_lazy("Reviews")
    menu_order = 270
    add_to_admin_menu = True
    menu_item_class = ModeratorsMenuItem

    def get_urlpatterns(self):
        return [
            path("", admin_views.ModerationQueueView.as_view(), name="queue"),
            *(
                path(f"<int:pk>/{action}/", admin_views.moderate, {"action": action}, name=action)
                for action in ("approve", "reject", "remove")
            ),
        ]


@hooks.register("register_admin_viewset")
def register_review_moderation():
    return ReviewModerationViewSet()


@hooks.register("construct_homepage_panels")
def review_queue_panel(request, panels):
    if can_moderate_reviews(request.user):
        panels.append(admin_views.ReviewQueuePanel())


@hooks.register("register_log_actions")
def review_log_actions(actions):
    actions.register_action(APPROVE, gettext_lazy("Approve review"), gettext_lazy("Review approved"))

    @actions.register_action(REJECT)
    class RejectReview(LogFormatter):
        label = gettext_lazy("Reject review")

        def format_message(self, log_entry):
            return _("Review rejected: %(reason)s") % {"reason": log_entry.data.get("reason", "")}

    @actions.register_action(REMOVE)
    class RemoveReview(LogFormatter):
        label = gettext_lazy("Remove review")

        def format_message(self, log_entry):
            points = log_entry.data.get("points_reversed", 0)
            return ngettext(
                "Review removed (%(points)s point reversed): %(reason)s",
                "Review removed (%(points)s points reversed): %(reason)s",
                points,
            ) % {
                "reason": log_entry.data.get("reason", ""),
                "points": points,
            }
