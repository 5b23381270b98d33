"""An email backend for tests that run the worker in another process: one file per message
handed to it, in ``KANTA_TEST_OUTBOX``, named by the Message-ID plus a random suffix so that a
message sent twice shows as two files.

Each message is also reported to the test over a socket (``KANTA_TEST_MAIL_PORT``: a line
``sent`` once its file is written), so the test waits on events instead of polling. With
``KANTA_TEST_MAIL_HOLD_AT=N`` the process's N-th message is not written: the backend says
``held`` and blocks, so the test can kill the worker in the middle of a batch, at a moment it
knows."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend

# One connection to the test per worker process (a backend is made per batch).
_report: socket.socket | None = None
_handed = 0


def _say(line: bytes) -> None:
    global _report
    port = os.environ.get("KANTA_TEST_MAIL_PORT")
    if not port:
        return
    if _report is None:
        _report = socket.create_connection(("127.0.0.1", int(port)))
    _report.sendall(line + b"\n")


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        global _handed
        folder = Path(os.environ["KANTA_TEST_OUTBOX"])
        hold_at = int(os.environ.get("KANTA_TEST_MAIL_HOLD_AT", "0"))
        for message in email_messages:
            _handed += 1
            if _handed == hold_at:
                _say(b"held")
                assert _report is not None
                _report.recv(1)  # never answered: the test kills this process now
            message_id = str(message.extra_headers["Message-ID"])
            name = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in message_id.strip("<>"))
            # Written under a temporary name and renamed: a file the test sees is complete.
            final = folder / f"{name}.{uuid.uuid4().hex}.eml"
            partial = final.with_suffix(".part")
            partial.write_bytes(message.message().as_bytes())
            partial.rename(final)
            _say(b"sent")
        return len(email_messages)
