"""Gifts to many members, given by the worker (django-tasks; the test settings run tasks
inline): the gift page queues this after commit when a gift goes to more than
``GIVE_NOW_LIMIT`` members.

Each task gives one batch of ``GIFT_BATCH`` members (by member id, after ``after_pk``) and,
in the same transaction, queues the next batch: a worker killed mid-batch leaves that batch
undone and queued again, and a batch run twice gives nobody twice (``gifts_give`` is
idempotent per member under the form's batch key)."""

from __future__ import annotations

from django.db.models import QuerySet
from django_tasks import task

from ..models import Reward, User
from .conditions import segment_members
from .gifts import gifts_give
from .models import Segment

GIFT_BATCH = 500
# At most this many members are given at once by the page itself; more go to the worker.
GIVE_NOW_LIMIT = 200


def gift_targets(*, member_ids: list[int] | None, segment_id: int | None) -> QuerySet[User]:
    """The members a gift goes to: the chosen ones, or the segment's (active members)."""
    if segment_id is not None:
        segment = Segment.objects.filter(pk=segment_id).first()
        return segment_members(segment) if segment is not None else User.objects.none()
    return User.objects.filter(pk__in=member_ids or [], is_active=True)


@task()
def gifts_give_task(
    *,
    batch_key: str,
    kind: str,
    points: int | None,
    reward_id: int | None,
    reason: str,
    author_id: int | None,
    valid_days: int,
    member_ids: list[int] | None = None,
    segment_id: int | None = None,
    after_pk: int = 0,
) -> int:
    """Give one batch after ``after_pk`` and queue the next; returns how many were new."""
    reward = Reward.objects.filter(pk=reward_id).first() if reward_id is not None else None
    author = User.objects.filter(pk=author_id).first() if author_id is not None else None
    batch = list(
        gift_targets(member_ids=member_ids, segment_id=segment_id)
        .filter(pk__gt=after_pk)
        .order_by("pk")[:GIFT_BATCH]
    )
    if not batch:
        return 0
    result = gifts_give(
        members=batch,
        kind=kind,
        points=points,
        reward=reward,
        reason=reason,
        author=author,
        batch_key=batch_key,
        valid_days=valid_days,
    )
    if len(batch) == GIFT_BATCH:
        # In this task's transaction: the next batch is queued if and only if this one is done.
        gifts_give_task.enqueue(
            batch_key=batch_key,
            kind=kind,
            points=points,
            reward_id=reward_id,
            reason=reason,
            author_id=author_id,
            valid_days=valid_days,
            member_ids=member_ids,
            segment_id=segment_id,
            after_pk=batch[-1].pk,
        )
    return result.given
