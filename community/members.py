"""What the community's features ask about a member that is not membership's business."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from membership.models import User


def is_new_member(member: User, *, now: datetime) -> bool:
    """Joined within ``KANTA_FORUM_NEW_MEMBER_HOURS``: such members post more slowly in the
    forum and chat more slowly in live rooms, and their first links wait for a moderator."""
    return member.date_joined > now - timedelta(hours=settings.KANTA_FORUM_NEW_MEMBER_HOURS)
