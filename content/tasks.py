"""Content's queued work: the image renditions a page needs, made by the worker when the page
is published (or a product's picture is saved), so that its first reader (and the first reader
of every index listing it) waits for none (content/renditions.py lists the specs)."""

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


@task()
def product_renditions_make(product_id: int) -> int:
    from content.models import Product

    product = Product.objects.select_related("image").filter(pk=product_id).first()
    return renditions.product_renditions_make(product) if product is not None else 0


def product_saved_renditions(sender, instance, created: bool = False, update_fields=None, **kwargs) -> None:
    """``post_save`` receiver for products: a product saved with a picture (staff choosing or
    changing it) gets its renditions queued. A save that names its fields without the image
    (a stock or price sync) queues nothing."""
    if not instance.image_id or (update_fields is not None and "image" not in update_fields):
        return
    product_id = instance.pk
    transaction.on_commit(lambda: product_renditions_make.enqueue(product_id))
