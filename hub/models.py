"""The hub's one table: the realtime relay (hub.realtime).

The in-memory channel layer cannot cross processes, so an event sent by a process that
serves no sockets (the worker, any management command) is written here instead, already
encoded, and the web process hands it to its own layer. With Redis nothing is written here.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class RealtimeRelay(models.Model):
    """One channel-layer message on its way from a process without sockets to the server."""

    group = models.CharField(max_length=100)
    # The channel-layer message as JSON text, exactly as group_send would have carried it.
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "realtime relay message"

    def __str__(self) -> str:
        return f"{self.group} #{self.pk}"
