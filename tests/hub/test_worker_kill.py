"""A worker killed in the middle of a task: the task runs again, to the end, exactly once in
effect. Real ``manage.py run_worker`` processes on the test database and a real SIGKILL.

The task (tests/hub/worker_tasks.py) stores a notification, then connects to the test and
waits to be let go, so the test knows it is running. The first worker is killed there: its
notification is rolled back with it (a task's writes commit with its SUCCESSFUL mark), and
its row stays RUNNING. A second worker sees that the first has not been seen for the grace
period, queues the task again, runs it, and the member has one notification.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from membership.models import Notification
from tests.factories import make_member
from tests.subprocesses import database_url_for_subprocess

from .worker_tasks import KIND, notify_then_wait

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Bounds every wait of the test for a worker (starting Django, the grace period, the task).
WAIT = 120


def start_worker(tmp_path: Path, name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.hub.worker_settings",
        "DATABASE_URL": database_url_for_subprocess(),
        "KANTA_VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--tick", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / f"{name}.log").open("wb"),
        stderr=subprocess.STDOUT,
    )


def task_started(listener: socket.socket) -> socket.socket:
    """The connection of the task once it runs (it says so first)."""
    conn, _ = listener.accept()
    conn.settimeout(WAIT)
    assert conn.recv(16) == b"started"
    return conn


def test_a_task_whose_worker_was_killed_runs_again_exactly_once(tmp_path, migrated_rows):
    member = make_member("aino")
    with socket.create_server(("127.0.0.1", 0)) as listener, override_settings(TASKS=DATABASE_QUEUE):
        listener.settimeout(WAIT)
        result = notify_then_wait.enqueue(member_id=member.pk, port=listener.getsockname()[1])

        first = start_worker(tmp_path, "first")
        try:
            conn = task_started(listener)
            row = DBTaskResult.objects.get(pk=result.id)
            assert row.status == "RUNNING"
            first.send_signal(signal.SIGKILL)
            assert first.wait(timeout=WAIT) == -signal.SIGKILL
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        assert conn.recv(16) == b""  # the task is gone with its worker
        conn.close()
        row.refresh_from_db()
        assert row.status == "RUNNING"  # and nothing but another worker can tell
        assert not Notification.objects.filter(recipient=member, kind=KIND).exists()

        second = start_worker(tmp_path, "second")
        try:
            with task_started(listener) as conn:
                conn.sendall(b"go")
            # SIGTERM lets the worker finish the task it runs, then it exits.
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=WAIT) == 0, (tmp_path / "second.log").read_text()
        finally:
            if second.poll() is None:
                second.kill()
                second.wait()

    row.refresh_from_db()
    assert row.status == "SUCCESSFUL", row.traceback
    assert row.return_value == "done"
    assert len(row.worker_ids) == 2 and row.worker_ids[0] != row.worker_ids[1]
    assert Notification.objects.filter(recipient=member, kind=KIND).count() == 1
