"""Wagtail API v2 at /api/v2/: pages and images for stores that render content themselves."""

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet

from .access import exclude_restricted


class PublicPagesAPIViewSet(PagesAPIViewSet):
    """Pages in early access are absent (listing, detail, find, search, child_of) until they
    open: the API serves bodies to anyone, and has no tier to check."""

    def get_base_queryset(self):
        return exclude_restricted(super().get_base_queryset())


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PublicPagesAPIViewSet)
api_router.register_endpoint("images", ImagesAPIViewSet)
