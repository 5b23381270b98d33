"""Forum safety: flags hide a post at three distinct members, moderators' actions (with their
permissions, points, counters, broadcasts and audit log), sanctions, and the thread-page
forms that drive them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from wagtail.models import ModelLogEntry

from community.forum import realtime as forum_realtime
from community.forum.services.moderation import (
    ModerationError,
    flags_resolve,
    member_sanction,
    post_approve,
    post_delete,
    post_flag,
    post_hide,
    post_reject,
    post_unhide,
    sanction_lift,
    thread_lock,
    thread_merge,
    thread_move,
    thread_pin,
    thread_unlock,
    thread_unpin,
)
from community.forum.services.posts import answer_accept, post_create, reaction_toggle
from community.models import ForumFlag, ForumSanction, Post, Thread, ThreadReadState
from membership.models import Notification, User
from membership.selectors import member_standing
from tests.community.forum_factories import forum_member, make_category, reply, start_thread

pytestmark = pytest.mark.django_db


def balance(member) -> int:
    return member_standing(member=member).spendable_points


def fresh(user: User) -> User:
    """The same member without the per-request caches forum_access keeps on the object."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def moderator(db):
    return forum_member("ville", groups=["Moderators"])


@pytest.fixture
def sent(monkeypatch):
    """Every broadcast and control event the services ask for, as (group, type, event)."""
    events: list[tuple[str, str, dict]] = []

    def record(group, event):
        events.append((group, event["type"], dict(event)))

    monkeypatch.setattr(forum_realtime, "send_event_on_commit", record)
    monkeypatch.setattr(forum_realtime, "send_control_on_commit", record)
    return events


def audit(action: str | None = None) -> list[tuple[str, int | None, str]]:
    entries = ModelLogEntry.objects.order_by("id")
    if action:
        entries = entries.filter(action=action)
    return [(e.action, e.user_id, e.data.get("reason", "")) for e in entries]


# --- flags --------------------------------------------------------------------------------


def test_three_distinct_flags_hide_a_post_two_do_not_and_the_same_member_counts_once(
    django_capture_on_commit_callbacks, sent
):
    category = make_category()
    aino = forum_member("aino")
    thread = start_thread(aino, category)
    post = reply(forum_member("eero"), thread)
    flaggers = [forum_member(name) for name in ("sanna", "mikko", "olli")]

    post_flag(member=flaggers[0], post=post, reason="spam")
    with pytest.raises(ModerationError):
        post_flag(member=flaggers[0], post=post, reason="off_topic")  # once per member
    post_flag(member=flaggers[1], post=post, reason="inappropriate")
    post.refresh_from_db()
    assert post.state == Post.State.VISIBLE and ForumFlag.objects.filter(post=post).count() == 2
    assert ("community.forum.realtime", "post.hidden") not in [(g, t) for g, t, _ in sent]

    with django_capture_on_commit_callbacks(execute=True):
        post_flag(member=flaggers[2], post=post, reason="other", text="Selling stolen bikes")
    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.state == Post.State.HIDDEN and post.moderated_by is None
    assert thread.state == Thread.State.VISIBLE and thread.reply_count == 0
    assert (forum_realtime.thread_group(thread.pk), "post.hidden") in [(g, t) for g, t, _ in sent]
    assert audit() == [("community.forum.post.auto_hide", None, post.moderation_reason)]
    assert Notification.objects.filter(recipient=post.author, kind="forum-hidden").exists()
    # The post is out of reach now: no more flags.
    with pytest.raises(ModerationError):
        post_flag(member=forum_member("pekka"), post=post, reason="spam")


def test_flag_rules_other_needs_text_and_nobody_flags_their_own_post():
    category = make_category()
    aino, eero = forum_member("aino"), forum_member("eero")
    post = start_thread(aino, category).posts.get()
    with pytest.raises(ValidationError) as error:
        post_flag(member=eero, post=post, reason="other", text="  ")
    assert "text" in error.value.message_dict
    with pytest.raises(ValidationError):
        post_flag(member=eero, post=post, reason="boring")
    with pytest.raises(PermissionDenied):
        post_flag(member=aino, post=post, reason="spam")
    assert not ForumFlag.objects.exists()


