"""End to end in Chromium: a member is @mentioned in a reply, the queued task that makes the
notification runs in a real worker process (``manage.py run_worker``), and the member's open
page shows it on the bell live, without a reload.

The worker is another process: on the default settings its in-memory channel layer cannot
reach the server's sockets, so its events travel through the relay table (hub.realtime); with
REDIS_URL they go through Redis. CI runs this file on both.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from community.forum.services.posts import post_create
from membership.models import Notification
from tests.community.forum_factories import forum_member, make_category, start_thread
from tests.subprocesses import database_url_for_subprocess

from .test_notifications_toast import make_home_page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
# The worker starts (imports Django, connects) and picks the task up: generous for slow CI.
WORKER_DELIVERY_TIMEOUT_MS = 60_000


@pytest.fixture
def queued_tasks(settings) -> None:
    """The server queues tasks in the database, as it does outside tests, for the worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def start_worker(live_asgi, queued_tasks, tmp_path) -> Iterator:
    """Starts ``manage.py run_worker`` on the test database; stopped before the flush."""
    processes: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        env = {
            **os.environ,
            # The development settings: tasks come from the database queue (the test
            # settings run them inline). REDIS_URL, when set, is the server's too.
            "DJANGO_SETTINGS_MODULE": "hub.settings.dev",
            "DATABASE_URL": database_url_for_subprocess(),
            "KANTA_VAR_DIR": str(tmp_path),
            "DEBUG": "0",
        }
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--tick", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=(tmp_path / "worker.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_mention_made_by_the_worker_reaches_the_open_pages_bell_live(
    live_asgi, browser_page, console, start_worker, tmp_path
):
    from playwright.sync_api import expect

    live_asgi.call(make_home_page)
    aino = live_asgi.call(forum_member, "aino", display_name="Aino Virtanen")
    eero = live_asgi.call(forum_member, "eero")
    category = live_asgi.call(make_category, "cycling")
    thread = live_asgi.call(start_thread, eero, category, title="Studded tyres for the commute?")

    def session_cookie() -> dict:
        client = Client()
        client.force_login(aino)
        value = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        return {"name": django_settings.SESSION_COOKIE_NAME, "value": value, "url": live_asgi.url}

    page = browser_page
    page.context.add_cookies([live_asgi.call(session_cookie)])
    page.goto("/")
    status = page.locator(".site-header [data-socket-status]")
    expect(status).to_have_attribute("data-state", "open")
    bell_count = page.locator(".site-header [data-bell-count]")
    expect(bell_count).to_be_hidden()
    page.evaluate("window.kantaNotReloaded = true")

    # Eero mentions Aino: the notification is a queued task, so nothing exists yet...
    live_asgi.call(
        post_create,
        author=eero,
        thread=thread,
        body="@aino rode Nokian W240s all winter?",
        enforce_limits=False,
    )
    assert live_asgi.call(Notification.objects.filter(recipient=aino).count) == 0

    # ...until the worker, another process, runs it.
    worker = start_worker()
    mention = "eero mentioned you in “Studded tyres for the commute?”"
    toasts = page.locator("[data-toasts] .toast__title")
    expect(toasts.filter(has_text=mention)).to_have_count(1, timeout=WORKER_DELIVERY_TIMEOUT_MS)
    expect(bell_count).not_to_have_text("0")
    kinds = sorted(
        live_asgi.call(
            lambda: list(Notification.objects.filter(recipient=aino).values_list("kind", flat=True))
        )
    )
    assert "forum-mention" in kinds, kinds  # beside what the periodic jobs gave (a badge)
    expect(bell_count).to_have_text(str(len(kinds)))
    assert page.evaluate("window.kantaNotReloaded") is True
    expect(status).to_have_attribute("data-state", "open")
    assert worker.poll() is None, (tmp_path / "worker.log").read_text()

    assert console.errors == []
    assert live_asgi.error_messages() == []
