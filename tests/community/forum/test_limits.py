"""Forum rate limits and point caps, with the clock frozen (time-machine).

Discourse's defaults, in KANTA_FORUM_*: 5 s between posts (30 s for a member younger than a
day), at most 3 threads and 10 replies on the first day, the same text again within 5 minutes
refused, and a new member's post with a link waits for a moderator (not broadcast, no points).
Forum points stop at each rule's daily cap. Every figure is a setting (or the rule's cap).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError
from django.test import override_settings

from community.forum.realtime import thread_group
from community.forum.services.posts import post_create, reaction_toggle, thread_create
from community.models import Post, Thread
from hub.rate_limits import RateLimited
from membership.models import EarningRule, PointEntry
from tests.community.forum_factories import forum_member, make_category, start_thread

pytestmark = pytest.mark.django_db

# Mid-morning in the shop's time zone: a day of posting never crosses midnight by accident.
START = datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Europe/Helsinki"))


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def category(db):
    return make_category()


@pytest.fixture
def thread(category):
    return start_thread(forum_member("opener"), category)


def say(author, thread, body, **kwargs):
    return post_create(author=author, thread=thread, body=body, **kwargs)


def forum_points(member, rule_key: str | None = None) -> int:
    entries = PointEntry.objects.filter(member=member, rule__key__in=[rule_key] if rule_key else FORUM_RULES)
    return sum(entries.values_list("amount", flat=True))


FORUM_RULES = ["forum-thread", "forum-reply", "accepted-answer", "helpful-reaction"]


# --- time between posts ----------------------------------------------------------------


def test_five_seconds_between_posts(clock, thread):
    member = forum_member("eero")
    say(member, thread, "First thought.")
    clock.shift(4)
    with pytest.raises(RateLimited, match="wait 1 second"):
        say(member, thread, "Second thought.")
    clock.shift(1)
    assert say(member, thread, "Second thought.").number == 3


def test_thirty_seconds_for_a_member_younger_than_a_day(clock, thread):
    newcomer = forum_member("sanna", new=True)
    say(newcomer, thread, "Hello everyone.")
    clock.shift(29)
    with pytest.raises(RateLimited, match="wait 1 second"):
        say(newcomer, thread, "Anyone here?")
    clock.shift(1)
    say(newcomer, thread, "Anyone here?")
    # A day after joining the ordinary 5 s apply.
    clock.move_to(START + timedelta(days=1, minutes=1))
    say(newcomer, thread, "A day later.")
    clock.shift(5)
    say(newcomer, thread, "And again.")


def test_the_wait_counts_threads_and_replies_alike(clock, category, thread):
    member = forum_member("eero")
    say(member, thread, "A reply.")
    clock.shift(2)
    with pytest.raises(RateLimited, match="wait 3 seconds"):
        thread_create(author=member, category=category, title="A new question", body="Quick one.")
    assert Thread.objects.filter(author=member).count() == 0


def test_nothing_is_written_when_refused(clock, thread):
    member = forum_member("eero")
    say(member, thread, "First.")
    before = (Post.objects.count(), PointEntry.objects.count())
    with pytest.raises(RateLimited):
        say(member, thread, "Too soon.")
    thread.refresh_from_db()
    assert (Post.objects.count(), PointEntry.objects.count()) == before
    assert thread.last_number == 2


def test_moderators_and_imports_are_not_limited(clock, thread):
    moderator = forum_member("ville", groups=["Moderators"])
    say(moderator, thread, "Please keep it friendly.")
    say(moderator, thread, "And on topic.")
    member = forum_member("eero")
    say(member, thread, "One.", enforce_limits=False)
    say(member, thread, "Two.", enforce_limits=False)
    assert thread.posts.count() == 5


# --- the first day ----------------------------------------------------------------------


def test_at_most_three_threads_on_the_first_day(clock, category):
    newcomer = forum_member("sanna", new=True)
    for n in range(3):
        thread_create(author=newcomer, category=category, title=f"My question {n}", body=f"Body {n}.")
        clock.shift(31)
    with pytest.raises(RateLimited, match="3 threads on their first day"):
        thread_create(author=newcomer, category=category, title="My question 3", body="Body 3.")
    # Replies are counted apart: she can still answer.
    say(newcomer, Thread.objects.filter(author=newcomer).first(), "Answering myself.")
    clock.move_to(START + timedelta(hours=24, minutes=1))
    thread_create(author=newcomer, category=category, title="My question 3", body="Body 3.")
    assert Thread.objects.filter(author=newcomer).count() == 4


def test_at_most_ten_replies_on_the_first_day(clock, category, thread):
    newcomer = forum_member("sanna", new=True)
    for n in range(10):
        say(newcomer, thread, f"Reply number {n}.")
        clock.shift(30)
    with pytest.raises(RateLimited, match="10 replies on their first day"):
        say(newcomer, thread, "Reply number 10.")
    # Threads are counted apart: she can still start one.
    thread_create(author=newcomer, category=category, title="A question", body="Starting one.")
    clock.move_to(START + timedelta(days=1, seconds=1))
    say(newcomer, thread, "Reply number 10.")
    assert Post.objects.filter(author=newcomer, number__gt=1).count() == 11


def test_established_members_have_no_first_day_caps(clock, category, thread):
    member = forum_member("eero")
    for n in range(12):
        say(member, thread, f"Reply {n}.")
        clock.shift(5)
    for n in range(4):
        thread_create(author=member, category=category, title=f"Question {n}", body=f"Body {n}.")
        clock.shift(5)
    assert Post.objects.filter(author=member).count() == 16


# --- duplicates -------------------------------------------------------------------------


def test_the_same_post_twice_within_five_minutes_is_refused(clock, category, thread):
    member = forum_member("eero")
    say(member, thread, "W240,  no question.")
    clock.shift(10)
    with pytest.raises(ValidationError) as refused:
        say(member, thread, "W240, no   question.\n")
    assert "exactly this" in refused.value.message_dict["body"][0]
    # Anywhere: a new thread with the same text is the same spam.
    other = start_thread(forum_member("aino"), category, title="Another thread")
    clock.shift(10)
    with pytest.raises(ValidationError):
        say(member, other, "W240, no question.")
    clock.move_to(START + timedelta(minutes=4, seconds=59))
    with pytest.raises(ValidationError):
        say(member, thread, "W240, no question.")
    clock.move_to(START + timedelta(minutes=5, seconds=1))
    say(member, thread, "W240, no question.")


def test_a_deleted_post_can_be_written_again(clock, thread):
    member = forum_member("eero")
    first = say(member, thread, "Typo'd and removed.")
    Post.objects.filter(pk=first.pk).update(state=Post.State.DELETED)
    clock.shift(10)
    say(member, thread, "Typo'd and removed.")


# --- new members' links wait for a moderator ------------------------------------------


def receive_all(channel_layer, channel: str) -> list[dict]:
    async def drain() -> list[dict]:
        messages = []
        while True:
            try:
                messages.append(await asyncio.wait_for(channel_layer.receive(channel), 0.05))
            except TimeoutError:
                return messages

    return async_to_sync(drain)()


def listen(thread) -> tuple[object, str]:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(thread_group(thread.pk), channel)
    return layer, channel


@pytest.mark.parametrize(
    "body",
    [
        "Cheap tyres at https://spam.example/tyres",
        "See www.spam.example",
        "[my shop](https://spam.example)",
        "Write to mailto:sales@spam.example",
    ],
)
def test_a_new_members_link_waits_unbroadcast_and_unpaid(
    clock, thread, body, django_capture_on_commit_callbacks
):
    newcomer = forum_member("sanna", new=True)
    layer, channel = listen(thread)
    with django_capture_on_commit_callbacks(execute=True):
        post = say(newcomer, thread, body)
    assert post.state == Post.State.PENDING
    assert receive_all(layer, channel) == []
    assert forum_points(newcomer) == 0
    thread.refresh_from_db()
    assert thread.reply_count == 0
    assert thread.category.post_count == 1


@pytest.mark.parametrize(
    "body",
    [
        "[my shop][1]\n\n[1]: //spam.example/tyres",
        "[my shop]\n\n[my shop]: <//spam.example>",
        "Write to <sales@spam.example>",
    ],
)
def test_every_shape_of_link_from_a_new_member_waits(clock, thread, body):
    post = say(forum_member("sanna", new=True), thread, body)
    assert "<a href=" in post.body_html  # it did render as a link
    assert post.state == Post.State.PENDING


def test_a_new_members_quote_of_another_post_does_not_wait(clock, thread):
    first = thread.posts.get(number=1)
    body = f"> [@opener wrote]({first.get_absolute_url()}):\n> My commute is ice.\n\nMine too!"
    post = say(forum_member("sanna", new=True), thread, body)
    assert post.state == Post.State.VISIBLE


def test_a_new_members_thread_with_a_link_waits_too(clock, category, django_capture_on_commit_callbacks):
    newcomer = forum_member("sanna", new=True)
    with django_capture_on_commit_callbacks(execute=True):
        thread = thread_create(
            author=newcomer, category=category, title="Great deals", body="https://spam.example"
        )
    assert thread.state == Thread.State.PENDING and thread.posts.get().state == Post.State.PENDING
    category.refresh_from_db()
    assert category.thread_count == 0 and forum_points(newcomer) == 0


def test_links_from_established_members_and_plain_text_from_new_ones_appear(
    clock, thread, django_capture_on_commit_callbacks
):
    layer, channel = listen(thread)
    with django_capture_on_commit_callbacks(execute=True):
        linked = say(forum_member("eero"), thread, "The maker's page: https://kivi.example/w240")
        clock.shift(60)
        plain = say(forum_member("sanna", new=True), thread, "Thanks, very useful!")
    assert linked.state == plain.state == Post.State.VISIBLE
    created = [m["id"] for m in receive_all(layer, channel) if m.get("event") == "post.created"]
    # Both, once each. (channels_redis orders messages sent in the same instant by their
    # bytes, so two sends microseconds apart may swap; pages order posts by number.)
    assert sorted(created) == sorted([linked.pk, plain.pk])
    assert forum_points(plain.author, "forum-reply") == 2


# --- daily caps on forum points -------------------------------------------------------


def test_reply_points_stop_at_the_daily_cap_and_start_again_the_next_day(clock, thread):
    member = forum_member("eero")
    cap = EarningRule.objects.get(key="forum-reply").daily_cap
    assert cap == 40
    for n in range(cap // 2 + 3):
        say(member, thread, f"Reply {n}.")
        clock.shift(5)
    assert forum_points(member, "forum-reply") == cap
    clock.move_to(START + timedelta(days=1))
    say(member, thread, "A new day.")
    assert forum_points(member, "forum-reply") == cap + 2


def test_thread_points_stop_at_the_daily_cap(clock, category):
    member = forum_member("eero")
    for n in range(10):
        thread_create(author=member, category=category, title=f"Question {n}", body=f"Body {n}.")
        clock.shift(5)
    assert forum_points(member, "forum-thread") == 40


def test_helpful_reaction_points_stop_at_the_daily_cap(clock, thread):
    author = forum_member("juha")
    answer = say(author, thread, "Let the tyre down to 1 bar and push the stud in.")
    for n in range(22):
        reaction_toggle(member=forum_member(f"reader{n}"), post=answer, kind="helpful")
    answer.refresh_from_db()
    assert answer.helpful_count == 22
    assert forum_points(author, "helpful-reaction") == 20


def test_a_lower_cap_set_on_the_rule_is_honoured(clock, thread):
    EarningRule.objects.filter(key="forum-reply").update(daily_cap=4)
    member = forum_member("eero")
    for n in range(4):
        say(member, thread, f"Reply {n}.")
        clock.shift(5)
    assert forum_points(member, "forum-reply") == 4


# --- every figure is a setting ----------------------------------------------------------


@override_settings(KANTA_FORUM_POST_INTERVAL=60)
def test_the_interval_is_a_setting(clock, thread):
    member = forum_member("eero")
    say(member, thread, "One.")
    clock.shift(59)
    with pytest.raises(RateLimited):
        say(member, thread, "Two.")
    clock.shift(1)
    say(member, thread, "Two.")


@override_settings(KANTA_FORUM_NEW_MEMBER_POST_INTERVAL=120, KANTA_FORUM_FIRST_DAY_REPLIES=2)
def test_new_member_interval_and_first_day_replies_are_settings(clock, thread):
    newcomer = forum_member("sanna", new=True)
    say(newcomer, thread, "One.")
    clock.shift(119)
    with pytest.raises(RateLimited, match="wait 1 second"):
        say(newcomer, thread, "Two.")
    clock.shift(1)
    say(newcomer, thread, "Two.")
    clock.shift(120)
    with pytest.raises(RateLimited, match="2 replies on their first day"):
        say(newcomer, thread, "Three.")


@override_settings(KANTA_FORUM_FIRST_DAY_THREADS=1)
def test_first_day_threads_is_a_setting(clock, category):
    newcomer = forum_member("sanna", new=True)
    thread_create(author=newcomer, category=category, title="Only one", body="Hello.")
    clock.shift(60)
    with pytest.raises(RateLimited, match="1 thread on their first day"):
        thread_create(author=newcomer, category=category, title="A second", body="Again.")


@override_settings(KANTA_FORUM_NEW_MEMBER_HOURS=1)
def test_how_long_a_member_is_new_is_a_setting(clock, category, thread):
    newcomer = forum_member("sanna", new=True)
    clock.shift(3600 + 1)
    say(newcomer, thread, "Not new any more: https://kivi.example/w240")
    clock.shift(5)
    say(newcomer, thread, "Five seconds later.")
    assert not Post.objects.filter(author=newcomer, state=Post.State.PENDING).exists()


@override_settings(KANTA_FORUM_DUPLICATE_WINDOW=60)
def test_the_duplicate_window_is_a_setting(clock, thread):
    member = forum_member("eero")
    say(member, thread, "Same again.")
    clock.shift(59)
    with pytest.raises(ValidationError):
        say(member, thread, "Same again.")
    clock.shift(2)
    say(member, thread, "Same again.")


@override_settings(KANTA_FORUM_PREMODERATE_NEW_MEMBER_LINKS=False)
def test_premoderation_of_links_can_be_turned_off(clock, thread):
    post = say(forum_member("sanna", new=True), thread, "https://kivi.example/w240")
    assert post.state == Post.State.VISIBLE