def test_flags_on_the_opening_post_hide_the_thread_and_close_sockets(sent):
    category = make_category()
    thread = start_thread(forum_member("aino"), category)
    first = thread.posts.get()
    for name in ("sanna", "mikko", "olli"):
        post_flag(member=forum_member(name), post=first, reason="spam")
    thread.refresh_from_db()
    category.refresh_from_db()
    assert thread.state == Thread.State.HIDDEN
    assert category.thread_count == 0 and category.post_count == 0
    controls = [e for g, t, e in sent if t == "forum.access.restricted"]
    assert controls == [{"type": "forum.access.restricted", "member": "all", "thread_id": thread.pk}]


def test_unhiding_settles_flags_against_them_and_they_cannot_flag_again(moderator):
    category = make_category()
    post = reply(forum_member("eero"), start_thread(forum_member("aino"), category))
    flaggers = [forum_member(name) for name in ("sanna", "mikko", "olli")]
    for member in flaggers:
        post_flag(member=member, post=post, reason="off_topic")
    post_unhide(post=post, moderator=moderator)
    assert set(ForumFlag.objects.values_list("state", flat=True)) == {ForumFlag.State.DISAGREED}
    with pytest.raises(ModerationError):
        post_flag(member=flaggers[0], post=post, reason="spam")
    # New flags from others start a fresh count.
    post_flag(member=forum_member("pekka"), post=post, reason="spam")
    post.refresh_from_db()
    assert post.state == Post.State.VISIBLE


def test_flags_resolve_agree_hides_and_disagree_restores(moderator):
    category = make_category()
    post = reply(forum_member("eero"), start_thread(forum_member("aino"), category))
    post_flag(member=forum_member("sanna"), post=post, reason="spam")
    with pytest.raises(ValidationError):
        flags_resolve(post=post, moderator=moderator, decision="agree", reason="")  # hiding needs a reason
    flags_resolve(post=post, moderator=moderator, decision="agree", reason="Spam link")
    post.refresh_from_db()
    assert post.state == Post.State.HIDDEN
    assert ForumFlag.objects.get().state == ForumFlag.State.AGREED
    flags_resolve(post=post, moderator=moderator, decision="disagree")
    post.refresh_from_db()
    assert post.state == Post.State.VISIBLE
    assert [a for a, _u, _r in audit()] == ["community.forum.post.hide", "community.forum.post.unhide"]


# --- points -------------------------------------------------------------------------------


def test_hiding_reverses_reply_helpful_and_accepted_points_and_unhiding_restores_them(
    moderator, django_capture_on_commit_callbacks, sent
):
    category = make_category("repair", is_qa=True)
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, category)
    answer = reply(eero, thread)
    reaction_toggle(member=aino, post=answer, kind="helpful", on=True)
    answer_accept(post=answer, actor=aino)
    assert balance(eero) == 2 + 1 + 25

    with pytest.raises(ValidationError):
        post_hide(post=answer, moderator=moderator, reason="   ")
    post_hide(post=answer, moderator=moderator, reason="Rude")
    assert balance(eero) == 0
    answer.refresh_from_db()
    assert (answer.state, answer.moderated_by, answer.moderation_reason) == ("hidden", moderator, "Rude")

    sent.clear()
    post_unhide(post=answer, moderator=moderator, reason="Second look: fine")
    assert balance(eero) == 2 + 1 + 25
    types = [t for g, t, _ in sent if g == forum_realtime.thread_group(thread.pk)]
    assert "post.updated" in types and "post.created" in types
    thread.refresh_from_db()
    assert thread.reply_count == 1 and thread.accepted_post_id == answer.pk
    assert audit() == [
        ("community.forum.post.hide", moderator.pk, "Rude"),
        ("community.forum.post.unhide", moderator.pk, "Second look: fine"),
    ]
    # Hiding and showing again earns once more, never twice.
    post_hide(post=answer, moderator=moderator, reason="Rude after all")
    post_unhide(post=answer, moderator=moderator)
    assert balance(eero) == 2 + 1 + 25


