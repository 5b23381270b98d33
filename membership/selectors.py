"""Reads about members and their notifications, with visibility rules built in."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Notification, User


def member_get_public(*, username: str) -> User | None:
    """An active member by username (case-insensitive), or None."""
    return User.objects.filter(username__iexact=username, is_active=True).first()


def notifications_for(*, member: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=member).order_by("-id")


def notifications_since(*, member: User, since: int, limit: int = 100) -> list[Notification]:
    """Notifications newer than ``since``, oldest first, for a reconnecting socket."""
    return list(Notification.objects.filter(recipient=member, pk__gt=since).order_by("pk")[:limit])


def notifications_unread_count(*, member: User) -> int:
    return Notification.objects.filter(recipient=member, read_at__isnull=True).count()


def notifications_latest_id(*, member: User) -> int:
    latest = (
        Notification.objects.filter(recipient=member).order_by("-pk").values_list("pk", flat=True).first()
    )
    return latest or 0
