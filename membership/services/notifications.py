"""Every write to notifications: create-and-push, and marking read."""

from __future__ import annotations

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
        notification, unread = _insert_counting(
            Notification(recipient=recipient, kind=kind, title=title[:200], body=body, url=url[:500])
        )
        send_notification_created(notification, unread=unread)
    return notification


# The insert brings back the member's unread count with the new row: one statement where an
# insert and a COUNT were two on every notification. The count leaves the new row out and
# adds it back (``id <> new id``, then 1 +), because the RETURNING subquery sees the row on
# SQLite and does not on PostgreSQL (it reads the snapshot taken before the statement).
_INSERT_COUNTING = (
    "INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING {pk}, 1 + ("
    "SELECT COUNT(*) FROM {table} AS other WHERE other.{recipient} = {table}.{recipient} "
    "AND other.{read_at} IS NULL AND other.{pk} <> {table}.{pk})"
)


def _insert_counting(notification: Notification) -> tuple[Notification, int]:
    """Insert ``notification`` (unread) and return it with the recipient's unread count."""
    connection = transaction.get_connection()
    meta = Notification._meta
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    params = [field.get_db_prep_save(field.pre_save(notification, True), connection) for field in fields]
    sql = _INSERT_COUNTING.format(
        table=quote(meta.db_table),
        columns=", ".join(quote(field.column) for field in fields),
        values=", ".join(["%s"] * len(fields)),
        pk=quote(meta.pk.column),
        recipient=quote(meta.get_field("recipient").column),
        read_at=quote(meta.get_field("read_at").column),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pk, unread = cursor.fetchone()
    notification.pk = pk
    notification._state.adding = False
    return notification, unread


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