def test_deleting_reverses_points_and_clears_the_accepted_answer(moderator):
    category = make_category("repair", is_qa=True)
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, category)
    answer = reply(eero, thread)
    reaction_toggle(member=aino, post=answer, kind="helpful", on=True)
    answer_accept(post=answer, actor=aino)
    with pytest.raises(ValidationError):
        post_delete(post=answer, actor=moderator, reason="")  # a moderator says why
    post_delete(post=answer, actor=moderator, reason="Advertising")
    answer.refresh_from_db()
    thread.refresh_from_db()
    assert answer.state == Post.State.DELETED and balance(eero) == 0
    assert thread.accepted_post_id is None and thread.reply_count == 0
    assert Notification.objects.filter(recipient=eero, kind="forum-removed").exists()
    with pytest.raises(ModerationError):
        post_delete(post=answer, actor=moderator, reason="again")


def test_authors_delete_their_own_posts_without_a_reason_others_cannot(moderator):
    category = make_category()
    aino, eero, sanna = forum_member("aino"), forum_member("eero"), forum_member("sanna")
    thread = start_thread(aino, category)
    mine = reply(eero, thread)
    with pytest.raises(PermissionDenied):
        post_delete(post=mine, actor=sanna)
    post_delete(post=mine, actor=eero)
    assert balance(eero) == 0
    # The opening post of a thread others replied to stays (a moderator can delete it).
    reply(sanna, thread, body="Me too")
    with pytest.raises(PermissionDenied):
        post_delete(post=thread.posts.get(number=1), actor=aino)
    assert audit("community.forum.post.delete") == [("community.forum.post.delete", eero.pk, "")]


def test_deleting_the_opening_post_deletes_the_thread(moderator, sent):
    category = make_category()
    aino = forum_member("aino")
    thread = start_thread(aino, category)
    reply(forum_member("eero"), thread)
    assert balance(aino) == 5
    post_delete(post=thread.posts.get(number=1), actor=moderator, reason="Duplicate")
    thread.refresh_from_db()
    category.refresh_from_db()
    assert thread.state == Thread.State.DELETED and balance(aino) == 0
    assert category.thread_count == 0 and category.post_count == 0
    assert {"type": "forum.access.restricted", "member": "all", "thread_id": thread.pk} in [
        e for _g, _t, e in sent
    ]


# --- premoderation --------------------------------------------------------------------------


def test_waiting_posts_are_approved_or_rejected(moderator, settings):
    category = make_category()
    thread = start_thread(forum_member("aino"), category)
    newbie = forum_member("uusi", new=True)
    waiting = post_create(author=newbie, thread=thread, body="See https://example.com", enforce_limits=False)
    other = post_create(author=newbie, thread=thread, body="And http://spam.example", enforce_limits=False)
    assert waiting.state == other.state == Post.State.PENDING
    post_approve(post=waiting, moderator=moderator)
    waiting.refresh_from_db()
    thread.refresh_from_db()
    assert waiting.state == Post.State.VISIBLE and thread.reply_count == 1 and balance(newbie) == 2
    with pytest.raises(ValidationError):
        post_reject(post=other, moderator=moderator, reason="")
    post_reject(post=other, moderator=moderator, reason="Link spam")
    other.refresh_from_db()
    assert other.state == Post.State.DELETED and balance(newbie) == 2
    with pytest.raises(ModerationError):
        post_approve(post=other, moderator=moderator)
    assert [a for a, _u, _r in audit()] == ["community.forum.post.approve", "community.forum.post.reject"]


def test_a_new_members_thread_waiting_for_approval_appears_when_approved(moderator):
    category = make_category()
    newbie = forum_member("uusi", new=True)
    thread = start_thread(newbie, category, body="My setup: https://example.com/bike")
    assert thread.state == Thread.State.PENDING
    post_approve(post=thread.posts.get(), moderator=moderator)
    thread.refresh_from_db()
    category.refresh_from_db()
    assert thread.state == Thread.State.VISIBLE and category.thread_count == 1 and category.post_count == 1


