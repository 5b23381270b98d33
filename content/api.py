"""Wagtail API v2 at /api/v2/: pages and images for stores that render content themselves."""

from wagtail.api.v2.filters import SearchFilter
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet

from .search import search_text
from .selectors import exclude_restricted, images_seen_by_anyone


class TextSearchFilter(SearchFilter):
    """``?search=`` as the site search gives it to the engine (content/search.py): words
    only, so a quote, an FTS operator or a NUL is searched as text instead of failing."""

    def filter_queryset(self, request, queryset, view):
        if "search" in request.GET:
            words = search_text(request.GET["search"])
            if not words:
                return queryset.none()
            params = request.GET.copy()
            params["search"] = words
            # Wagtail's filter reads the query from the request; DRF's GET is Django's.
            request._request.GET = params
        return super().filter_queryset(request, queryset, view)


def _with_text_search(backends: list) -> list:
    return [TextSearchFilter if backend is SearchFilter else backend for backend in backends]


class PublicPagesAPIViewSet(PagesAPIViewSet):
    """Pages in early access are absent (listing, detail, find, search, child_of) until they
    open: the API serves bodies to anyone, and has no tier to check."""

    filter_backends = _with_text_search(PagesAPIViewSet.filter_backends)

    def get_base_queryset(self):
        return exclude_restricted(super().get_base_queryset())


class PublicImagesAPIViewSet(ImagesAPIViewSet):
    """Only images some public page or product shows (listing, detail, find): an image used
    only by an early-access guide, a draft or a login-restricted page is absent, as its page
    is. The API is anonymous, so "may see" is what an anonymous reader may see."""

    filter_backends = _with_text_search(ImagesAPIViewSet.filter_backends)

    def get_queryset(self):
        return images_seen_by_anyone(super().get_queryset())


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PublicPagesAPIViewSet)
api_router.register_endpoint("images", PublicImagesAPIViewSet)

# hub/urls.py mounts this module at /api/v2/ (include("content.api")), in the router's namespace.
app_name = api_router.url_namespace
urlpatterns = api_router.get_urlpatterns()
