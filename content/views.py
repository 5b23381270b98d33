"""Content's views outside the page tree: a product's page, the site search, and events as
calendar files."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from wagtail.models import Site

from hub.page_cache import cache_for_readers

from . import calendar, search, selectors
from .page_cache import product_policy
from .product_extensions import product_extensions_render, product_ratings
from .seo import product_json_ld, share_image_url

logger = logging.getLogger(__name__)


@cache_for_readers(product_policy)
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = selectors.product_get(slug=slug)
    if product is None:
        raise Http404(_("No product with that address."))

    # Reviews and ratings come from apps above content, through content/product_extensions.py.
    # The rating, the picture and the tags are read only when a fragment that shows them (the
    # head's social tags and JSON-LD, the picture, the facts) is rendered afresh.
    # Callables, which the template calls where it shows them, inside those fragments.
    def json_ld() -> dict:
        rating = product_ratings(product_ids=[product.pk]).get(product.pk)
        return product_json_ld(product, request, rating=rating)

    return render(
        request,
        "content/product.html",
        {
            "product": product,
            # Read only when the cached fragment that lists them is rendered afresh.
            "guides": SimpleLazyObject(lambda: selectors.guides_featuring(product=product)),
            "extensions": product_extensions_render(request=request, product=product),
            "product_json_ld": json_ld,
            "social_image": lambda: share_image_url(product.image, request),
            "breadcrumbs": [
                {"title": _("Home"), "url": "/"},
                {"title": product.name, "url": product.get_absolute_url()},
            ],
        },
    )


def search_view(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    query = search.clean_query(raw)
    kind_key = request.GET.get("kind", "")
    kinds = search.search_kinds()
    if kind_key not in {kind.key for kind in kinds}:
        kind_key = ""
    context = {
        "query": query,
        "query_was_cut": len(" ".join(raw.split())) > search.MAX_QUERY_LENGTH,
        "kinds": kinds,
        "active_kind": kind_key,
        "grouped": [],
        "page_obj": None,
        "hits": [],
        "error": False,
    }
    if query:
        try:
            if kind_key:
                kind, results = search.search_kind(query=query, key=kind_key, user=request.user)
                page_obj = Paginator(results, 20).get_page(request.GET.get("page"))
                context.update(
                    page_obj=page_obj,
                    hits=search.hits_for(kind, list(page_obj.object_list), query),
                    query_prefix=urlencode({"q": query, "kind": kind_key}),
                )
            else:
                context["grouped"] = search.search_grouped(query=query, user=request.user)
        except DatabaseError:
            # A backend error (an odd query the full-text engine rejects, a lost
            # connection) is the search's failure, not the member's: say so plainly.
            logger.exception("search failed for %r", query)
            context["error"] = True
    status = 503 if context["error"] else 200
    return render(request, "content/search.html", context, status=status)


# --- Calendars (RFC 5545) ----------------------------------------------------------------


@require_safe
def event_ics(request: HttpRequest, slug: str) -> HttpResponse:
    """One event as a calendar file: GET /events/<slug>.ics."""
    event = selectors.event_get(slug=slug)
    if event is None:
        raise Http404(_("No event with that address."))
    built = calendar.events_calendar_build(events=[event], request=request, name=event.title)
    return calendar.calendar_response(built, filename=f"{event.slug}.ics", download=True)


@require_safe
def events_calendar(request: HttpRequest) -> HttpResponse:
    """Every event ahead and those of the last 90 days, to subscribe to: GET /events/feed.ics."""
    site = Site.find_for_request(request)
    name = _("%(site)s events") % {"site": (site.site_name if site else "") or "Polku Outdoor"}
    built = calendar.events_calendar_build(
        events=selectors.events_for_calendar(),
        request=request,
        name=name,
        description=_("Live Q&As, webinars and product launches. New events appear by themselves."),
    )
    return calendar.calendar_response(built, filename="events.ics", download=False)