# --- permissions ----------------------------------------------------------------------------


def test_members_cannot_moderate():
    category = make_category()
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, category)
    post = reply(aino, thread)
    other = make_category("running")
    attempts = [
        lambda: post_hide(post=post, moderator=eero, reason="x"),
        lambda: post_unhide(post=post, moderator=eero),
        lambda: post_approve(post=post, moderator=eero),
        lambda: post_reject(post=post, moderator=eero, reason="x"),
        lambda: post_delete(post=post, actor=eero, reason="x"),
        lambda: flags_resolve(post=post, moderator=eero, decision="agree", reason="x"),
        lambda: thread_lock(thread=thread, moderator=eero, reason="x"),
        lambda: thread_unlock(thread=thread, moderator=eero),
        lambda: thread_pin(thread=thread, moderator=eero),
        lambda: thread_unpin(thread=thread, moderator=eero),
        lambda: thread_move(thread=thread, category=other, moderator=eero, reason="x"),
        lambda: thread_merge(source=thread, target=thread, moderator=eero, reason="x"),
        lambda: member_sanction(
            member=aino, kind="ban", until=timezone.now() + timedelta(days=1), reason="x", moderator=eero
        ),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert not ModelLogEntry.objects.exists()
    assert Post.objects.get(pk=post.pk).state == Post.State.VISIBLE


# --- threads -------------------------------------------------------------------------------


def test_lock_refuses_replies_and_pin_broadcasts(moderator, sent):
    category = make_category()
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, category)
    group = forum_realtime.thread_group(thread.pk)

    def updates() -> list[dict]:
        found = [e["thread"] for g, t, e in sent if t == "thread.updated" and g == group]
        sent.clear()
        return found

    updates()
    with pytest.raises(ValidationError):
        thread_lock(thread=thread, moderator=moderator, reason="")
    thread_lock(thread=thread, moderator=moderator, reason="Resolved, closing")
    assert [u["is_locked"] for u in updates()] == [True]
    with pytest.raises(PermissionDenied, match="locked"):
        reply(eero, Thread.objects.get(pk=thread.pk))
    reply(moderator, Thread.objects.get(pk=thread.pk), body="Locked: see the new thread.")
    updates()
    thread_unlock(thread=thread, moderator=moderator)
    assert [u["is_locked"] for u in updates()] == [False]
    reply(eero, Thread.objects.get(pk=thread.pk))
    updates()
    thread_pin(thread=thread, moderator=moderator)
    assert [u["is_pinned"] for u in updates()] == [True]
    thread_pin(thread=thread, moderator=moderator)  # already pinned: nothing happens
    assert updates() == []
    thread_unpin(thread=thread, moderator=moderator)
    thread.refresh_from_db()
    assert not thread.is_pinned and not thread.is_locked
    assert [a for a, _u, _r in audit()] == [
        "community.forum.thread.lock",
        "community.forum.thread.unlock",
        "community.forum.thread.pin",
        "community.forum.thread.unpin",
    ]


def test_move_recounts_both_categories_and_rechecks_sockets_when_restricted(moderator, sent):
    cycling, members_only = make_category(), make_category("club", read_tier="gold")
    running = make_category("running")
    thread = start_thread(forum_member("aino"), cycling)
    reply(forum_member("eero"), thread)
    thread_move(thread=thread, category=running, moderator=moderator, reason="Wrong category")
    cycling.refresh_from_db()
    running.refresh_from_db()
    assert (cycling.thread_count, cycling.post_count) == (0, 0)
    assert (running.thread_count, running.post_count, running.last_thread_id) == (1, 2, thread.pk)
    assert not [e for _g, t, e in sent if t == "forum.access.restricted"]
    assert (forum_realtime.category_group(cycling.pk), "thread.updated") in [(g, t) for g, t, _ in sent]
    with pytest.raises(ValidationError):
        thread_move(thread=thread, category=running, moderator=moderator, reason="again")
    thread_move(thread=thread, category=members_only, moderator=moderator, reason="Club matters")
    assert [e for _g, t, e in sent if t == "forum.access.restricted"] == [
        {"type": "forum.access.restricted", "member": "all", "thread_id": thread.pk}
    ]
    entry = ModelLogEntry.objects.filter(action="community.forum.thread.move").order_by("id").last()
    assert entry.data["from_category"] == "Running" and entry.data["reason"] == "Club matters"


