"""Which web pages may read Kanta's widget endpoints from the browser (CORS): the storefront
addresses of the active shops (the admin), and ``KANTA_STOREFRONT_ORIGINS`` for a deployment
configured by its environment."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from membership.shops.models import ShopConnection, origin_normalise, origins_parse

CACHE_KEY = "shops:storefront-origins"
# A saved or deleted shop clears it at once (receivers below); this bounds a missed clear.
CACHE_SECONDS = 300


def storefront_origins() -> frozenset[str]:
    origins = cache.get(CACHE_KEY)
    if origins is None:
        listed = ShopConnection.objects.filter(active=True).values_list("storefront_origins", flat=True)
        origins = frozenset(
            [origin for text in listed for origin in origins_parse(text)]
            + origins_parse("\n".join(getattr(settings, "KANTA_STOREFRONT_ORIGINS", [])))
        )
        cache.set(CACHE_KEY, origins, CACHE_SECONDS)
    return origins


def storefront_origin(request: HttpRequest) -> str:
    """The request's ``Origin`` when it is a listed storefront, else ""."""
    origin = origin_normalise(request.headers.get("Origin", ""))
    return origin if origin and origin in storefront_origins() else ""


def cors_allow(response: HttpResponse, origin: str, *, methods: str = "GET") -> HttpResponse:
    """Let ``origin`` (a listed storefront, or "") read ``response``; every answer varies by
    Origin, so a shared cache never hands one shop's answer to another page."""
    response["Vary"] = ", ".join(filter(None, [response.get("Vary"), "Origin"]))
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = methods
        response["Access-Control-Max-Age"] = "600"
    return response


def storefront_origins_changed(sender: Any, **kwargs: Any) -> None:
    cache.delete(CACHE_KEY)
