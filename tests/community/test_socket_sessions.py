"""A member's open sockets follow their session: logging out or changing the password closes
them (4401), a forum ban closes the forum's (4403), and a tier drop closes those the member
may no longer be on (4403) while the rest stay open. Through the real hub.asgi.application,
on the default setup and on PostgreSQL + Redis alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.events.services import live
from community.forum.services.moderation import member_sanction
from community.models import EventChatMessage, EventQuestionVote, ForumSanction
from hub.asgi import application
from membership.models import Tier, User
from membership.services.points import points_adjust
from tests.community.event_factories import make_event
from tests.community.forum_factories import forum_member, make_category, start_thread
from tests.community.sockets import ORIGIN, leave_topics  # noqa: F401  (leave_topics: an autouse fixture)
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("migrated_rows")]

BACKGROUND = ("room.attendees", "presence")


@pytest.fixture(autouse=True)
def quick_rooms(settings):
    settings.KANTA_EVENT_VOTE_BATCH_MS = 5
    settings.KANTA_EVENT_VOTE_BROADCAST_INTERVAL = 0.05


@sync_to_async
def signed_in(user: User) -> tuple[Client, bytes]:
    """A browser signed in as ``user``: its test client and its session cookie."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return client, f"{settings.SESSION_COOKIE_NAME}={session}".encode()


async def open_socket(path: str, cookie: bytes) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=[ORIGIN, (b"cookie", cookie)])
    connected, _ = await communicator.connect()
    assert connected
    frame = await next_frame(communicator)
    assert frame["type"] == "session.ready", frame
    return communicator


async def next_frame(communicator: WebsocketCommunicator) -> dict:
    while True:
        frame = await communicator.receive_json_from(timeout=3)
        if frame["type"] not in BACKGROUND:
            return frame


async def closed_with(communicator: WebsocketCommunicator, *, answer: bool = True) -> int:
    """The close code the server sent; then (``answer``) the client's side of the close, as a
    browser's, so the consumer ends now rather than when the test's event loop does."""
    while True:
        message = await communicator.receive_output(timeout=3)
        if message["type"] == "websocket.close":
            break
    if answer:
        await communicator.disconnect(code=message["code"], timeout=3)
    return message["code"]


async def still_open(communicator: WebsocketCommunicator) -> bool:
    await communicator.send_json_to({"type": "ping"})
    return (await next_frame(communicator))["type"] == "pong"


@sync_to_async
def vip_room_with_a_question():
    event = make_event(title="Waxing Q and A")
    aino, eero = forum_member("aino", tier="vip"), forum_member("eero", tier="vip")
    question = live.question_ask(member=eero, event=event, body="Klister or skins in March?")
    return event, aino, question


@sync_to_async
def drop_below(member: User, tier: str) -> None:
    """A year on, the member's status points are gone (taken back) and the tier lapses."""
    threshold = Tier.objects.get(slug=tier).threshold
    later = timezone.now() + timedelta(days=400)
    points_adjust(member=member, amount=-threshold, reason="test: lapsed", actor=member, now=later)


async def test_logout_closes_this_browsers_sockets_with_4401_and_the_room_takes_nothing_more():
    event, aino, question = await vip_room_with_a_question()
    browser, cookie = await signed_in(aino)
    _phone, phone_cookie = await signed_in(aino)
    me = await open_socket("/ws/me/", cookie)
    room = await open_socket(f"/ws/events/{event.slug}/", cookie)
    phone = await open_socket("/ws/me/", phone_cookie)

    response = await sync_to_async(browser.post)(reverse("account_logout"))
    assert response.status_code == 302

    assert await closed_with(me) == 4401
    assert await closed_with(room, answer=False) == 4401
    # Frames that still reach the old socket are not taken as the member's.
    await room.send_json_to({"type": "chat.message", "body": "Am I still here?", "request": 1})
    await room.send_json_to({"type": "question.vote", "question_id": question.pk, "request": 2})
    assert await room.receive_nothing(timeout=0.5)
    assert not await sync_to_async(EventChatMessage.objects.filter(author=aino).exists)()
    assert not await sync_to_async(EventQuestionVote.objects.filter(member=aino).exists)()
    await room.disconnect()
    # Signing out here leaves the member's other device signed in.
    assert await still_open(phone)
    await phone.disconnect()