def test_merge_renumbers_after_the_target_and_redirects(moderator, sent):
    cycling, running = make_category(), make_category("running")
    aino, eero, sanna = forum_member("aino"), forum_member("eero"), forum_member("sanna")
    target = start_thread(aino, cycling)
    reply(eero, target)
    source = start_thread(sanna, running, title="Studded tyres again?")
    reply(eero, source, body="Search first!")
    reply(aino, source, body="Same as the other thread.")
    source.tags.add("tyres")
    ThreadReadState.objects.create(member=forum_member("olli"), thread=source, watching=True)

    sent.clear()
    merged = thread_merge(source=source, target=target, moderator=moderator, reason="Duplicate")
    source.refresh_from_db()
    target.refresh_from_db()
    assert merged == target
    assert list(target.posts.values_list("number", "author__username")) == [
        (1, "aino"),
        (2, "eero"),
        (3, "sanna"),
        (4, "eero"),
        (5, "aino"),
    ]
    assert (target.reply_count, target.last_number) == (4, 5)
    assert source.merged_into == target and source.state == Thread.State.DELETED
    assert not source.posts.exists() and list(target.tags.names()) == ["tyres"]
    assert ThreadReadState.objects.get(thread=target, member__username="olli").watching
    cycling.refresh_from_db()
    running.refresh_from_db()
    assert (cycling.thread_count, cycling.post_count) == (1, 5) and (
        running.thread_count,
        running.post_count,
    ) == (0, 0)
    created = [
        e["id"] for g, t, e in sent if t == "post.created" and g == forum_realtime.thread_group(target.pk)
    ]
    assert len(created) == 3
    # The next reply continues the numbering.
    assert reply(eero, Thread.objects.get(pk=target.pk)).number == 6
    with pytest.raises(ValidationError):
        thread_merge(source=source, target=target, moderator=moderator, reason="twice")
    with pytest.raises(ValidationError):
        thread_merge(source=target, target=target, moderator=moderator, reason="self")


# --- sanctions -----------------------------------------------------------------------------


def test_silence_refuses_posting_and_expires(moderator):
    category = make_category()
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, category)
    start = timezone.now()
    with pytest.raises(ValidationError):
        member_sanction(
            member=eero, kind="silence", until=start + timedelta(days=1), reason="", moderator=moderator
        )
    with pytest.raises(ValidationError):
        member_sanction(
            member=eero, kind="silence", until=start - timedelta(days=1), reason="x", moderator=moderator
        )
    with pytest.raises(ValidationError):
        member_sanction(
            member=moderator, kind="ban", until=start + timedelta(days=1), reason="x", moderator=moderator
        )
    member_sanction(
        member=eero, kind="silence", until=start + timedelta(days=1), reason="Cool down", moderator=moderator
    )
    with pytest.raises(PermissionDenied, match="silenced"):
        reply(fresh(eero), thread)
    with pytest.raises(PermissionDenied):
        reaction_toggle(member=fresh(eero), post=thread.posts.get(), kind="like")
    with time_machine.travel(start + timedelta(days=1, minutes=1)):
        assert reply(fresh(eero), Thread.objects.get(pk=thread.pk)).state == Post.State.VISIBLE
    assert audit() == [("community.forum.sanction", moderator.pk, "Cool down")]
    assert Notification.objects.filter(recipient=eero, kind="forum-sanction").exists()


