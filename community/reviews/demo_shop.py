"""``/demo-shop/``: a stand-in for a store's own product page, served by the development server
(``KANTA_DEMO_SHOP``, on under ``make run``), that loads Kanta's widgets the way a real shop
does, with one script tag each (docs/shops.md). The browser tests drive the widgets here."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from community.reviews.models import Review
from content.models import Product


@require_GET
def demo_shop(request: HttpRequest) -> HttpResponse:
    sku = request.GET.get("sku", "")
    products = Product.objects.annotate(
        published=Count("reviews", filter=Q(reviews__state=Review.State.PUBLISHED))
    ).order_by("-published", "name")
    product = (products.filter(sku=sku).first() if sku else None) or products.first()
    return render(request, "community/demo_shop/product.html", {"product": product})
