"""Campaign work the worker does (django-tasks with its database backend; ``run_worker`` runs
them, the test settings run them inline): choosing a one-off campaign's recipients, and
sending what is due. Queued after commit by the admin's views and by lifecycle entries, and
backed by the every-minute job in membership/jobs.py, which sends whatever a lost or failed
task left due."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from hub.task_queue import commits_as_it_goes

from .models import Campaign
from .sending import campaign_queue, campaign_send_due

# Rows per claimed batch (one mail connection each).
SEND_BATCH = 500


@task()
def campaign_queue_task(campaign_id: int) -> int:
    """Choose the recipients (one transaction: a worker killed meanwhile leaves no row and the
    task runs again), then queue the sending."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return 0
    created = campaign_queue(campaign=campaign)
    transaction.on_commit(lambda: campaign_send_task.enqueue(campaign_id=campaign_id))
    return created


# Not in the one transaction a task normally gets: each message's SENT mark must commit right
# after the message leaves, or a crash would roll back every mark of the run and send it all again.
@task()
@commits_as_it_goes
def campaign_send_task(campaign_id: int | None = None) -> int:
    """Send every due message of the campaign (of all campaigns when None), batch after batch."""
    total = 0
    while handled := campaign_send_due(campaign_id=campaign_id, limit=SEND_BATCH):
        total += handled
    return total


def campaign_send_enqueue(campaign: Campaign) -> None:
    """Start sending the campaign after the current transaction commits."""
    campaign_id = campaign.pk
    transaction.on_commit(lambda: campaign_send_task.enqueue(campaign_id=campaign_id))


def campaign_queue_enqueue(campaign: Campaign) -> None:
    """Choose the campaign's recipients in the worker after the current transaction commits."""
    campaign_id = campaign.pk
    transaction.on_commit(lambda: campaign_queue_task.enqueue(campaign_id=campaign_id))