def test_ban_closes_the_members_sockets_and_lifting_restores_access(moderator, sent):
    category = make_category()
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, category)
    sanction = member_sanction(
        member=eero, kind="ban", until=timezone.now() + timedelta(days=7), reason="Spam", moderator=moderator
    )
    assert {"type": "forum.access.restricted", "member": eero.pk, "thread_id": None} in [
        e for _g, _t, e in sent
    ]
    with pytest.raises(PermissionDenied, match="banned"):
        reply(fresh(eero), thread)
    sanction_lift(sanction=sanction, moderator=moderator, reason="Appealed")
    reply(fresh(eero), thread)
    with pytest.raises(ModerationError):
        sanction_lift(sanction=sanction, moderator=moderator)
    assert ForumSanction.objects.get().lifted_at is not None
    assert [a for a, _u, _r in audit()] == ["community.forum.sanction", "community.forum.sanction.lift"]


# --- the thread page's forms ----------------------------------------------------------------


def test_members_flag_through_the_form_and_get_json_when_asked(client):
    category = make_category()
    post = reply(forum_member("eero"), start_thread(forum_member("aino"), category))
    url = f"/forum/p/{post.pk}/flag/"
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(forum_member("sanna"))
    page = client.get(url)
    assert page.status_code == 200 and "Flag this post" in page.content.decode()
    response = client.post(url, {"reason": "other", "text": ""})
    assert response.status_code == 400 and "Tell the moderators" in response.content.decode()
    response = client.post(url, {"reason": "spam"})
    assert (
        response.status_code == 302 and response["Location"] == f"/forum/t/{post.thread_id}/#post-{post.pk}"
    )
    response = client.post(url, {"reason": "spam"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 409 and "already flagged" in response.json()["error"]
    client.force_login(forum_member("mikko"))
    response = client.post(url, {"reason": "bogus"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    response = client.post(url, {"reason": "off_topic"}, HTTP_ACCEPT="application/json")
    assert response.json()["ok"] and response.json()["post"]["state"] == "visible"
    missing = client.post("/forum/p/999999/flag/", {"reason": "spam"}, HTTP_ACCEPT="application/json")
    assert missing.status_code == 404 and missing.json()["error"]


def test_moderator_forms_hide_lock_move_and_sanction(client, moderator):
    cycling, running = make_category(), make_category("running")
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, cycling)
    post = reply(eero, thread)
    client.force_login(moderator)

    response = client.post(f"/forum/p/{post.pk}/moderate/", {"action": "hide", "reason": ""})
    assert response.status_code == 400 and "Give a reason" in response.content.decode()
    response = client.post(
        f"/forum/p/{post.pk}/moderate/", {"action": "hide", "reason": "Off topic"}, follow=True
    )
    assert "The post is hidden" in response.content.decode() or response.redirect_chain
    assert Post.objects.get(pk=post.pk).state == Post.State.HIDDEN

    response = client.post(
        f"/forum/t/{thread.pk}/moderate/",
        {"action": "lock", "reason": "Done"},
        HTTP_ACCEPT="application/json",
    )
    assert response.json()["thread"]["is_locked"] is True
    response = client.post(f"/forum/t/{thread.pk}/moderate/", {"action": "move", "reason": "Wrong place"})
    assert response.status_code == 400 and "Choose the category" in response.content.decode()
    response = client.post(
        f"/forum/t/{thread.pk}/moderate/", {"action": "move", "category": running.pk, "reason": "Wrong place"}
    )
    assert response.status_code == 302 and Thread.objects.get(pk=thread.pk).category == running
    response = client.post(
        f"/forum/t/{thread.pk}/moderate/", {"action": "merge", "target": "/forum/t/999999/", "reason": "dup"}
    )
    assert response.status_code == 400 and "No thread with that number" in response.content.decode()

    page = client.get(f"/forum/members/{eero.username}/sanction/")
    assert page.status_code == 200
    response = client.post(
        f"/forum/members/{eero.username}/sanction/",
        {"action": "sanction", "kind": "silence", "duration": "24", "reason": "Cool down"},
    )
    assert response.status_code == 302
    sanction = ForumSanction.objects.get(member=eero)
    assert "Lift" in client.get(f"/forum/members/{eero.username}/sanction/").content.decode()
    client.post(f"/forum/members/{eero.username}/sanction/", {"action": "lift", "sanction": sanction.pk})
    sanction.refresh_from_db()
    assert sanction.lifted_at is not None


def test_members_are_refused_the_moderator_forms(client):
    category = make_category()
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, category)
    post = reply(eero, thread)
    client.force_login(eero)
    assert client.post(f"/forum/p/{post.pk}/moderate/", {"action": "hide", "reason": "x"}).status_code == 403
    response = client.post(
        f"/forum/t/{thread.pk}/moderate/", {"action": "lock", "reason": "x"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 403 and response.json()["error"]
    assert client.get(f"/forum/p/{post.pk}/history/").status_code == 403
    assert client.get(f"/forum/members/{aino.username}/sanction/").status_code == 403
    own = client.post(f"/forum/p/{post.pk}/delete/", {}, HTTP_ACCEPT="application/json")
    assert own.status_code == 200 and own.json()["post"]["state"] == "deleted"
    first = thread.posts.get(number=1)
    assert client.post(f"/forum/p/{first.pk}/delete/", {}).status_code == 403
    assert Thread.objects.get(pk=thread.pk).state == Thread.State.VISIBLE


def test_post_history_shows_earlier_versions_to_moderators(client, moderator):
    from community.forum.services.posts import post_edit

    category = make_category()
    aino = forum_member("aino")
    post = start_thread(aino, category, body="First words.").posts.get()
    post_edit(post=post, editor=aino, body="Second words.")
    client.force_login(moderator)
    html = client.get(f"/forum/p/{post.pk}/history/").content.decode()
    assert "First words." in html and "Second words." in html


def test_partials_render_the_right_controls(rf, moderator):
    from django.template.loader import render_to_string

    category, other = make_category(), make_category("running")
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, category)
    post = reply(eero, thread)
    context = {"post": post, "thread": thread, "categories": [category, other]}
    as_member = render_to_string(
        "community/forum/_post_moderation.html", {**context, "is_moderator": False, "user": aino}
    )
    assert f"/forum/p/{post.pk}/flag/" in as_member and "/moderate/" not in as_member
    as_author = render_to_string(
        "community/forum/_post_moderation.html", {**context, "is_moderator": False, "user": eero}
    )
    assert f"/forum/p/{post.pk}/delete/" in as_author and "/flag/" not in as_author
    request = rf.get("/")
    request.user = moderator
    as_moderator = render_to_string(
        "community/forum/_post_moderation.html", {**context, "is_moderator": True, "user": moderator}, request
    )
    assert 'value="hide"' in as_moderator and f"/forum/members/{eero.username}/sanction/" in as_moderator
    thread_controls = render_to_string(
        "community/forum/_thread_moderation.html", {**context, "is_moderator": True}, request
    )
    assert 'value="lock"' in thread_controls and f'<option value="{other.pk}">' in thread_controls
    assert f'<option value="{category.pk}">' not in thread_controls
    assert (
        render_to_string(
            "community/forum/_thread_moderation.html", {**context, "is_moderator": False}
        ).strip()
        == ""
    )


def test_the_thread_page_carries_the_controls(client, moderator):
    category, other = make_category(), make_category("running")
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, category)
    post = reply(eero, thread)
    hidden = reply(eero, thread, body="Something rude.")
    post_hide(post=hidden, moderator=moderator, reason="Rude")
    client.force_login(moderator)
    html = client.get(f"/forum/t/{thread.pk}/").content.decode()
    assert f"/forum/t/{thread.pk}/moderate/" in html and f'<option value="{other.pk}">' in html
    assert f"/forum/p/{post.pk}/moderate/" in html and 'value="unhide"' in html
    client.force_login(aino)
    html = client.get(f"/forum/t/{thread.pk}/").content.decode()
    assert f"/forum/p/{post.pk}/flag/" in html and f"/forum/t/{thread.pk}/moderate/" not in html
    assert "Something rude." not in html
