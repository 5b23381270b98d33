"""``/demo-shop/``: a stand-in for a store's own product page, served by the development server
(``KANTA_DEMO_SHOP``, on under ``make run``), that loads Kanta's widgets the way a real shop
does, with one script tag each (docs/shops.md). The browser tests drive the widgets here."""

from __future__ import annotations

import time

from allauth.account.models import EmailAddress
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from community.reviews.models import Review
from content.models import Product
from membership.shops.loyalty_widget import customer_signature, widget_secret_for
from membership.shops.models import origin_normalise

# A shop customer with no Kanta account yet, for the widget's one-click join.
NEW_CUSTOMER = "new.customer@example.com"


@require_GET
def demo_shop(request: HttpRequest) -> HttpResponse:
    sku = request.GET.get("sku", "")
    products = Product.objects.annotate(
        published=Count("reviews", filter=Q(reviews__state=Review.State.PUBLISHED))
    ).order_by("-published", "name")
    product = (products.filter(sku=sku).first() if sku else None) or products.first()
    # A few members with points to show (the richest first), and a customer new to Kanta.
    customers = list(
        EmailAddress.objects.filter(
            verified=True, primary=True, user__is_active=True, user__standing__spendable_points__gt=0
        )
        .order_by("-user__standing__spendable_points", "pk")
        .values_list("email", flat=True)[:3]
    ) + [NEW_CUSTOMER]
    customer = request.GET.get("customer", "")
    signed = {}
    # Any member of this server may be the demo shop's customer; the list offers the first few.
    if customer in customers or EmailAddress.objects.filter(email=customer, verified=True).exists():
        # What the shop's theme does on its server: sign its signed-in customer for the widget.
        secret = widget_secret_for(origin_normalise(request.build_absolute_uri("/")))
        now = int(time.time())
        signed = {
            "email": customer,
            "timestamp": now,
            "signature": customer_signature(secret=secret, email=customer, timestamp=now) if secret else "",
        }
    return render(
        request,
        "community/demo_shop/product.html",
        {
            "product": product,
            "customers": customers,
            "signed": signed,
            "sku": product.sku if product else "",
            # ?panel=open: the loyalty panel opens on load (a link that says "see your points").
            "panel_open": request.GET.get("panel") == "open",
        },
    )
