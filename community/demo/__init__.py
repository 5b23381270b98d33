"""Community's part of the demo world (the plug-in hub/demo.py loads): product reviews
(reviews.py), then the forum (forum.py), then the live events (events.py); what check_demo
verifies of them is in checks.py. Runs after content (products) and membership (members,
orders), through the same services members and moderators use; seeding again adds nothing.
"""

from __future__ import annotations

from community.demo import checks, events, forum, reviews
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


def check() -> list[str]:
    return checks.check()
