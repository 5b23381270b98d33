"""The rewards page's pictures made ahead of its readers: saving a reward with a picture queues
its rendition for the worker, as content does for a published page (content/tasks.py)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks import task

# The rendition templates/membership/rewards.html shows; tests/membership/test_i15_loyalty_pages.py
# fails if the template asks for another.
REWARD_IMAGE_SPEC = "fill-480x270 format-webp"


@task()
def reward_image_rendition_make(reward_id: int) -> int:
    from .models import Reward

    reward = Reward.objects.select_related("image").filter(pk=reward_id).first()
    if reward is None or reward.image is None:
        return 0
    reward.image.get_rendition("|".join(REWARD_IMAGE_SPEC.split()))  # the tag's words, as one filter
    return 1


def reward_saved_rendition(
    sender: Any, instance: Any, created: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    """``post_save`` receiver for rewards: a reward saved with a picture gets it made now, in
    the worker, not by the first member opening the rewards page."""
    if not instance.image_id or (update_fields is not None and "image" not in update_fields):
        return
    reward_id = instance.pk
    transaction.on_commit(lambda: reward_image_rendition_make.enqueue(reward_id))
