"""Forum notifications, queued after the post is committed (django-tasks with its database
backend; ``run_worker`` runs them, tests run them inline), so a busy thread's watchers never
slow down the reply that set them off."""

from __future__ import annotations

from django_tasks import task

from community.forum.services import notifications as forum_notifications


@task()
def forum_notify_post(post_id: int) -> int:
    return forum_notifications.notify_post(post_id=post_id)


@task()
def forum_notify_mentions(post_id: int, names: list[str]) -> int:
    return forum_notifications.notify_mentions(post_id=post_id, names=names)


@task()
def forum_notify_accepted(post_id: int, actor_id: int) -> int:
    return forum_notifications.notify_accepted(post_id=post_id, actor_id=actor_id)
