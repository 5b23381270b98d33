"""The forum email digest: unread forum notifications, at most once a day, and it can be turned off."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from community.models import ForumPreferences
from community.services.forum_notifications import digest_send_due
from membership.services.notifications import notifications_mark_read

from .forum_factories import forum_member, make_category, reply, start_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def watched_reply(django_capture_on_commit_callbacks):
    category = make_category()
    aino = forum_member("aino")
    thread = start_thread(aino, category, title="Tubeless on gravel tyres?")
    with django_capture_on_commit_callbacks(execute=True):
        reply(forum_member("eero"), thread, body="Yes, with a good sealant. Ask @aino too.")
    return aino


def test_digest_lists_unread_forum_notifications_once_a_day(
    watched_reply, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send_due() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["aino@example.com"]
    assert "Tubeless on gravel tyres?" in message.body
    assert "/forum/preferences/" in message.body
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send_due() == 0  # already sent today
    later = timezone.now() + timedelta(hours=25)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert digest_send_due() == 0  # nothing new and unread in the last day
    assert len(mail.outbox) == 1


def test_no_digest_when_turned_off_or_already_read(watched_reply, django_capture_on_commit_callbacks):
    ForumPreferences.objects.create(member=watched_reply, email_digest=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send_due() == 0
    ForumPreferences.objects.filter(member=watched_reply).update(email_digest=True)
    notifications_mark_read(member=watched_reply, ids=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send_due() == 0
    assert mail.outbox == []
