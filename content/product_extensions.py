"""What other apps add to a product: reviews on its page, ratings on guide picks.

content knows nothing of the apps above it (community → membership → content), so an app
(or one of its feature packages) declares its part in a ``product_extensions`` module, found
by :func:`hub.apps_modules.app_submodules` the first time a product asks:

    register_product_extension(ProductExtension(
        key="reviews",
        template="community/reviews/product_reviews.html",          # below the product
        summary_template="community/reviews/product_rating.html",   # beside the price
        context=lambda *, request, product: {...},          # the templates' ``section``
        ratings=lambda product_ids: {product_id: {"ratingValue": 4.5, "reviewCount": 12}},
    ))

``ratings`` answers for many products in one query: a guide page asks once for all of its
picks, never once per block. A product missing from the answer has no rating (and no
AggregateRating in its structured data).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from hub.apps_modules import app_submodules

Rating = dict[str, Any]

_EXTENSIONS: dict[str, ProductExtension] = {}
_loaded = False


@dataclass(frozen=True)
class ProductExtension:
    key: str
    template: str = ""
    context: Callable[..., dict[str, Any] | None] | None = None
    summary_template: str = ""
    ratings: Callable[[list[int]], dict[int, Rating]] | None = None
    order: int = 100


@dataclass(frozen=True)
class RenderedProductExtension:
    key: str
    template: str
    summary_template: str
    context: dict[str, Any]


def register_product_extension(extension: ProductExtension) -> None:
    _EXTENSIONS[extension.key] = extension


def product_extensions() -> list[ProductExtension]:
    global _loaded
    if not _loaded:
        list(app_submodules("product_extensions"))  # importing each module registers its extensions
        _loaded = True
    return sorted(_EXTENSIONS.values(), key=lambda extension: (extension.order, extension.key))


def product_extensions_render(*, request: HttpRequest, product) -> list[RenderedProductExtension]:
    """The extensions to show on the product's page, with their template context."""
    rendered = []
    for extension in product_extensions():
        if extension.context is None:
            continue
        context = extension.context(request=request, product=product)
        if context is not None:
            rendered.append(
                RenderedProductExtension(
                    extension.key, extension.template, extension.summary_template, context
                )
            )
    return rendered


def product_ratings(*, product_ids: Iterable[int]) -> dict[int, Rating]:
    """``{product id: {"ratingValue": …, "reviewCount": …}}`` for the products that have a
    rating, from the first extension that rates products (one query for all the ids)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    for extension in product_extensions():
        if extension.ratings is not None:
            return extension.ratings(ids)
    return {}
