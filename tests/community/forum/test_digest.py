"""The forum email digest: unread forum notifications, at most once a day, and it can be turned off."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from community.forum.services.notifications import digest_send_due
from community.models import ForumPreferences
from membership.services.notifications import notifications_mark_read
from tests.community.forum_factories import forum_member, make_category, reply, start_thread

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


def test_digest_tells_of_replies_mentions_quotes_and_answers_but_not_to_who_turned_it_off(
    django_capture_on_commit_callbacks,
):
    from community.forum.services.posts import answer_accept

    qa = make_category("skiing", is_qa=True)
    aino, eero, sanna = forum_member("aino"), forum_member("eero"), forum_member("sanna")
    thread = start_thread(aino, qa, title="Which wax for minus ten?")
    with django_capture_on_commit_callbacks(execute=True):
        answer = reply(eero, thread, body="Swix V40, no question.")
        quote = (
            f"> [@eero wrote]({answer.get_absolute_url()}):\n> Swix V40\n\nAgreed. @aino, try klister too."
        )
        reply(sanna, thread, body=quote)
        answer_accept(post=answer, actor=aino)
        reply(eero, thread, body="Glad it worked out.")  # sanna now watches: a reply for her
    ForumPreferences.objects.create(member=sanna, email_digest=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send_due() == 2
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert set(bodies) == {"aino@example.com", "eero@example.com"}  # not sanna
    assert "eero replied in “Which wax for minus ten?”" in bodies["aino@example.com"]
    assert "sanna mentioned you in “Which wax for minus ten?”" in bodies["aino@example.com"]
    assert "sanna quoted you in “Which wax for minus ten?”" in bodies["eero@example.com"]
    assert "Your answer in “Which wax for minus ten?” was accepted" in bodies["eero@example.com"]
    assert f"http://testserver{answer.get_absolute_url()}" in bodies["eero@example.com"]


def test_a_worker_that_was_down_for_days_still_sends_what_came_since_the_last_digest(
    watched_reply, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send_due() == 1  # the first reply
    category_thread = watched_reply.forum_threads.get()
    later = timezone.now() + timedelta(hours=2)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        reply(forum_member("liisa"), category_thread, body="Sealant every six months.")
    # The worker comes back three days later: the reply of two hours after the last digest
    # is older than a day, and still goes out, once (to aino, and to eero, who watches the
    # thread since he replied); aino's first reply does not come again.
    with time_machine.travel(later + timedelta(days=3), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert digest_send_due() == 2
        assert digest_send_due() == 0
    to_aino = [message for message in mail.outbox if message.to == ["aino@example.com"]]
    assert len(to_aino) == 2
    assert "liisa" in to_aino[1].body and "eero" not in to_aino[1].body
