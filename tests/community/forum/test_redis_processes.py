"""The same broadcast across two server processes sharing Redis.

Two real daphne processes serve the test database with the Redis channel layer. A reader
connects to each; a member replies through the reply form on the first; both readers get
the same ``post.created`` (the second only through Redis: its process never saw the request).

Redis: tests/redis_server.py's ``redis_url`` (``REDIS_URL``'s server on database 13, else
127.0.0.1:6379, else a private ``redis-server``); the test skips only when none of these is
available (and under CI=true a skip is a failure).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client
from websockets.sync.client import connect

from community.models import Post
from tests.community.forum_factories import forum_member, make_category, start_thread
from tests.redis_server import redis_url  # noqa: F401  (fixture)
from tests.subprocesses import database_url_for_subprocess, frame_where, stop

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
DAPHNE = Path(sys.executable).parent / "daphne"


def listening_socket() -> socket.socket:
    """A socket already listening on a free port. A server process inherits it (daphne
    ``--fd``), so clients can connect at once: the kernel holds their connections until the
    server accepts them, and nobody polls for the port to open."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock


@pytest.fixture
def two_servers(redis_url, tmp_path, migrated_rows):  # noqa: F811
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hub.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "REDIS_URL": redis_url,
        "KANTA_VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }
    sockets = [listening_socket(), listening_socket()]
    ports = [sock.getsockname()[1] for sock in sockets]
    processes = [
        subprocess.Popen(
            [str(DAPHNE), "--fd", str(sock.fileno()), "hub.asgi:application"],
            cwd=ROOT,
            env=env,
            pass_fds=(sock.fileno(),),
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"daphne-{port}.log").open("wb"),
        )
        for sock, port in zip(sockets, ports, strict=True)
    ]
    try:
        yield ports
    finally:
        stop(*processes)
        for sock in sockets:
            sock.close()


def post_reply(port: int, thread_id: int, member, body: str) -> int:
    client = Client()
    client.force_login(member)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    token = secrets.token_hex(16)  # an unmasked CSRF secret, sent as cookie and field
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "POST",
        f"/forum/t/{thread_id}/reply/",
        body=urlencode({"csrfmiddlewaretoken": token, "body": body}),
        headers={
            "Host": "127.0.0.1",
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={token}",
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def next_frame(reader, wanted: str) -> dict:
    return frame_where(reader, lambda frame: frame["type"] == wanted)


def test_a_reply_posted_on_one_process_reaches_readers_on_both(two_servers):
    category = make_category("cycling")
    aino, eero = forum_member("aino"), forum_member("eero")
    thread = start_thread(aino, category)
    path = f"/ws/forum/threads/{thread.pk}/"
    with contextlib.ExitStack() as stack:
        readers = [
            stack.enter_context(
                connect(f"ws://127.0.0.1:{port}{path}", origin=f"http://127.0.0.1:{port}", open_timeout=60)
            )
            for port in two_servers
        ]
        for reader in readers:
            assert next_frame(reader, "session.ready")["thread"]["id"] == thread.pk

        status = post_reply(two_servers[0], thread.pk, eero, "Both processes should see this.")
        assert status in (302, 303), status
        post = Post.objects.get(thread=thread, number=2)

        received = [next_frame(reader, "post.created") for reader in readers]
        assert [frame["id"] for frame in received] == [post.pk, post.pk]
        assert received[0] == received[1]
        assert "Both processes should see this." in received[1]["post"]["html"]
