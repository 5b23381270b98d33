"""The live room's services: asking (premoderation, labels, limits), exact votes (batches,
withdrawals, own questions, concurrency), the runners' actions with their audit log, chat
rate limits with frozen time, deleting and muting."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from wagtail.models import ModelLogEntry

from community.events.services import live
from community.events.services.live import VoteChange, question_votes_apply
from community.models import EventChatMessage, EventQuestion, EventQuestionVote, LiveRoom, RoomActivity
from content.events import EventAccess
from hub.rate_limits import RateLimited
from membership.models import Order, OrderLine
from tests.community.event_factories import make_event, make_host
from tests.community.forum_factories import forum_member
from tests.conftest import run_in_threads
from tests.content.conftest import make_product
from tests.factories import make_member

pytestmark = pytest.mark.django_db

State = EventQuestion.State


@pytest.fixture
def moderator():
    return make_member("ville", display_name="Ville Koskinen", groups=["Moderators"])


@pytest.fixture
def vips():
    return [forum_member(name, tier="vip") for name in ("aino", "eero", "liisa")]


def test_a_vip_asks_and_the_question_is_open_with_its_labels(vips):
    product = make_product()
    event = make_event()
    event.products.add(product)
    event.save()
    order = Order.objects.create(
        external_id="o-1",
        member=vips[0],
        email=vips[0].email,
        status="paid",
        currency="EUR",
        original_total=100,
        total=100,
        created_at=timezone.now(),
    )
    OrderLine.objects.create(order=order, sku=product.sku, product=product, quantity=1, price=100)

    question = live.question_ask(member=vips[0], event=event, body="  How   often do I wax? ")

    assert question.body == "How often do I wax?" and question.state == State.OPEN
    assert question.author_is_vip and question.author_is_owner
    assert RoomActivity.objects.get().question == question
    other = live.question_ask(member=vips[1], event=event, body="Skins or wax?")
    assert other.author_is_vip and not other.author_is_owner


def test_premoderated_questions_wait_except_the_runners_own(vips, moderator):
    event = make_event(premoderated=True)
    assert live.question_ask(member=vips[0], event=event, body="A waiting question?").state == State.PENDING
    assert (
        live.question_ask(member=moderator, event=event, body="Moderators go straight in").state == State.OPEN
    )


def test_who_may_ask(vips):
    event = make_event(tier="vip")
    gold = forum_member("juha", tier="gold")
    with pytest.raises(PermissionDenied):
        live.question_ask(member=gold, event=event, body="Can I ask too?")
    later = make_event(title="Next week", starts_at=timezone.now() + timedelta(days=7))
    with pytest.raises(PermissionDenied, match="opens"):
        live.question_ask(member=vips[0], event=later, body="Too early?")
    over = make_event(title="Last week", starts_at=timezone.now() - timedelta(days=7))
    with pytest.raises(PermissionDenied, match="over"):
        live.question_ask(member=vips[0], event=over, body="Too late?")
    assert not EventQuestion.objects.exists()


def test_events_with_places_are_for_those_going(vips):
    from community.events.services.rsvps import rsvp_set

    event = make_event(capacity=1, starts_at=timezone.now() + timedelta(days=1))
    rsvp_set(member=vips[0], event=event, going=True)
    with time_machine.travel(event.starts_at + timedelta(minutes=1)):
        live.question_ask(member=vips[0], event=event, body="I have a place")
        with pytest.raises(PermissionDenied, match="RSVP"):
            live.question_ask(member=vips[1], event=event, body="I did not RSVP")


def test_bad_questions_are_refused_with_a_reason_and_nothing_is_stored(vips):
    event = make_event()
    # Issue 15: every refusal names the rule, with the length of what was typed.
    with pytest.raises(ValidationError, match=r"A question is 3 to 300 characters; yours has 0\."):
        live.question_ask(member=vips[0], event=event, body="  ")
    with pytest.raises(ValidationError, match=r"A question is 3 to 300 characters; yours has 2\."):
        live.question_ask(member=vips[0], event=event, body="ok")
    with pytest.raises(ValidationError, match=r"A question is 3 to 300 characters; yours has 301\."):
        live.question_ask(member=vips[0], event=event, body="x" * 301)
    live.question_ask(member=vips[0], event=event, body="Wax or skins?")
    with pytest.raises(ValidationError, match="asked this already"):
        live.question_ask(member=vips[0], event=event, body="wax or SKINS?")
    assert EventQuestion.objects.count() == 1


def test_questions_are_rate_limited_per_member(vips, settings):
    settings.KANTA_EVENT_QUESTION_RATE = (2, 600)
    event = make_event()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        live.question_ask(member=vips[0], event=event, body="First question")
        live.question_ask(member=vips[0], event=event, body="Second question")
        with pytest.raises(RateLimited, match="600 seconds"):
            live.question_ask(member=vips[0], event=event, body="Third question")
    with time_machine.travel(start + timedelta(seconds=601), tick=False):
        live.question_ask(member=vips[0], event=event, body="Third question")


# --- votes -----------------------------------------------------------------------------------


def test_votes_are_counted_exactly_and_once_per_member(vips):
    event = make_event()
    question = live.question_ask(member=vips[0], event=event, body="Wax or skins?")
    changes = [
        VoteChange(vips[1].pk, question.pk, True),
        VoteChange(vips[1].pk, question.pk, True),  # twice: one vote
        VoteChange(vips[2].pk, question.pk, True),
        VoteChange(vips[2].pk, question.pk, False),  # and taken back in the same batch
        VoteChange(vips[0].pk, question.pk, True),  # the asker
    ]
    results = question_votes_apply(event=event, changes=changes)

    assert [(r.ok, r.voted) for r in results[:4]] == [(True, True), (True, True), (True, True), (True, False)]
    assert results[4].code == "own_question" and not results[4].ok
    assert all(r.votes == 1 for r in results)
    question.refresh_from_db()
    assert question.vote_count == 1 == EventQuestionVote.objects.count()


def test_only_open_questions_take_votes_and_only_from_those_allowed(vips, moderator):
    event = make_event()
    question = live.question_ask(member=vips[0], event=event, body="Wax or skins?")
    gold = forum_member("juha", tier="gold")
    (refused,) = question_votes_apply(event=event, changes=[VoteChange(gold.pk, question.pk, True)])
    assert refused.code == "forbidden"
    live.question_moderate(moderator=moderator, question=question, action="answered")
    (closed,) = question_votes_apply(event=event, changes=[VoteChange(vips[1].pk, question.pk, True)])
    assert closed.code == "closed"
    (missing,) = question_votes_apply(event=event, changes=[VoteChange(vips[1].pk, 999_999, True)])
    assert missing.code == "not_found"
    assert EventQuestionVote.objects.count() == 0


def test_question_vote_without_javascript_applies_and_refuses_plainly(vips):
    event = make_event()
    question = live.question_ask(member=vips[0], event=event, body="Wax or skins?")
    assert live.question_vote(member=vips[1], question=question, on=True).votes == 1
    assert live.question_vote(member=vips[1], question=question, on=False).votes == 0
    with pytest.raises(ValidationError, match="own question"):
        live.question_vote(member=vips[0], question=question, on=True)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_vote_batches_keep_the_count_equal_to_the_votes(migrated_rows):
    event = make_event()
    asker = forum_member("asker", tier="vip")
    voters = [forum_member(f"v{n}", tier="vip") for n in range(24)]
    questions = [live.question_ask(member=asker, event=event, body=f"Question number {n}") for n in range(3)]

    def batch(n: int):
        # Six overlapping batches: each member votes on every question, then takes one back.
        mine = voters[n * 4 : n * 4 + 4]
        changes = [VoteChange(m.pk, q.pk, True) for m in mine for q in questions]
        changes += [VoteChange(m.pk, questions[0].pk, False) for m in mine[:2]]
        return question_votes_apply(event=event, changes=changes)

    _results, errors = run_in_threads(6, batch)

    assert errors == []
    for question in questions:
        question.refresh_from_db()
        assert question.vote_count == EventQuestionVote.objects.filter(question=question).count()
    assert [q.vote_count for q in questions] == [12, 24, 24]


# --- the runners -----------------------------------------------------------------------------


def test_runners_approve_highlight_answer_and_every_action_is_logged(vips, moderator):
    event = make_event(premoderated=True)
    question = live.question_ask(member=vips[0], event=event, body="Wax or skins?")
    live.question_moderate(moderator=moderator, question=question, action="approve")
    live.question_moderate(moderator=moderator, question=question, action="highlight")
    assert LiveRoom.objects.get(pk=event.pk).highlighted_id == question.pk
    other = live.question_ask(member=vips[1], event=event, body="Klister?")
    live.question_moderate(moderator=moderator, question=other, action="approve")
    live.question_moderate(moderator=moderator, question=other, action="highlight")
    assert LiveRoom.objects.get(pk=event.pk).highlighted_id == other.pk
    live.question_moderate(moderator=moderator, question=other, action="answered")
    other.refresh_from_db()
    assert other.state == State.ANSWERED and other.answered_at is not None
    assert LiveRoom.objects.get(pk=event.pk).highlighted_id is None

    actions = list(ModelLogEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == [
        live.QUESTION_APPROVE,
        live.QUESTION_HIGHLIGHT,
        live.QUESTION_APPROVE,
        live.QUESTION_HIGHLIGHT,
        live.QUESTION_ANSWERED,
    ]
    assert ModelLogEntry.objects.filter(user=moderator).count() == 5
    with pytest.raises(ValidationError, match="does not apply"):
        live.question_moderate(moderator=moderator, question=other, action="approve")


def test_hosts_run_their_own_room_and_members_none(vips):
    host_member = forum_member("otto")
    event = make_event(hosts=[make_host(host_member)])
    question = live.question_ask(member=vips[0], event=event, body="Wax or skins?")
    live.question_moderate(moderator=host_member, question=question, action="highlight")
    with pytest.raises(PermissionDenied, match="hosts and moderators"):
        live.question_moderate(moderator=vips[1], question=question, action="dismiss")
    other = make_event(title="Another Q&A")
    question2 = live.question_ask(member=vips[0], event=other, body="Wax or skins?")
    with pytest.raises(PermissionDenied):
        live.question_moderate(moderator=host_member, question=question2, action="dismiss")


# --- chat --------------------------------------------------------------------------------------


def test_chat_limits_are_discourse_chats_with_fewer_for_new_members(vips):
    event = make_event(access=EventAccess.MEMBERS)
    newcomer = forum_member("uusi", new=True)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(40):
            live.chat_send(member=vips[0], event=event, body=f"message {n}")
        with pytest.raises(RateLimited):
            live.chat_send(member=vips[0], event=event, body="one too many")
        for n in range(20):
            live.chat_send(member=newcomer, event=event, body=f"hello {n}")
        with pytest.raises(RateLimited):
            live.chat_send(member=newcomer, event=event, body="one too many")
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        live.chat_send(member=vips[0], event=event, body="after the window")
    assert EventChatMessage.objects.filter(author=vips[0]).count() == 41


def test_deleting_and_muting(vips, moderator):
    event = make_event()
    message = live.chat_send(member=vips[0], event=event, body="Buy cheap wax at spam.example")
    live.chat_delete(moderator=moderator, message=message)
    message.refresh_from_db()
    assert message.deleted_at is not None and message.deleted_by == moderator
    with pytest.raises(PermissionDenied):
        live.chat_delete(moderator=vips[1], message=live.chat_send(member=vips[1], event=event, body="hi"))

    live.member_mute(moderator=moderator, event=event, member=vips[0], minutes=10, reason="Spam")
    with pytest.raises(PermissionDenied, match="muted"):
        live.chat_send(member=vips[0], event=event, body="still here")
    with pytest.raises(PermissionDenied, match="muted"):
        live.question_ask(member=vips[0], event=event, body="Can I ask?")
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        live.chat_send(member=vips[0], event=event, body="back again")
    with pytest.raises(ValidationError, match="cannot be muted"):
        live.member_mute(moderator=moderator, event=event, member=moderator, minutes=10)
    assert ModelLogEntry.objects.filter(action=live.MEMBER_MUTE).count() == 1


def test_chat_is_off_when_the_editor_turns_it_off(vips):
    event = make_event(chat_enabled=False)
    with pytest.raises(PermissionDenied, match="Chat is off"):
        live.chat_send(member=vips[0], event=event, body="hello")
