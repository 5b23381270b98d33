"""The forum discussion on product pages (the registry is content/product_extensions.py;
guide pages get theirs from community/forum/page_extensions.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from community.forum.selectors import discussion_for
from content.product_extensions import ProductExtension, register_product_extension


def product_discussion_context(*, request: HttpRequest, product) -> dict[str, Any]:
    """Latest replies of the threads linked to the product (that the reader may read) and
    the "Discuss" link: two queries."""
    return {
        **discussion_for(user=request.user, product=product),
        "discuss_url": reverse("community:forum_discuss_product", kwargs={"slug": product.slug}),
    }


register_product_extension(
    ProductExtension(
        key="forum",
        template="community/forum/_discussion.html",
        context=product_discussion_context,
        order=20,
    )
)
