"""The forum discussion on product pages (the registry is content/product_extensions.py;
guide pages get theirs from community/forum/page_extensions.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from community.forum.page_extensions import reader_kind
from community.forum.selectors import discussion_for
from content.product_extensions import ProductExtension, register_product_extension


def product_discussion_context(*, request: HttpRequest, product) -> dict[str, Any]:
    """Latest replies of the threads linked to the product (that the reader may read) and
    the "Discuss" link. A cached fragment per product and kind of reader, like a guide's box
    (community/forum/page_extensions.py): its two queries run only when it is rendered afresh."""
    found = SimpleLazyObject(lambda: discussion_for(user=request.user, product=product))
    return {
        "threads": SimpleLazyObject(lambda: found["threads"]),
        "posts": SimpleLazyObject(lambda: found["posts"]),
        "discuss_url": reverse("community:forum_discuss_product", kwargs={"slug": product.slug}),
        "fragment": "product-discussion",
        "fragment_vary": f"{product.pk}:{reader_kind(request.user)}",
    }


register_product_extension(
    ProductExtension(
        key="forum",
        template="community/forum/_discussion.html",
        context=product_discussion_context,
        order=20,
    )
)
