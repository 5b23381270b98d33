"""``GET /feeds/product-reviews.xml``: every published review in Google Merchant Center's
product reviews feed format, version 2.4 (docs/shops.md, "The product reviews feed").

Google wants the whole feed each time (a review missing from the next fetch is deleted on
its side), so the answer is every published review, streamed in batches: memory and queries
stay flat however many there are. Review text is the sanitised HTML reduced to plain text,
as the format carries no markup; characters XML cannot hold are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC
from html import unescape
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.templatetags.static import static
from django.utils.html import strip_tags
from django.views.decorators.http import require_GET

from community.reviews.models import Review
from community.reviews.selectors import published_reviews_for_feed

BATCH = 500
MAX_AGE = 3600  # Merchant Center fetches a feed at most daily; an hour keeps crawlers cheap.
SCHEMA = "http://www.google.com/shopping/reviews/schema/product/2.4/product_reviews.xsd"
# Characters XML 1.0 cannot contain (control characters other than tab, newline, return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("", value))


def _plain(html: str) -> str:
    # Paragraph and line breaks survive as line breaks; everything else is text.
    text = re.sub(r"</p>\s*<p>|<br\s*/?>", "\n", html)
    return unescape(strip_tags(text)).strip()


def feed_lines(request: HttpRequest, reviews: QuerySet[Review]) -> Iterator[str]:
    absolute = request.build_absolute_uri
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield (
        '<feed xmlns:vc="http://www.w3.org/2007/XMLSchema-versioning" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f"xsi:noNamespaceSchemaLocation={quoteattr(SCHEMA)}>\n"
    )
    yield "<version>2.4</version>\n"
    yield (
        f"<publisher><name>{_text(settings.WAGTAIL_SITE_NAME)}</name>"
        f"<favicon>{_text(absolute(static('hub/favicon.svg')))}</favicon></publisher>\n"
    )
    opened = False
    for review in reviews.iterator(chunk_size=BATCH):
        if not opened:
            # The schema wants at least one review inside <reviews>: none, no element.
            yield "<reviews>\n"
            opened = True
        yield _review(review, absolute)
    yield "</reviews>\n</feed>\n" if opened else "</feed>\n"


def _review(review: Review, absolute) -> str:
    product = review.product
    product_url = absolute(product.get_absolute_url())
    content = _plain(review.body_html) or review.title
    verified = getattr(review, "verified_buyer", False)  # annotated by the selector
    written = review.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    parts = [
        "<review>",
        f"<review_id>{review.pk}</review_id>",
        f"<reviewer><name>{_text(review.author.name)}</name></reviewer>",
        f"<is_verified_purchase>{'true' if verified else 'false'}</is_verified_purchase>",
        # Reviews that earned points, as the product page labels them.
        f"<is_incentivized_review>{'true' if review.incentivised else 'false'}</is_incentivized_review>",
        f"<review_timestamp>{written}</review_timestamp>",
        f"<title>{_text(review.title)}</title>" if review.title.strip() else "",
        f"<content>{_text(content)}</content>",
        f'<review_url type="singleton">{_text(f"{product_url}#review-{review.pk}")}</review_url>',
    ]
    photos = list(review.photos.all())
    if photos:
        parts.append("<reviewer_images>")
        parts += [
            f"<reviewer_image><url>{_text(absolute(photo.image.url))}</url></reviewer_image>"
            for photo in photos
        ]
        parts.append("</reviewer_images>")
    parts += [
        f'<ratings><overall min="1" max="5">{review.rating}</overall></ratings>',
        "<products><product><product_ids>",
        f"<skus><sku>{_text(product.sku)}</sku></skus>",
        f"<brands><brand>{_text(product.brand)}</brand></brands>" if product.brand.strip() else "",
        "</product_ids>",
        f"<product_name>{_text(product.name)}</product_name>",
        f"<product_url>{_text(product_url)}</product_url>",
        "</product></products>",
        "</review>\n",
    ]
    return "".join(parts)


@require_GET
def product_reviews_feed(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        feed_lines(request, published_reviews_for_feed()), content_type="application/xml; charset=utf-8"
    )
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
