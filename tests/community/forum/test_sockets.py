"""The forum's sockets through the real ``hub.asgi.application`` (origin check, session auth,
routing): access on connect and after moderation, events after commit only, resume,
presence, error frames, audience variants."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from community.forum import consumers
from community.forum.realtime import send_access_revoked, thread_group
from community.forum.services.moderation import member_sanction, thread_move
from community.forum.sockets import thread_presence
from community.models import ForumPresence, ForumSanction, Post, Thread
from community.presence import presence_enter, presence_heartbeat
from hub.asgi import application
from hub.realtime import send_variants_on_commit
from membership.models import Tier, User
from membership.services.points import points_adjust
from tests.community.forum_factories import forum_member, make_category, reply, start_thread
from tests.community.sockets import ORIGIN, leave_topics, session_cookie  # noqa: F401  (leave_topics: an autouse fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("migrated_rows")]


@pytest.fixture(autouse=True)
def quick_presence(settings):
    settings.KANTA_FORUM_PRESENCE_INTERVAL = 0.02


async def open_socket(path: str, user=None, *, origin: tuple[bytes, bytes] = ORIGIN) -> WebsocketCommunicator:
    headers = [origin]
    if user is not None:
        headers.append((b"cookie", await session_cookie(user)))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


# Every reply also updates the thread's counters (thread.updated), and presence comes and
# goes; tests about posts look past both.
BACKGROUND = ("presence", "thread.updated")


async def next_frame(communicator: WebsocketCommunicator, *, ignore: tuple[str, ...] = BACKGROUND) -> dict:
    while True:
        frame = await communicator.receive_json_from(timeout=2)
        if frame["type"] not in ignore:
            return frame


async def nothing_but_presence(communicator: WebsocketCommunicator) -> bool:
    """True once the socket has been quiet for 0.3 s, except for background frames."""
    while not await communicator.receive_nothing(timeout=0.3):
        frame = json.loads((await communicator.receive_output())["text"])
        if frame["type"] not in BACKGROUND:
            raise AssertionError(f"unexpected frame {frame}")
    return True


async def thread_socket(thread: Thread, user=None, *, since: int | None = None):
    path = f"/ws/forum/threads/{thread.pk}/" + (f"?since={since}" if since is not None else "")
    communicator = await open_socket(path, user)
    return communicator, await next_frame(communicator)


def tiered(username: str, tier: str) -> User:
    member = forum_member(username)
    threshold = Tier.objects.get(slug=tier).threshold
    points_adjust(member=member, amount=threshold, reason="test tier", actor=member)
    return User.objects.get(pk=member.pk)


def make_moderator() -> User:
    moderator = forum_member("moderaattori")
    moderator.user_permissions.add(Permission.objects.get(codename="moderate_forum"))
    return User.objects.get(pk=moderator.pk)


@sync_to_async
def public_thread():
    category = make_category("cycling")
    aino = forum_member("aino")
    return category, aino, start_thread(aino, category)


@sync_to_async
def restricted(read_tier: str):
    category = make_category(f"{read_tier}-lounge", read_tier=read_tier)
    author = tiered(f"{read_tier}-author", read_tier) if read_tier != "member" else forum_member("author")
    return category, start_thread(author, category)


async def closed_with(communicator: WebsocketCommunicator) -> int:
    while True:
        message = await communicator.receive_output(timeout=2)
        if message["type"] == "websocket.close":
            return message["code"]


# --- access on connect ---------------------------------------------------------------------


async def test_anonymous_reader_of_a_public_thread_gets_ready_then_posts_after_commit():
    _category, _aino, thread = await public_thread()
    eero = await sync_to_async(forum_member)("eero")
    communicator, ready = await thread_socket(thread)
    first_post_id = await sync_to_async(lambda: thread.posts.get(number=1).pk)()
    assert ready["type"] == "session.ready"
    assert ready["last_id"] == first_post_id
    assert ready["thread"]["id"] == thread.pk and ready["thread"]["is_locked"] is False
    assert ready["presence"] == {"reading": 1, "replying": 0}
    assert ready["truncated"] is False

    post = await sync_to_async(reply)(eero, thread, body="Studded, **always**.")
    event = await next_frame(communicator)
    assert event["type"] == "post.created"
    assert event["id"] == post.pk
    assert event["post"]["number"] == 2 and event["post"]["author"] == "eero"
    assert "<strong>always</strong>" in event["post"]["html"]
    await communicator.disconnect()


async def test_a_reply_reaches_the_watchers_notifications_live():
    _category, aino, thread = await public_thread()
    eero = await sync_to_async(forum_member)("eero")
    me = await open_socket("/ws/me/", aino)
    assert (await me.receive_json_from(timeout=2))["type"] == "session.ready"

    post = await sync_to_async(reply)(eero, thread, body="Studded, always. Ask @aino too.")
    frame = await me.receive_json_from(timeout=2)
    assert frame["type"] == "notification.created"
    assert frame["notification"]["kind"] == "forum-mention"
    assert frame["notification"]["url"] == post.get_absolute_url()
    assert "eero mentioned you" in frame["notification"]["title"]
    await me.disconnect()


async def frame_where(communicator: WebsocketCommunicator, predicate) -> dict:
    """The next frame ``predicate`` accepts (others, such as counters and presence, pass by)."""
    while True:
        frame = await communicator.receive_json_from(timeout=2)
        if predicate(frame):
            return frame


async def test_edits_reactions_and_the_threads_state_reach_readers_live():
    from community.forum.services.moderation import thread_lock, thread_pin
    from community.forum.services.posts import answer_accept, post_edit, reaction_toggle

    @sync_to_async
    def question():
        category = make_category("repair", is_qa=True)
        aino, eero = forum_member("aino"), forum_member("eero")
        thread = start_thread(aino, category)
        return aino, eero, thread, reply(eero, thread, body="Nokian W240.")

    aino, eero, thread, answer = await question()
    moderator = await sync_to_async(make_moderator)()
    communicator, _ready = await thread_socket(thread)  # an anonymous reader

    await sync_to_async(post_edit)(post=answer, editor=eero, body="Nokian W240, **studded**.")
    edited = await frame_where(communicator, lambda f: f["type"] == "post.updated")
    assert edited["id"] == answer.pk and "<strong>studded</strong>" in edited["post"]["html"]
    assert edited["post"]["edited_at"] is not None

    await sync_to_async(reaction_toggle)(member=aino, post=answer, kind="helpful")
    counted = await frame_where(communicator, lambda f: f["type"] == "reaction.updated")
    assert (counted["id"], counted["counts"]) == (answer.pk, {"like": 0, "helpful": 1, "thanks": 0})

    def thread_frame(key):
        return lambda f: f["type"] == "thread.updated" and f["thread"][key]

    await sync_to_async(answer_accept)(post=answer, actor=aino)
    solved = await frame_where(communicator, thread_frame("is_solved"))
    assert solved["thread"]["accepted_post_id"] == answer.pk
    await sync_to_async(thread_lock)(thread=thread, moderator=moderator, reason="Answered.")
    assert (await frame_where(communicator, thread_frame("is_locked")))["thread"]["is_solved"]
    await sync_to_async(thread_pin)(thread=thread, moderator=moderator)
    assert (await frame_where(communicator, thread_frame("is_pinned")))["thread"]["is_locked"]
    await communicator.disconnect()


async def test_anonymous_in_a_members_only_category_is_closed_4401():
    _category, thread = await restricted("member")
    communicator = await open_socket(f"/ws/forum/threads/{thread.pk}/")
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4401}
    assert not await sync_to_async(ForumPresence.objects.exists)()


async def test_member_below_the_read_tier_is_closed_4403_and_a_gold_member_gets_in():
    _category, thread = await restricted("gold")
    silver = await sync_to_async(tiered)("silja", "silver")
    gold = await sync_to_async(tiered)("kulta", "gold")
    refused = await open_socket(f"/ws/forum/threads/{thread.pk}/", silver)
    assert await refused.receive_output() == {"type": "websocket.close", "code": 4403}
    allowed, ready = await thread_socket(thread, gold)
    assert ready["type"] == "session.ready"
    await allowed.disconnect()


async def test_banned_member_is_closed_4403_and_unknown_thread_4404():
    _category, aino, thread = await public_thread()
    eero = await sync_to_async(forum_member)("eero")
    await sync_to_async(ForumSanction.objects.create)(
        member=eero, kind=ForumSanction.Kind.BAN, until=timezone.now() + timedelta(days=3), reason="spam"
    )
    banned = await open_socket(f"/ws/forum/threads/{thread.pk}/", eero)
    assert await banned.receive_output() == {"type": "websocket.close", "code": 4403}
    missing = await open_socket(f"/ws/forum/threads/{thread.pk + 1000}/", aino)
    assert await missing.receive_output() == {"type": "websocket.close", "code": 4404}


async def test_foreign_origin_is_refused():
    _category, aino, thread = await public_thread()
    communicator = WebsocketCommunicator(
        application,
        f"/ws/forum/threads/{thread.pk}/",
        headers=[(b"origin", b"https://evil.example"), (b"cookie", await session_cookie(aino))],
    )
    connected, _ = await communicator.connect()
    assert not connected


# --- after commit, never after rollback ------------------------------------------------------


async def test_rolled_back_reply_never_reaches_the_socket():
    _category, _aino, thread = await public_thread()
    eero = await sync_to_async(forum_member)("eero")
    communicator, _ready = await thread_socket(thread)

    @sync_to_async
    def reply_then_roll_back():
        with transaction.atomic():
            reply(eero, thread, body="This reply is rolled back.")
            transaction.set_rollback(True)

    await reply_then_roll_back()
    assert await nothing_but_presence(communicator)
    assert not await sync_to_async(Post.objects.filter(body__contains="rolled back").exists)()

    kept = await sync_to_async(reply)(eero, thread, body="This one stays.")
    event = await next_frame(communicator)
    assert (event["type"], event["id"]) == ("post.created", kept.pk)
    await communicator.disconnect()


async def test_every_reader_gets_the_same_frame_in_order():
    _category, aino, thread = await public_thread()
    eero = await sync_to_async(forum_member)("eero")
    sockets = [(await thread_socket(thread, user))[0] for user in (None, None, aino, eero)]
    posts = [await sync_to_async(reply)(eero, thread, body=f"Reply number {n}.") for n in range(3)]
    for communicator in sockets:
        received = [await next_frame(communicator) for _ in range(3)]
        assert [frame["id"] for frame in received] == [post.pk for post in posts]
        await communicator.disconnect()


# --- resume ----------------------------------------------------------------------------------


async def test_resume_with_since_replays_each_missed_post_once_in_order():
    _category, aino, thread = await public_thread()
    eero = await sync_to_async(forum_member)("eero")
    first, second, third = [await sync_to_async(reply)(eero, thread, body=f"Missed {n}.") for n in range(3)]

    communicator = await open_socket(f"/ws/forum/threads/{thread.pk}/?since={first.pk}", aino)
    replayed = [await next_frame(communicator), await next_frame(communicator)]
    assert [(frame["type"], frame["id"]) for frame in replayed] == [
        ("post.created", second.pk),
        ("post.created", third.pk),
    ]
    ready = await next_frame(communicator)
    assert ready["type"] == "session.ready" and ready["last_id"] == third.pk
    assert await nothing_but_presence(communicator)

    live = await sync_to_async(reply)(eero, thread, body="Live again.")
    assert (await next_frame(communicator))["id"] == live.pk
    await communicator.disconnect()


async def test_a_post_committed_while_the_backlog_is_read_arrives_once(monkeypatch):
    """The socket joins the thread's group before it reads the backlog, so a reply committed
    in between is both in the backlog and in the live stream: it must be sent once."""
    _category, _aino, thread = await public_thread()
    eero = await sync_to_async(forum_member)("eero")
    first = await sync_to_async(reply)(eero, thread, body="Seen before the reconnect.")
    opened = consumers.thread_socket_open
    racing = []

    def reply_during_connect(*args, **kwargs):
        racing.append(reply(eero, thread, body="Committed during the connect."))
        return opened(*args, **kwargs)

    monkeypatch.setattr(consumers, "thread_socket_open", reply_during_connect)
    communicator = await open_socket(f"/ws/forum/threads/{thread.pk}/?since={first.pk}")
    replayed = await next_frame(communicator)
    assert (replayed["type"], replayed["id"]) == ("post.created", racing[0].pk)
    assert (await next_frame(communicator))["type"] == "session.ready"
    assert await nothing_but_presence(communicator)
    await communicator.disconnect()


async def test_hidden_posts_are_not_replayed():
    _category, _aino, thread = await public_thread()
    eero = await sync_to_async(forum_member)("eero")
    first = await sync_to_async(reply)(eero, thread, body="Fine.")
    hidden = await sync_to_async(reply)(eero, thread, body="Hidden later.")
    await sync_to_async(Post.objects.filter(pk=hidden.pk).update)(state=Post.State.HIDDEN)
    communicator = await open_socket(f"/ws/forum/threads/{thread.pk}/?since={first.pk}")
    ready = await next_frame(communicator)
    assert ready["type"] == "session.ready" and ready["last_id"] == first.pk
    await communicator.disconnect()


# --- presence --------------------------------------------------------------------------------


async def test_presence_counts_readers_and_repliers():
    _category, aino, thread = await public_thread()
    eero = await sync_to_async(forum_member)("eero")
    anonymous, _ = await thread_socket(thread)
    aino_tab_one, _ = await thread_socket(thread, aino)
    aino_tab_two, _ = await thread_socket(thread, aino)
    eeros, ready = await thread_socket(thread, eero)
    # Aino's two tabs count once.
    assert ready["presence"] == {"reading": 3, "replying": 0}

    async def latest_presence(communicator) -> dict:
        frame = await next_frame(communicator, ignore=())
        while frame["type"] != "presence" or not await communicator.receive_nothing(timeout=0.1):
            frame = await next_frame(communicator, ignore=())
        return frame

    assert (await latest_presence(anonymous))["reading"] == 3
    await eeros.send_json_to({"type": "presence.replying", "replying": True})
    frame = await latest_presence(anonymous)
    assert (frame["reading"], frame["replying"]) == (3, 1)

    await eeros.send_json_to({"type": "presence.replying", "replying": False})
    await eeros.disconnect()
    frame = await latest_presence(anonymous)
    assert (frame["reading"], frame["replying"]) == (2, 0)
    assert await sync_to_async(ForumPresence.objects.count)() == 3
    for communicator in (anonymous, aino_tab_one, aino_tab_two):
        await communicator.disconnect()
    assert await sync_to_async(ForumPresence.objects.count)() == 0


def test_stale_presence_rows_are_dropped_by_the_heartbeat():
    category = make_category("cycling")
    aino = forum_member("aino")
    thread = start_thread(aino, category)
    old = timezone.now() - timedelta(minutes=10)
    presence_enter(ForumPresence, topic_id=thread.pk, channel_name="gone", member_id=aino.pk, now=old)
    presence_enter(ForumPresence, topic_id=thread.pk, channel_name="here", member_id=None)
    assert thread_presence(thread_id=thread.pk) == {"reading": 1, "replying": 0}
    assert presence_heartbeat(ForumPresence, channel_names=["here"]) == [thread.pk]
    assert list(ForumPresence.objects.values_list("channel_name", flat=True)) == ["here"]


# --- access taken away -----------------------------------------------------------------------


async def test_ban_closes_the_members_forum_sockets_with_4403():
    _category, aino, thread = await public_thread()
    eero = await sync_to_async(forum_member)("eero")
    eeros_thread, _ = await thread_socket(thread, eero)
    eeros_index = await open_socket("/ws/forum/", eero)
    assert (await next_frame(eeros_index))["type"] == "session.ready"
    ainos, _ = await thread_socket(thread, aino)

    moderator = await sync_to_async(make_moderator)()

    @sync_to_async
    def ban():
        until = timezone.now() + timedelta(days=7)
        member_sanction(
            member=eero, kind=ForumSanction.Kind.BAN, until=until, reason="spam", moderator=moderator
        )

    await ban()
    for communicator in (eeros_thread, eeros_index):
        assert (await next_frame(communicator))["type"] == "access.revoked"
        assert await closed_with(communicator) == 4403
    assert await nothing_but_presence(ainos)
    assert await sync_to_async(ForumPresence.objects.filter(member=eero).exists)() is False
    await ainos.disconnect()


async def test_moving_a_thread_to_a_restricted_category_closes_who_may_no_longer_read_it():
    _category, aino, thread = await public_thread()
    gold_category, _gold_thread = await restricted("gold")
    gold = await sync_to_async(tiered)("kulta", "gold")
    moderator = await sync_to_async(make_moderator)()
    anonymous, _ = await thread_socket(thread)
    ainos, _ = await thread_socket(thread, aino)
    golds, _ = await thread_socket(thread, gold)
    moderators, _ = await thread_socket(thread, moderator)

    @sync_to_async
    def move():
        thread_move(thread=thread, category=gold_category, moderator=moderator, reason="Gold members' topic")

    await move()
    for communicator in (anonymous, ainos):
        assert (await next_frame(communicator))["type"] == "access.revoked"
        assert await closed_with(communicator) == 4403
    for communicator in (golds, moderators):
        assert await nothing_but_presence(communicator)
        await communicator.disconnect()


async def test_revocation_rolled_back_closes_nothing():
    _category, _aino, thread = await public_thread()
    communicator, _ = await thread_socket(thread)

    @sync_to_async
    def hide_then_roll_back():
        with transaction.atomic():
            Thread.objects.filter(pk=thread.pk).update(state=Thread.State.HIDDEN)
            send_access_revoked(thread_id=thread.pk)
            transaction.set_rollback(True)

    await hide_then_roll_back()
    assert await nothing_but_presence(communicator)
    await communicator.disconnect()


# --- frames from the client ------------------------------------------------------------------


async def test_bad_frames_get_error_frames_and_the_socket_stays_open():
    _category, _aino, thread = await public_thread()
    communicator, _ = await thread_socket(thread)
    await communicator.send_to(text_data="{not json")
    assert (await next_frame(communicator))["code"] == "bad_json"
    await communicator.send_json_to({"type": "post.created", "id": 1})
    assert await next_frame(communicator) == {
        "type": "error",
        "code": "unknown_type",
        "message": "Unknown frame type.",
        "frame_type": "post.created",
    }
    await communicator.send_json_to({"type": "presence.replying", "replying": "yes"})
    assert (await next_frame(communicator))["code"] == "invalid"
    await communicator.send_json_to({"type": "presence.replying", "replying": True})
    assert (await next_frame(communicator))["code"] == "forbidden"  # anonymous
    await communicator.send_to(bytes_data=b"\x00")
    assert (await next_frame(communicator))["code"] == "bad_frame"
    await communicator.send_json_to({"type": "ping"})
    assert await next_frame(communicator) == {"type": "pong"}
    await communicator.disconnect()


# --- the forum and category sockets ----------------------------------------------------------


async def test_forum_socket_gets_new_threads_of_readable_categories_only():
    category, aino, _thread = await public_thread()
    gold_category, _ = await restricted("gold")
    communicator = await open_socket("/ws/forum/")
    ready = await next_frame(communicator)
    assert ready == {"type": "session.ready", "categories": [category.pk]}

    gold = await sync_to_async(tiered)("kulta", "gold")
    await sync_to_async(start_thread)(gold, gold_category, title="Gold members only")
    public = await sync_to_async(start_thread)(aino, category, title="Open to everyone")
    event = await next_frame(communicator)
    assert event["type"] == "thread.created" and event["thread"]["id"] == public.pk
    assert await nothing_but_presence(communicator)
    await communicator.disconnect()

    refused = await open_socket(f"/ws/forum/c/{gold_category.slug}/")
    assert await refused.receive_output() == {"type": "websocket.close", "code": 4401}
    category_socket = await open_socket(f"/ws/forum/c/{category.slug}/", aino)
    assert (await next_frame(category_socket))["categories"] == [category.pk]
    await category_socket.disconnect()


async def test_restricting_a_category_closes_list_sockets_that_may_no_longer_read_it():
    category, aino, _thread = await public_thread()
    other = await sync_to_async(make_category)("running")
    gold = await sync_to_async(tiered)("kulta", "gold")
    ainos_index = await open_socket("/ws/forum/", aino)
    assert (await next_frame(ainos_index))["categories"] == [category.pk, other.pk]
    ainos_category = await open_socket(f"/ws/forum/c/{category.slug}/", aino)
    ainos_other = await open_socket(f"/ws/forum/c/{other.slug}/", aino)
    golds_index = await open_socket("/ws/forum/", gold)
    for communicator in (ainos_category, ainos_other, golds_index):
        assert (await next_frame(communicator))["type"] == "session.ready"

    @sync_to_async
    def restrict():
        from community.forum.services.moderation import category_access_changed

        category.read_tier = Tier.objects.get(slug="gold")
        category.save(update_fields=["read_tier"])
        category_access_changed(category=category)

    await restrict()
    # Aino's list of every category reconnects (and then listens to the others only); her
    # socket on that category closes for good; Gold members and other categories go on.
    assert await closed_with(ainos_index) == 1012
    assert (await next_frame(ainos_category))["type"] == "access.revoked"
    assert await closed_with(ainos_category) == 4403
    again = await open_socket("/ws/forum/", aino)
    assert (await next_frame(again))["categories"] == [other.pk]

    await sync_to_async(start_thread)(gold, category, title="Gold members only now")
    created = await next_frame(golds_index)
    assert (created["type"], created["thread"]["title"]) == ("thread.created", "Gold members only now")
    for communicator in (again, ainos_other):
        assert await nothing_but_presence(communicator)
    for communicator in (again, ainos_other, golds_index):
        await communicator.disconnect()


# --- one event, a version per audience -------------------------------------------------------


async def test_each_socket_gets_the_version_of_its_audience(settings):
    # The transport under test, with stand-in payloads: not checked against their definitions.
    settings.KANTA_REALTIME_CHECK_EVENTS = False
    _category, aino, thread = await public_thread()
    moderator = await sync_to_async(make_moderator)()
    readers = [(await thread_socket(thread, user))[0] for user in (None, aino)]
    moderators, _ = await thread_socket(thread, moderator)

    @sync_to_async
    def send():
        with transaction.atomic():
            send_variants_on_commit(
                thread_group(thread.pk),
                {
                    "reader": {"type": "post.hidden", "id": 7, "number": 2, "state": "hidden"},
                    "moderator": {"type": "post.updated", "id": 7, "post": {"state": "hidden"}},
                },
            )
            send_variants_on_commit(
                thread_group(thread.pk), {"moderator": {"type": "flag.created", "id": 8}, "reader": None}
            )

    await send()
    for communicator in readers:
        assert (await next_frame(communicator))["type"] == "post.hidden"
        assert await nothing_but_presence(communicator)
        await communicator.disconnect()
    assert (await next_frame(moderators))["type"] == "post.updated"
    assert (await next_frame(moderators))["type"] == "flag.created"
    await moderators.disconnect()
