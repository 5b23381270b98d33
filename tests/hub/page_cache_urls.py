"""hub.urls plus one opted-in page that prints the CSP nonce and a CSRF token, for
tests/hub/test_page_cache.py: no reader page carries a nonce for anonymous readers today, and
the cache must still put a fresh one in every hit the day one does."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from hub.page_cache import CachePolicy, cache_for_readers
from hub.urls import urlpatterns as hub_urlpatterns
from hub.versions import CONTENT

TEMPLATE = engines["django"].from_string(
    '<!doctype html><html><head><script nonce="{{ request.csp_nonce }}">1;</script>'
    '<style nonce="{{ request.csp_nonce }}">p{}</style></head>'
    '<body><form method="post">{% csrf_token %}</form></body></html>'
)


@cache_for_readers(lambda request: CachePolicy(tags=(CONTENT,)))
def nonce_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(TEMPLATE.render({}, request))


urlpatterns = [path("nonce-page/", nonce_page), *hub_urlpatterns]
