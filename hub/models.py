"""The hub's infrastructure tables (no domain data): the realtime relay (hub.realtime), and
the background workers' heartbeats (hub.task_queue).

The in-memory channel layer cannot cross processes, so an event sent by a process that
serves no sockets (the worker, any management command) is written here instead, already
encoded, and the web process hands it to its own layer. With Redis nothing is written here.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


class WorkerHeartbeat(models.Model):
    """One row per ``run_worker`` process, touched every few seconds while it lives (also while
    it runs a task). A task still RUNNING under a worker not seen for
    ``KANTA_WORKER_LOST_AFTER_SECONDS`` was lost with it and is queued again."""

    worker_id = models.CharField(_("worker id"), max_length=64, primary_key=True)
    hostname = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process id"), null=True)
    started_at = models.DateTimeField(_("started"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class CacheVersion(models.Model):
    """The current version of one thing cached pages and fragments are built from (hub.versions).

    Kept in the database, not the cache, so that a change made by any process (the worker, a
    management command, another daphne) invalidates every process's cache in the same
    transaction that made it, and a rolled-back change invalidates nothing."""

    tag = models.CharField(max_length=100, primary_key=True)
    version = models.BigIntegerField()

    class Meta:
        verbose_name = "cache version"

    def __str__(self) -> str:
        return f"{self.tag}@{self.version}"
