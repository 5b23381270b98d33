"""Issue 15: the live room's socket answers in the member's language, and every refusal of a
question names the rule. The Finnish text of a new message is added by the translators later,
so a test catalog entry stands in for it: what is checked is that the frame's text goes
through gettext in the member's language (saved, else the cookie or the browser's)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils.translation import trans_real

from community.events.services import live
from hub.asgi import application
from membership.models import User
from tests.community.event_factories import make_event
from tests.community.forum_factories import forum_member
from tests.community.sockets import ORIGIN, leave_topics, session_cookie  # noqa: F401  (leave_topics: an autouse fixture)

from .test_live_sockets import frame_where, room_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("migrated_rows")]

RULE = "A question is %(minimum)s to %(maximum)s characters; yours has %(count)s."
RULE_FI = "Kysymyksessä on %(minimum)s–%(maximum)s merkkiä; sinun kysymyksessäsi on %(count)s."


@pytest.fixture
def finnish_rule():
    """The rule's Finnish text in the Finnish catalog, for this test only."""
    catalog = trans_real.translation("fi")._catalog
    catalog[RULE] = RULE_FI
    yield
    catalog._catalogs[0].pop(RULE, None)


@sync_to_async
def room_with(*languages: str):
    event = make_event()
    members = []
    for n, language in enumerate(languages):
        member = forum_member(f"member{n}", tier="vip")
        User.objects.filter(pk=member.pk).update(language=language)
        members.append(User.objects.get(pk=member.pk))
    return event, members


async def error_for(communicator, request: str) -> dict:
    return await frame_where(communicator, lambda f: f["type"] == "error" and f.get("request") == request)


async def test_a_short_question_is_refused_with_the_rule_in_each_members_language(finnish_rule):
    event, (finn, english) = await room_with("fi", "en")
    fi_socket, en_socket = await room_socket(event, finn), await room_socket(event, english)
    for communicator in (fi_socket, en_socket):
        await frame_where(communicator, lambda f: f["type"] == "session.ready")
        await communicator.send_json_to({"type": "question.ask", "body": "ok", "request": "q"})
    assert (await error_for(fi_socket, "q"))["message"] == (
        "Kysymyksessä on 3–300 merkkiä; sinun kysymyksessäsi on 2."
    )
    assert (await error_for(en_socket, "q"))["message"] == "A question is 3 to 300 characters; yours has 2."
    await fi_socket.disconnect()
    await en_socket.disconnect()


async def test_a_vote_refusal_from_a_shared_batch_is_in_the_voters_language():
    event, (finn, english) = await room_with("fi", "en")
    own_fi = await sync_to_async(live.question_ask)(member=finn, event=event, body="Pito vai liukuvoide?")
    own_en = await sync_to_async(live.question_ask)(member=english, event=event, body="Grip wax or skins?")
    fi_socket, en_socket = await room_socket(event, finn), await room_socket(event, english)
    for communicator, question in ((fi_socket, own_fi), (en_socket, own_en)):
        await frame_where(communicator, lambda f: f["type"] == "session.ready")
        await communicator.send_json_to({"type": "question.vote", "question_id": question.pk, "request": "v"})
    assert (await error_for(fi_socket, "v"))["message"] == "Et voi äänestää omaa kysymystäsi."
    assert (await error_for(en_socket, "v"))["message"] == "You cannot vote for your own question."
    await fi_socket.disconnect()
    await en_socket.disconnect()


async def test_an_anonymous_visitor_reads_the_room_in_the_browsers_language():
    event = await sync_to_async(make_event)(access="public", tier=None, title="Open webinar")
    headers = [ORIGIN, (b"accept-language", b"fi-FI,fi;q=0.9,en;q=0.5")]
    communicator = WebsocketCommunicator(application, f"/ws/events/{event.slug}/", headers=headers)
    assert (await communicator.connect())[0]
    await frame_where(communicator, lambda f: f["type"] == "session.ready")
    await communicator.send_json_to({"type": "question.ask", "body": "Hei?", "request": 1})
    assert (await error_for_int(communicator, 1))["message"] == "Kirjaudu sisään, niin voit osallistua."
    await communicator.disconnect()


async def error_for_int(communicator, request: int) -> dict:
    return await frame_where(communicator, lambda f: f["type"] == "error" and f.get("request") == request)
