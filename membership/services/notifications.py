"""Every write to notifications: create-and-push, and marking read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from ..models import Notification, User
from ..realtime import send_notification_created, send_notifications_read
from ..selectors import notifications_unread_count


def notification_send(
    *,
    recipient: User,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    savepoint: bool = True,
) -> Notification:
    """Store a notification and push it to the member's open tabs after commit.

    ``savepoint=False`` is for a caller already in a transaction that rolls all of it back
    when this fails (the campaign sender: two statements fewer per message)."""
    with transaction.atomic(savepoint=savepoint):
        notification = Notification.objects.create(
            recipient=recipient, kind=kind, title=title[:200], body=body, url=url[:500]
        )
        unread = _unread_after_insert(recipient)
        send_notification_created(notification, unread=unread)
        _unread_remember(recipient, unread)
    return notification


# The unread count pushed with each new notification. One request often notifies the same
# member more than once (a new order's points and the badge it earned): the first
# notification counts, the next ones in the same transaction add one instead of counting
# again. Per connection, one slot: (member id, the broadcast's on-commit callback, count).
# While that callback is still pending the transaction has not ended; once it has run, or
# was discarded with a rolled-back savepoint, the next notification counts afresh.
_UNREAD_SLOT = "_kanta_unread_slot"


def _unread_after_insert(recipient: User) -> int:
    connection = transaction.get_connection()
    slot: tuple[int, Callable[[], None], int] | None = connection.__dict__.get(_UNREAD_SLOT)
    if slot is not None and slot[0] == recipient.pk and _pending(connection, slot[1]):
        return slot[2] + 1
    return notifications_unread_count(member=recipient)


def _unread_remember(recipient: User, unread: int) -> None:
    """Called right after the broadcast was handed to on_commit: its callback is the last."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and connection.run_on_commit:
        connection.__dict__[_UNREAD_SLOT] = (recipient.pk, connection.run_on_commit[-1][1], unread)


def _pending(connection: Any, marker: Callable[[], None]) -> bool:
    return any(func is marker for _sids, func, _robust in connection.run_on_commit)


def _unread_forget() -> None:
    """Read notifications change the count: the next send counts again."""
    transaction.get_connection().__dict__.pop(_UNREAD_SLOT, None)


@transaction.atomic
def notifications_mark_read(*, member: User, ids: list[int] | None = None) -> tuple[list[int], int]:
    """Mark the member's notifications read (all unread ones when ``ids`` is None).

    Returns the ids that changed and the unread count afterwards. Ids belonging to other
    members are ignored rather than reported, so the answer leaks nothing about them.
    """
    unread = Notification.objects.filter(recipient=member, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    changed = list(unread.values_list("pk", flat=True))
    if changed:
        Notification.objects.filter(pk__in=changed).update(read_at=timezone.now())
        _unread_forget()
    remaining = notifications_unread_count(member=member)
    if changed:
        send_notifications_read(member_id=member.pk, ids=changed, unread=remaining)
    return changed, remaining


def notification_open(*, member: User, notification_id: int) -> str | None:
    """Mark one of the member's notifications read because they opened it; every open tab
    hears ``notification.read`` (after commit, and not at all while the channel layer is
    down: the read is saved either way). Returns where the notification leads ("" for
    nowhere), or None when the member has no such notification.

    Only a same-site path is followed: a stored URL is data, and the redirect that uses
    this must never become an open redirect."""
    url = (
        Notification.objects.filter(recipient=member, pk=notification_id)
        .values_list("url", flat=True)
        .first()
    )
    if url is None:
        return None
    notifications_mark_read(member=member, ids=[notification_id])
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts=None) and url.startswith("/"):
        return url
    return ""
