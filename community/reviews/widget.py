"""``GET /api/v1/widget/reviews/<sku>/``: a product's reviews for the reviews widget on the
shop's own product page (docs/shops.md, "The reviews widget").

Public data only (published reviews, as the product page shows them), readable from the
browser by the shop's listed storefront addresses (CORS, membership/shops/origins.py). The
answer carries the product's schema.org ``AggregateRating`` for the widget to put on the
page, only when there is at least one published review (a rating the data cannot support is
not given).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from community.reviews import selectors
from community.reviews.product_extensions import rating_summary_cached
from content.models import Product
from membership.shops.origins import cors_allow, storefront_origin

LATEST = 5
MAX_AGE = 60  # seconds a browser or CDN may keep an answer; a new review shows within it


def _photo(request: HttpRequest, photo) -> dict[str, Any]:
    return {
        "url": request.build_absolute_uri(photo.image.url),
        "width": photo.width,
        "height": photo.height,
        "alt": photo.alt,
    }


def _stars_label(stars: int) -> str:
    return ngettext("%(stars)s star out of 5", "%(stars)s stars out of 5", stars) % {"stars": stars}


def _labels(summary: dict[str, Any]) -> dict[str, str]:
    """The widget's words, in the language asked for: the script carries none of its own."""
    count = summary["count"]
    return {
        "heading": _("Customer reviews"),
        "average": ngettext(
            "%(average)s out of 5, from %(count)s review",
            "%(average)s out of 5, from %(count)s reviews",
            count,
        )
        % {"average": summary["average_display"], "count": count}
        if count
        else "",
        "histogram": _("Reviews by stars"),
        "verified_buyer": _("Verified buyer"),
        "write": _("Write a review"),
        "all": _("See all reviews"),
        "empty": _("No reviews yet. Be the first to review this product."),
    }


def reviews_widget_data(request: HttpRequest, product: Product) -> dict[str, Any]:
    summary = dict(rating_summary_cached(request, product))
    summary["average_display"] = (
        number_format(summary["average"], decimal_pos=1) if summary["average"] is not None else ""
    )
    summary["histogram"] = [{**row, "label": _stars_label(row["stars"])} for row in summary["histogram"]]
    reviews = list(selectors.reviews_for_product(product=product, sort="newest")[:LATEST])
    product_url = request.build_absolute_uri(product.get_absolute_url())
    data: dict[str, Any] = {
        "product": {"sku": product.sku, "name": product.name, "url": product_url},
        "summary": summary,
        "reviews": [
            {
                "id": review.pk,
                "rating": review.rating,
                "title": review.title,
                # Sanitised when written (community.markup): the widget inserts it as HTML.
                "body_html": review.body_html,
                "author": review.author.name,
                "created_at": review.created_at.isoformat(),
                "date": date_format(timezone.localtime(review.created_at), "DATE_FORMAT"),
                "rating_label": _stars_label(review.rating),
                "verified_buyer": getattr(review, "verified_buyer", False),  # annotated by the selector
                "incentivised": review.incentivised,
                "photos": [_photo(request, photo) for photo in review.photos.all()],
                "url": f"{product_url}#review-{review.pk}",
            }
            for review in reviews
        ],
        "all_reviews_url": f"{product_url}#reviews",
        "labels": _labels(summary),
        "write_url": request.build_absolute_uri(
            reverse("community:review_new", kwargs={"slug": product.slug})
        ),
        "json_ld": None,
    }
    if summary["count"]:
        data["json_ld"] = {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": product.name,
            "sku": product.sku,
            "url": product_url,
            "aggregateRating": {
                "@type": "AggregateRating",
                "ratingValue": summary["average"],
                "reviewCount": summary["count"],
                "bestRating": 5,
                "worstRating": 1,
            },
        }
    return data


@require_GET
def reviews_widget(request: HttpRequest, sku: str) -> HttpResponse:
    origin = storefront_origin(request)
    language = request.GET.get("lang", "")
    if language not in {code for code, _name in settings.LANGUAGES}:
        language = translation.get_language()
    with translation.override(language):
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            response = JsonResponse(
                {"error": "not_found", "message": _("No product has this SKU."), "sku": sku[:64]}, status=404
            )
        else:
            response = JsonResponse(reviews_widget_data(request, product))
            response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["Content-Language"] = language
    return cors_allow(response, origin)
