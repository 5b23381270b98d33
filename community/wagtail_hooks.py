"""Wagtail discovers hooks only in ``<app>.wagtail_hooks``: importing each feature's hooks
module here registers them (the review queue, the forum's queue, the events report)."""

from community.events import wagtail_hooks as events_hooks
from community.forum import wagtail_hooks as forum_hooks
from community.reviews import wagtail_hooks as reviews_hooks

__all__ = ["events_hooks", "forum_hooks", "reviews_hooks"]
