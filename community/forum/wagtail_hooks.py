"""Wagtail admin hooks for the forum: the review queue, its dashboard panel, categories and
sanctions, the audit log actions of community/forum/services/moderation.py, and re-checking
open sockets when staff restrict who may read a category. Imported by
community/wagtail_hooks.py (Wagtail loads only that module name)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from community.forum import admin as forum_admin
from community.forum.access import can_moderate_forum
from community.forum.models import ForumCategory, ForumSanction
from community.forum.services import moderation
from community.log_actions import reasoned_formatter

register_permission_policy(ForumSanction, forum_admin.ViewOnlyPolicy(ForumSanction))
register_snippet(forum_admin.ForumGroup)


@hooks.register("register_admin_viewset")
def register_forum_review():
    return forum_admin.ForumReviewViewSet()


@hooks.register("construct_homepage_panels")
def forum_review_panel(request, panels):
    if can_moderate_forum(request.user):
        panels.append(forum_admin.ForumReviewPanel())


@hooks.register("after_edit_snippet")
def forum_category_access_changed(request, instance):
    if isinstance(instance, ForumCategory):
        moderation.category_access_changed(category=instance)


@hooks.register("register_log_actions")
def forum_log_actions(actions):
    for action, label, message in (
        (
            moderation.POST_AUTO_HIDE,
            _("Hide forum post (flags)"),
            _("Forum post hidden by flags"),
        ),
        (moderation.POST_HIDE, _("Hide forum post"), _("Forum post hidden")),
        (
            moderation.POST_UNHIDE,
            _("Show forum post again"),
            _("Forum post shown again"),
        ),
        (moderation.POST_APPROVE, _("Approve forum post"), _("Forum post approved")),
        (moderation.POST_REJECT, _("Reject forum post"), _("Forum post rejected")),
        (moderation.POST_DELETE, _("Delete forum post"), _("Forum post deleted")),
        (moderation.FLAGS_AGREE, _("Agree with flags"), _("Flags agreed with")),
        (
            moderation.FLAGS_DISAGREE,
            _("Disagree with flags"),
            _("Flags disagreed with"),
        ),
        (moderation.THREAD_LOCK, _("Lock thread"), _("Thread locked")),
        (moderation.THREAD_UNLOCK, _("Unlock thread"), _("Thread unlocked")),
        (moderation.THREAD_PIN, _("Pin thread"), _("Thread pinned")),
        (moderation.THREAD_UNPIN, _("Unpin thread"), _("Thread unpinned")),
        (
            moderation.THREAD_MOVE,
            _("Move thread"),
            _("Thread moved from %(from_category)s to %(to_category)s"),
        ),
        (
            moderation.THREAD_MERGE,
            _("Merge thread"),
            _("Thread merged into “%(target_title)s”"),
        ),
        (
            moderation.SANCTION,
            _("Silence or ban member"),
            _("@%(member)s %(kind)s until %(until)s"),
        ),
        (
            moderation.SANCTION_LIFT,
            _("Lift sanction"),
            _("Sanction of @%(member)s lifted"),
        ),
    ):
        actions.register_action(action)(reasoned_formatter(label, message))
