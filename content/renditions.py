"""Images fetched with their renditions, so that a list of cards renders without a query per
image (``{% image %}`` and ``{% picture %}`` then find every rendition already loaded)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from wagtail.images import get_image_model


def images_with_renditions() -> QuerySet:
    """The image model's rows, each with all its renditions (a ``Prefetch`` queryset)."""
    return get_image_model().objects.prefetch_renditions()


def with_renditions(queryset: QuerySet, *fields: str) -> QuerySet:
    """Fetch each image foreign key in ``fields`` with all its renditions: two queries per
    field (the images, their renditions), however many rows."""
    return queryset.prefetch_related(
        *(Prefetch(field, queryset=images_with_renditions()) for field in fields)
    )
