"""Community's part of the demo world (the plug-in hub/demo.py loads): product reviews, then
the forum, then the live events. Runs after content (products) and membership (members,
orders), through the same services members and moderators use; seeding again adds nothing.
"""

from __future__ import annotations

from community.demo import events, forum, reviews
from hub.demo import DemoContext, DemoLogin


def baseline(apps) -> None:
    reviews.baseline(apps)


def seed(ctx: DemoContext) -> None:
    reviews.seed_reviews(ctx)
    forum.seed_forum(ctx)
    events.seed_events(ctx)


def refresh(ctx: DemoContext) -> None:
    """On every `make run`: the live Q&A is live when the demo starts, and the forum's digests
    stay quiet."""
    events.refresh_events(ctx)
    forum.refresh_forum(ctx)


def logins() -> list[DemoLogin]:
    return events.logins()
