"""A task for the worker tests: it stores a notification, then tells the test it is running
and waits (bounded) for the test to let it finish, so the test can kill its worker mid-task."""

from __future__ import annotations

import socket

from django_tasks import task

from membership.models import User
from membership.services.notifications import notification_send

KIND = "test-worker"
# Longer than any test waits for it; a task left behind by a failed test ends by itself.
RELEASE_TIMEOUT = 180


@task()
def notify_then_wait(*, member_id: int, port: int) -> str:
    notification_send(recipient=User.objects.get(pk=member_id), kind=KIND, title="The task ran")
    with socket.create_connection(("127.0.0.1", port), timeout=RELEASE_TIMEOUT) as conn:
        conn.sendall(b"started")
        if conn.recv(16) != b"go":
            raise RuntimeError("the test never let the task finish")
    return "done"