async def test_a_password_change_closes_every_socket_of_the_member():
    category = await sync_to_async(make_category)("cycling")
    aino = await sync_to_async(forum_member)("aino")
    thread = await sync_to_async(start_thread)(aino, category)
    browser, cookie = await signed_in(aino)
    _phone, phone_cookie = await signed_in(aino)
    me = await open_socket("/ws/me/", cookie)
    phones_thread = await open_socket(f"/ws/forum/threads/{thread.pk}/", phone_cookie)

    new_password = "Kantele-under-the-ice-42"
    response = await sync_to_async(browser.post)(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302

    # The old password's sessions end everywhere, the phone's included.
    assert await closed_with(me) == 4401
    assert await closed_with(phones_thread) == 4401


async def test_a_forum_ban_closes_the_forum_sockets_with_4403_and_keeps_the_notifications():
    category = await sync_to_async(make_category)("cycling")
    aino = await sync_to_async(forum_member)("aino")
    thread = await sync_to_async(start_thread)(aino, category)

    @sync_to_async
    def moderator() -> User:
        member = forum_member("moderaattori")
        member.user_permissions.add(Permission.objects.get(codename="moderate_forum"))
        return User.objects.get(pk=member.pk)

    moderator_user = await moderator()
    _browser, cookie = await signed_in(aino)
    me = await open_socket("/ws/me/", cookie)
    forum = await open_socket("/ws/forum/", cookie)
    on_thread = await open_socket(f"/ws/forum/threads/{thread.pk}/", cookie)

    await sync_to_async(member_sanction)(
        member=aino,
        kind=ForumSanction.Kind.BAN,
        until=timezone.now() + timedelta(days=7),
        reason="spam",
        moderator=moderator_user,
    )

    assert await closed_with(forum) == 4403
    assert await closed_with(on_thread) == 4403
    # The member's own socket stays: it brings the notice of the ban.
    notice = await next_frame(me)
    assert notice["type"] == "notification.created"
    assert await still_open(me)
    await me.disconnect()


async def test_a_tier_drop_closes_the_vip_room_and_the_lounge_with_4403_and_keeps_the_rest():
    event, aino, _question = await vip_room_with_a_question()

    @sync_to_async
    def threads():
        lounge = make_category("vip-lounge", read_tier="vip")
        public = make_category("cycling")
        return start_thread(aino, lounge, title="VIP wax table"), start_thread(aino, public)

    lounge_thread, public_thread = await threads()
    _browser, cookie = await signed_in(aino)
    me = await open_socket("/ws/me/", cookie)
    room = await open_socket(f"/ws/events/{event.slug}/", cookie)
    lounge = await open_socket(f"/ws/forum/threads/{lounge_thread.pk}/", cookie)
    public = await open_socket(f"/ws/forum/threads/{public_thread.pk}/", cookie)

    await drop_below(aino, "vip")

    assert (await next_frame(room))["type"] == "access.revoked"
    assert await closed_with(room) == 4403
    assert (await next_frame(lounge))["type"] == "access.revoked"
    assert await closed_with(lounge) == 4403
    assert await still_open(public)
    assert await still_open(me)
    await public.disconnect()
    await me.disconnect()


async def test_a_tier_rise_closes_nothing():
    category = await sync_to_async(make_category)("cycling")
    aino = await sync_to_async(forum_member)("aino")
    thread = await sync_to_async(start_thread)(aino, category)
    _browser, cookie = await signed_in(aino)
    on_thread = await open_socket(f"/ws/forum/threads/{thread.pk}/", cookie)

    threshold = await sync_to_async(lambda: Tier.objects.get(slug="vip").threshold)()
    await sync_to_async(points_adjust)(member=aino, amount=threshold, reason="test: rise", actor=aino)

    assert await still_open(on_thread)
    await on_thread.disconnect()


async def test_raising_a_rooms_tier_closes_the_sockets_now_below_it():
    @sync_to_async
    def gold_room():
        return make_event(title="Gold wax clinic", tier="gold"), forum_member("juha", tier="gold")

    event, juha = await gold_room()
    aino = await sync_to_async(forum_member)("aino", tier="vip")
    _juhas_browser, juhas_cookie = await signed_in(juha)
    _ainos_browser, ainos_cookie = await signed_in(aino)
    juhas = await open_socket(f"/ws/events/{event.slug}/", juhas_cookie)
    ainos = await open_socket(f"/ws/events/{event.slug}/", ainos_cookie)

    @sync_to_async
    def raise_to_vip() -> None:
        event.min_tier = Tier.objects.get(slug="vip")
        event.save_revision().publish()

    await raise_to_vip()
    assert (await next_frame(juhas))["type"] == "access.revoked"
    assert await closed_with(juhas) == 4403
    assert await still_open(ainos)
    await ainos.disconnect()
