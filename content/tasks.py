"""Content's queued work: the image renditions a page needs, made by the worker when the page
is published, so that its first reader (and the first reader of every index listing it)
waits for none (content/renditions.py lists the specs)."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from content import renditions


@task()
def page_renditions_make(page_id: int) -> int:
    return renditions.page_renditions_make(page_id)


def page_published_renditions(sender, instance, **kwargs) -> None:
    """``page_published`` receiver: queue the page's renditions once the publish commits."""
    page_id = instance.pk
    transaction.on_commit(lambda: page_renditions_make.enqueue(page_id))
