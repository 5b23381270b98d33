"""Every write to notifications: create-and-push, and marking read."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

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
        notification = Notification(
            recipient=recipient,
            kind=kind,
            title=title[:200],
            body=body,
            url=url[:500],
            created_at=timezone.now(),
        )
        _insert(notification)
        send_notification_created(notification, unread=notifications_unread_count(member=recipient))
    return notification


def _insert(notification: Notification) -> None:
    """``notification.save()`` as one prepared INSERT: campaigns send hundreds a second, and
    compiling the ORM's insert cost more than running it. The model has no save() of its own
    and no signal receivers; ``created_at`` is set by the caller (what auto_now_add does)."""
    if not connection.features.can_return_columns_from_insert:
        notification.save(force_insert=True)
        return
    meta = Notification._meta
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    columns = ", ".join(quote(str(field.column)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    pk = quote(str(meta.pk.column)) if meta.pk else "id"
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) RETURNING {pk}"  # noqa: S608 (names from the model, quoted)
    params = [field.get_db_prep_save(getattr(notification, field.attname), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    notification.pk = row[0]
    notification._state.adding = False
    notification._state.db = connection.alias


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
