"""An email backend for tests that run the worker in another process: one file per message
handed to it, in ``KANTA_TEST_OUTBOX``, named by the Message-ID plus a random suffix so that a
message sent twice shows as two files. ``KANTA_TEST_MAIL_DELAY`` (seconds) stands in for a mail
server's latency, so that a test can kill the worker in the middle of a batch."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(os.environ["KANTA_TEST_OUTBOX"])
        delay = float(os.environ.get("KANTA_TEST_MAIL_DELAY", "0"))
        for message in email_messages:
            if delay:
                time.sleep(delay)
            message_id = str(message.extra_headers["Message-ID"])
            name = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in message_id.strip("<>"))
            # Written under a temporary name and renamed: a file the test sees is complete.
            final = folder / f"{name}.{uuid.uuid4().hex}.eml"
            partial = final.with_suffix(".part")
            partial.write_bytes(message.message().as_bytes())
            partial.rename(final)
        return len(email_messages)
