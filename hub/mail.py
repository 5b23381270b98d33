"""The development email backend: one line per message on the console, the whole message in a
file under ``var/mail/``.

A dev run sends real-looking email (sign-up confirmations, reminders, campaign messages); the
console backend would print every HTML part in full and push the demo logins that ``make run``
printed off the screen. This backend keeps the console readable and still shows what would be
sent: who gets it and its subject, with the file that holds the complete message."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class SummaryConsoleBackend(BaseEmailBackend):
    _lock = threading.Lock()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.folder = Path(
            getattr(settings, "EMAIL_FILE_PATH", None) or Path(settings.BASE_DIR) / "var" / "mail"
        )

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            for message in email_messages:
                if not message.recipients():
                    continue
                # The Message-ID names the file, so a message sent twice would show as one file.
                message_id = str(message.extra_headers.get("Message-ID") or make_msgid())
                name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in message_id.strip("<>"))
                path = self.folder / f"{name}.eml"
                path.write_bytes(message.message().as_bytes())
                to = ", ".join(message.recipients())
                sys.stdout.write(f"[mail] to {to}: {message.subject}  ({path})\n")
                sent += 1
            sys.stdout.flush()
        return sent
