"""The forum's posting service: threads, replies, numbering, counters, read state, points."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from community.forum.services.posts import (
    NewImage,
    answer_accept,
    answer_unaccept,
    category_watch,
    post_edit,
    reaction_toggle,
    thread_mark_read,
    thread_watch,
)
from community.models import ForumCategoryWatch, Post, PostImage, Reaction, Thread, ThreadReadState
from content.uploads import sanitise_image
from membership.models import BadgeAward, Notification, PointEntry
from membership.selectors import member_standing
from tests.community.forum_factories import forum_member, make_category, reply, start_thread
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db


def balance(member) -> int:
    return member_standing(member=member).spendable_points


def test_thread_and_replies_are_numbered_counted_and_earn_points():
    category = make_category()
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, category, tags=["Winter", "tyres", "winter"])
    first = reply(eero, thread)
    second = reply(aino, thread, body="Thanks, ordering them.")

    thread.refresh_from_db()
    category.refresh_from_db()
    assert [p.number for p in thread.posts.all()] == [1, 2, 3]
    assert (first.number, second.number) == (2, 3)
    assert thread.reply_count == 2 and thread.last_number == 3 and thread.last_poster == aino
    assert sorted(thread.tags.names()) == ["tyres", "winter"]
    assert category.thread_count == 1 and category.post_count == 3 and category.last_thread == thread
    assert balance(aino) == 5 + 2 and balance(eero) == 2
    # Posting watches the thread and marks it read up to your own post.
    state = ThreadReadState.objects.get(member=eero, thread=thread)
    assert state.watching and state.last_read_number == 2


def test_reply_notifies_watchers_mentions_and_quotes_once_each(django_capture_on_commit_callbacks):
    category = make_category()
    aino, eero, _sanna = forum_member("aino"), forum_member("eero"), forum_member("sanna")
    thread = start_thread(aino, category)
    answer = reply(eero, thread)
    Notification.objects.all().delete()
    body = f"> [@eero wrote]({answer.get_absolute_url()}):\n> Nokian\n\nAgreed, @sanna and @aino and @nobody."
    with django_capture_on_commit_callbacks(execute=True):
        reply(forum_member("mikko"), thread, body=body)

    kinds = dict(Notification.objects.values_list("recipient__username", "kind"))
    assert kinds == {"eero": "forum-quote", "sanna": "forum-mention", "aino": "forum-mention"}


def test_watchers_hear_of_replies_and_category_watchers_of_new_threads(django_capture_on_commit_callbacks):
    category = make_category()
    aino, eero, sanna, mikko = (forum_member(name) for name in ("aino", "eero", "sanna", "mikko"))
    gold_only = make_category("gold-lounge", read_tier="gold")
    thread = start_thread(aino, category)
    thread_watch(member=sanna, thread=thread, watching=True)
    category_watch(member=mikko, category=category, watching=True)
    Notification.objects.all().delete()

    def told(**kwargs) -> dict[str, str]:
        return dict(Notification.objects.filter(**kwargs).values_list("recipient__username", "kind"))

    with django_capture_on_commit_callbacks(execute=True):
        answer = reply(eero, thread, body="Plain advice, nobody mentioned.")
    # The asker and the watcher; not the author, not the category's watcher (replies are
    # for the thread's watchers).
    assert told() == {"aino": "forum-reply", "sanna": "forum-reply"}
    assert Notification.objects.get(recipient=sanna).url == answer.get_absolute_url()

    Notification.objects.all().delete()
    thread_watch(member=sanna, thread=thread, watching=False)
    with django_capture_on_commit_callbacks(execute=True):
        reply(aino, thread, body="Thanks, ordering them.")
        start_thread(eero, category, title="Chain wax or oil in winter?")
    assert told(kind="forum-reply") == {"eero": "forum-reply"}  # sanna stopped watching
    assert told(kind="forum-thread") == {"mikko": "forum-thread"}

    # A category one may not read cannot be watched, and one that became restricted after
    # it was watched tells nothing.
    Notification.objects.all().delete()
    assert category_watch(member=mikko, category=gold_only, watching=True) is False
    ForumCategoryWatch.objects.create(member=mikko, category=gold_only)
    with django_capture_on_commit_callbacks(execute=True):
        start_thread(forum_member("kulta", tier="gold"), gold_only, title="Gold members only")
    assert told(kind__startswith="forum-") == {}


def test_markdown_is_sanitised_and_mentions_link_to_profiles():
    category = make_category()
    aino = forum_member("aino")
    forum_member("eero")
    thread = start_thread(
        aino,
        category,
        body="Hi @eero <script>alert(1)</script> [x](javascript:alert(1)) `@eero` [s](https://e.fi)",
    )
    html = thread.posts.get().body_html
    assert "<script" not in html and "javascript:" not in html
    assert '<a class="mention" href="/members/eero/" rel="nofollow ugc noopener">@eero</a>' in html
    assert "<code>@eero</code>" in html
    assert 'rel="nofollow ugc noopener"' in html


def test_an_edit_that_removes_an_image_and_mentions_someone_does_both(django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("bike.png", image_bytes("PNG", (40, 30)), content_type="image/png")
    aino, _eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, make_category(), images=[NewImage(image=sanitise_image(upload))])
    image = PostImage.objects.get(post__thread=thread)
    name = image.image.name
    assert storages["protected"].exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        post_edit(
            post=thread.posts.get(),
            editor=aino,
            body="No picture after all, @eero.",
            remove_image_ids=[image.pk],
        )
    # The file goes once the removal commits, and the newly mentioned member hears of it.
    assert not storages["protected"].exists(name)
    assert Notification.objects.filter(recipient__username="eero", kind="forum-mention").exists()


def test_reactions_count_once_per_kind_and_helpful_earns_the_author():
    category = make_category()
    aino, eero = forum_member("aino"), forum_member("eero")
    post = start_thread(aino, category).posts.get()
    start = balance(aino)
    assert reaction_toggle(member=eero, post=post, kind="helpful", on=True)[1]["helpful"] == 1
    assert reaction_toggle(member=eero, post=post, kind="helpful", on=True)[1]["helpful"] == 1
    reaction_toggle(member=eero, post=post, kind="like")
    post.refresh_from_db()
    assert (post.like_count, post.helpful_count, post.thanks_count) == (1, 1, 0)
    assert balance(aino) == start + 1
    on, counts = reaction_toggle(member=eero, post=post, kind="helpful")
    assert not on and counts["helpful"] == 0 and balance(aino) == start
    with pytest.raises(PermissionDenied):
        reaction_toggle(member=aino, post=post, kind="like")
    with pytest.raises(ValidationError):
        reaction_toggle(member=eero, post=post, kind="love")
    assert Reaction.objects.count() == 1


def test_accepted_answer_in_qa_category_earns_and_can_move(django_capture_on_commit_callbacks):
    category = make_category("repair", is_qa=True)
    aino, eero, sanna = forum_member("aino"), forum_member("eero"), forum_member("sanna")
    thread = start_thread(aino, category)
    a, b = reply(eero, thread), reply(sanna, thread, body="Try a different pressure.")
    answer_accept(post=a, actor=aino)
    assert Thread.objects.get(pk=thread.pk).accepted_post == a
    assert balance(eero) == 2 + 25
    answer_accept(post=b, actor=aino)  # the asker changes their mind
    assert balance(eero) == 2 and balance(sanna) == 2 + 25
    with pytest.raises(PermissionDenied):
        answer_accept(post=a, actor=eero)
    answer_unaccept(thread=thread, actor=aino)
    assert balance(sanna) == 2
    with django_capture_on_commit_callbacks(execute=True):
        answer_accept(post=b, actor=aino)  # accepted again: earns again, once
    assert balance(sanna) == 2 + 25
    assert Notification.objects.filter(recipient=sanna, kind="forum-accepted").exists()


def test_accept_refused_outside_qa_categories():
    category = make_category()
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, category)
    with pytest.raises(PermissionDenied):
        answer_accept(post=reply(eero, thread), actor=aino)


def test_read_state_never_goes_backwards():
    category = make_category()
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, category)
    for _ in range(3):
        reply(aino, thread, body=f"More {_}")
    thread.refresh_from_db()
    assert thread_mark_read(member=eero, thread=thread, number=3) == 3
    assert thread_mark_read(member=eero, thread=thread, number=1) == 3
    assert thread_mark_read(member=eero, thread=thread, number=99) == 4


def test_points_grants_stay_inside_daily_caps():
    category = make_category()
    aino = forum_member("aino")
    thread = start_thread(forum_member("eero"), category)
    for i in range(25):
        reply(aino, thread, body=f"Reply {i}")
    earned = PointEntry.objects.filter(member=aino, rule__key="forum-reply").values_list("amount", flat=True)
    assert sum(earned) == 40
    assert Post.objects.filter(author=aino).count() == 25


def test_accepting_your_own_reply_solves_the_thread_but_earns_nothing():
    category = make_category("repair", is_qa=True)
    aino = forum_member("aino")
    thread = start_thread(aino, category)
    fix = reply(aino, thread, body="Found it myself: the valve core was loose.")
    before = balance(aino)
    answer_accept(post=fix, actor=aino)
    assert Thread.objects.get(pk=thread.pk).is_solved
    assert balance(aino) == before
    assert not PointEntry.objects.filter(member=aino, rule__key="accepted-answer").exists()


def test_live_post_html_carries_no_token_and_no_viewer_state():
    from community.forum.rendering import post_html

    category = make_category()
    post = start_thread(forum_member("aino"), category).posts.get()
    html = post_html(post)
    assert "csrfmiddlewaretoken" not in html and "live-post-token" not in html
    assert 'data-author-id="' in html and "<form" in html


def levels(member, badge: str) -> list[int]:
    return sorted(BadgeAward.objects.filter(member=member, badge=badge).values_list("level", flat=True))


def test_forum_badges_conversation_starter_helpful_and_appreciated():
    category = make_category("repair", is_qa=True)
    aino, eero = forum_member("aino"), forum_member("eero")
    fans = [forum_member(f"fan{n}") for n in range(3)]
    thread = start_thread(aino, category)
    assert levels(aino, "conversation-starter") == [1]
    for n in range(9):
        start_thread(aino, category, title=f"Another question, number {n}")
    assert levels(aino, "conversation-starter") == [1, 2]

    answer = reply(eero, thread, body="Re-seat the bead with soapy water.")
    assert levels(eero, "helpful") == []
    answer_accept(post=answer, actor=aino)
    assert levels(eero, "helpful") == [1]
    # Accepting your own reply is not helping someone else.
    answer_accept(post=reply(aino, thread, body="Fixed it myself in the end."), actor=aino)
    assert levels(aino, "helpful") == []

    # Appreciated: 10 reactions received (one of each kind per member).
    for fan in fans:
        for kind in ("like", "helpful", "thanks"):
            reaction_toggle(member=fan, post=answer, kind=kind)
    assert levels(eero, "appreciated") == []  # 9
    reaction_toggle(member=aino, post=answer, kind="thanks")
    assert levels(eero, "appreciated") == [1]
