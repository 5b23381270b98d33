"""What the community's Wagtail audit-log actions share (forum and live-room moderation)."""

from __future__ import annotations

import contextlib

from wagtail.log_actions import LogFormatter


def reasoned_formatter(label: str, message: str) -> type[LogFormatter]:
    """A log formatter whose message says what happened and, when given, why."""

    class Formatter(LogFormatter):
        def format_message(self, log_entry):
            data = log_entry.data or {}
            text = str(message)
            with contextlib.suppress(KeyError, TypeError, ValueError):
                text = text % data if "%(" in text else text
            reason = data.get("reason")
            return f"{text}: {reason}" if reason else text

    Formatter.label = label
    return Formatter
