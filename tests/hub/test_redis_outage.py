"""Kanta keeps serving while Redis is really down, and its sockets resume when it returns.

A real daphne process serves the test database with its cache and channel layer on a private
``redis-server``. With that server stopped, pages render, a member signs in, replies and marks
a review helpful; once it runs again, a reader's socket reconnects with ``?since=`` and gets
the reply posted during the outage exactly once, in order, and live replies after it.

Needs ``redis-server`` (skips without it locally; under CI=true a skip is a failure).
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.core.cache import caches
from django.test import Client, override_settings
from wagtail.models import Collection
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from community.models import HelpfulVote, Post
from tests.community.conftest import write_review
from tests.community.forum.test_redis_processes import (
    DAPHNE,
    ROOT,
    listening_socket,
    post_reply,
)
from tests.community.forum_factories import forum_member, make_category, start_thread
from tests.content.conftest import make_product, site_tree  # noqa: F401  (fixture)
from tests.factories import PASSWORD, make_member
from tests.redis_server import RedisServer, private_redis_server, redis_server  # noqa: F401  (fixture)
from tests.subprocesses import database_url_for_subprocess, frame_where, stop

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@contextmanager
def daphne_on(redis_url: str, directory: Path) -> Iterator[int]:
    """One daphne process on the test database and ``redis_url``; yields its port."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hub.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "REDIS_URL": redis_url,
        "KANTA_VAR_DIR": str(directory),
        "LOG_LEVEL": "WARNING",
    }
    sock = listening_socket()
    log = directory / "daphne.log"
    process = subprocess.Popen(
        [str(DAPHNE), "--fd", str(sock.fileno()), "hub.asgi:application"],
        cwd=ROOT,
        env=env,
        pass_fds=(sock.fileno(),),
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        yield sock.getsockname()[1]
    finally:
        stop(process)
        sock.close()


class Browser:
    """A visitor with a cookie jar, one HTTP/1.1 request at a time, redirects not followed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, data: dict | None = None, headers: dict | None = None
    ) -> tuple[int, str]:
        body = urlencode(data) if data is not None else None
        sent = {"Host": "127.0.0.1", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, text

    def get(self, path: str) -> tuple[int, str]:
        return self.request("GET", path)

    def post(self, path: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, str]:
        if "csrftoken" not in self.cookies:
            self.get("/accounts/login/")  # a page with a form sets the CSRF cookie
        return self.request(
            "POST", path, {"csrfmiddlewaretoken": self.cookies["csrftoken"], **(data or {})}, headers
        )


def frames_until(reader: ClientConnection, done, seconds: float = 15) -> list[dict]:
    """Frames (presence left out) up to and including the first that ``done`` accepts."""
    frames: list[dict] = []

    def keep(frame: dict) -> bool:
        if frame["type"].startswith("presence"):
            return False
        frames.append(frame)
        return done(frame)

    frame_where(reader, keep, seconds)
    return frames


def open_reader(port: int, thread_id: int, since: int | None = None) -> ClientConnection:
    query = f"?since={since}" if since is not None else ""
    return connect(
        f"ws://127.0.0.1:{port}/ws/forum/threads/{thread_id}/{query}",
        origin=f"http://127.0.0.1:{port}",
        open_timeout=60,
    )


@pytest.fixture
def root_collection(migrated_rows):
    # Images need Wagtail's root collection, which an earlier transactional test's flush took.
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")


def test_with_redis_stopped_pages_render_members_sign_in_and_post_then_sockets_resume(
    redis_server: RedisServer,  # noqa: F811
    tmp_path,
    root_collection,
    site_tree,  # noqa: F811
    settings,
):
    settings.KANTA_REVIEW_PREMODERATE_FIRST = False  # the review is public at once
    category = make_category("cycling")
    aino, eero, ville = forum_member("aino"), forum_member("eero"), forum_member("ville")
    thread = start_thread(aino, category)
    first = Post.objects.get(thread=thread, number=1)
    review = write_review(aino, make_product())
    pages = ["/", f"/forum/t/{thread.pk}/", "/leaderboard/", "/accounts/login/", "/forum/"]

    with daphne_on(redis_server.url, tmp_path) as port:
        visitor = Browser(port)
        for path in pages:  # warm: the cache and the layer hold connections to lose
            assert visitor.get(path)[0] == 200, path
        with open_reader(port, thread.pk) as old_reader:
            ready = frames_until(old_reader, lambda frame: frame["type"] == "session.ready")[-1]
            assert ready["last_id"] == first.pk

            redis_server.stop()

            for path in pages:
                status, _html = visitor.get(path)
                assert status == 200, path

            member = Browser(port)
            status, _html = member.post("/accounts/login/", {"login": "eero", "password": PASSWORD})
            assert status == 302, "the member is signed in and sent on"
            status, html = member.get("/")
            assert status == 200 and 'action="/accounts/logout/"' in html

            status, _html = member.post(
                f"/forum/t/{thread.pk}/reply/", {"body": "Posted while Redis was down."}
            )
            assert status in (302, 303)
            during = Post.objects.get(thread=thread, number=2)
            assert during.author_id == eero.pk

            status, body = member.post(
                f"/reviews/{review.pk}/helpful/", headers={"Accept": "application/json"}
            )
            assert status == 200 and json.loads(body)["helpful"] is True
            assert HelpfulVote.objects.filter(review=review, member=eero).exists()

            # The socket lost its channel with Redis: the server closes it, so the page
            # knows to reconnect instead of waiting on a socket that will never hear again.
            with pytest.raises(ConnectionClosed):
                frames_until(old_reader, lambda frame: False)

        redis_server.start()

        # What the page does after the drop: reconnect with the last id it saw. The first
        # attempt is taken, though the layer's pooled connections died with the old Redis.
        with open_reader(port, thread.pk, since=first.pk) as reader:
            frames = frames_until(reader, lambda frame: frame["type"] == "session.ready")
            created = [frame for frame in frames if frame["type"] == "post.created"]
            assert [frame["id"] for frame in created] == [during.pk]
            assert frames[-1]["last_id"] == during.pk

            # Another member: eero's next post would wait for the forum's post interval.
            assert post_reply(port, thread.pk, ville, "Redis is back.") in (302, 303)
            after = Post.objects.get(thread=thread, number=3)
            live = frames_until(reader, lambda frame: frame["type"] == "post.created")
            assert [frame["id"] for frame in live if frame["type"] == "post.created"] == [after.pk]

        for path in pages:
            assert visitor.get(path)[0] == 200, path


def outage_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "hub.cache.FaultTolerantRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "kanta",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0, "DOWN_RETRY_SECONDS": 0},
        }
    }


def test_the_cache_works_again_once_redis_returns(tmp_path, caplog):
    with private_redis_server(tmp_path) as (url, server), override_settings(CACHES=outage_cache(url)):
        cache = caches["default"]
        cache.set("greeting", "hei", 60)
        assert cache.get("greeting") == "hei"
        server.stop()
        assert cache.get("greeting") is None
        assert cache.breaker.down
        server.start()  # empty: this one does not persist
        assert cache.get("greeting") is None  # the probe reconnects (no pause configured)
        assert not cache.breaker.down
        cache.set("greeting", "moi", 60)
        assert cache.get("greeting") == "moi"
    messages = [record.getMessage() for record in caplog.records if record.name == "hub.cache"]
    assert len(messages) == 2
    assert "unreachable" in messages[0] and "answers again" in messages[1]


def test_a_sign_out_during_the_outage_stays_signed_out_when_redis_returns(tmp_path, migrated_rows):
    """Sessions are in the database only. Were they also in the cache ("cached_db"), the
    sign-out would delete the row but not Redis's copy, and a Redis that comes back with its
    data (restarted from disk, or only unreachable for a while) would sign the member in again."""
    member = make_member("aino")
    with (
        private_redis_server(tmp_path, persist=True) as (url, server),
        override_settings(CACHES=outage_cache(url)),
    ):
        client = Client()
        client.force_login(member)
        assert client.get("/accounts/email/").status_code == 200
        stolen = client.cookies["sessionid"].value

        server.stop()
        assert client.post("/accounts/logout/").status_code == 302
        server.start()

        replay = Client()
        replay.cookies["sessionid"] = stolen
        response = replay.get("/accounts/email/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
