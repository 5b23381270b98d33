"""The notifications page and the services behind the bell."""

from __future__ import annotations

import pytest
from django.urls import reverse

from membership.services.notifications import notification_send, notifications_mark_read

pytestmark = pytest.mark.django_db


def test_send_broadcasts_only_after_commit(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        notification_send(recipient=member, kind="badge", title="You earned Critic")
    assert len(callbacks) == 1


def test_notifications_page_lists_newest_first_and_marks_all_read(client, member, other_member):
    notification_send(recipient=member, kind="k", title="older")
    notification_send(recipient=member, kind="k", title="newer")
    notification_send(recipient=other_member, kind="k", title="not mine")
    client.force_login(member)
    response = client.get(reverse("membership:notifications"))
    content = response.content.decode()
    assert content.index("newer") < content.index("older")
    assert "not mine" not in content
    assert response.context["unread"] == 2

    response = client.post(reverse("membership:notifications_read_all"))
    assert response.status_code == 302
    assert member.notifications.filter(read_at__isnull=True).count() == 0
    assert other_member.notifications.filter(read_at__isnull=True).count() == 1


def test_mark_read_ignores_other_members_ids(member, other_member):
    theirs = notification_send(recipient=other_member, kind="k", title="theirs")
    changed, remaining = notifications_mark_read(member=member, ids=[theirs.pk])
    assert changed == []
    assert remaining == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_empty_state(client, member):
    client.force_login(member)
    response = client.get(reverse("membership:notifications"))
    assert b"Nothing here yet" in response.content


def test_page_query_count_does_not_grow_with_notifications(client, member, django_assert_max_num_queries):
    for index in range(40):
        notification_send(recipient=member, kind="k", title=f"n{index}")
    client.force_login(member)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("membership:notifications"))
    assert len(response.context["page_obj"].object_list) == 30


def test_each_send_carries_the_unread_count_its_insert_returned(member, other_member, monkeypatch):
    """The insert returns the count (membership/services/notifications.py): it leaves out read
    notifications and other members' ones, counts the new row once on SQLite and PostgreSQL
    alike, and sees earlier sends of the same transaction."""
    from django.db import transaction

    from membership.models import Notification
    from membership.services import notifications as service

    pushed: list[tuple[str, int]] = []
    monkeypatch.setattr(
        service,
        "send_notification_created",
        lambda notification, *, unread: pushed.append((notification.title, unread)),
    )
    notification_send(recipient=member, kind="k", title="read later")
    notifications_mark_read(member=member)
    notification_send(recipient=other_member, kind="k", title="someone else's")
    with transaction.atomic():
        first = notification_send(recipient=member, kind="k", title="first")
        notification_send(recipient=member, kind="k", title="second", savepoint=False)
    notification_send(recipient=member, kind="k", title="third")
    assert pushed == [("read later", 1), ("someone else's", 1), ("first", 1), ("second", 2), ("third", 3)]
    stored = Notification.objects.get(pk=first.pk)
    assert (stored.recipient, stored.title, stored.read_at) == (member, "first", None)
    assert stored.created_at == first.created_at
