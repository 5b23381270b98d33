"""Writing segments: save (new or changed) and delete. The conditions are cleaned here, so a
stored segment always holds the canonical form conditions.py reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import User
from .conditions import conditions_clean
from .models import Campaign, Segment


class SegmentInUse(Exception):
    """A campaign sends to the segment; it cannot be deleted while it does."""

    def __init__(self, campaigns: list[str]) -> None:
        super().__init__(", ".join(campaigns))
        self.campaigns = campaigns


@transaction.atomic
def segment_save(
    *,
    segment: Segment | None = None,
    name: str,
    description: str = "",
    conditions: Mapping[str, Any],
    author: User | None,
    now: datetime | None = None,
) -> Segment:
    """Create a segment (``segment=None``) or change one. Raises ValidationError for bad
    conditions ({key: [message]}) or a name another segment has."""
    now = now or timezone.now()
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Give the segment a name.")]})
    taken = Segment.objects.filter(name__iexact=name)
    if segment is not None:
        taken = taken.exclude(pk=segment.pk)
    if taken.exists():
        raise ValidationError({"name": [_("Another segment is called “%(name)s”.") % {"name": name}]})
    cleaned = conditions_clean(conditions)
    if segment is None:
        return Segment.objects.create(
            name=name,
            description=description.strip(),
            conditions=cleaned,
            created_by=author,
            created_at=now,
            updated_at=now,
        )
    segment.name, segment.description, segment.conditions = name, description.strip(), cleaned
    segment.updated_at = now
    segment.save(update_fields=["name", "description", "conditions", "updated_at"])
    return segment


@transaction.atomic
def segment_delete(*, segment: Segment) -> None:
    """Delete a segment no campaign uses; raises SegmentInUse naming the campaigns that do."""
    using = list(Campaign.objects.filter(segment=segment).order_by("name").values_list("name", flat=True))
    if using:
        raise SegmentInUse(using)
    segment.delete()
