"""Wagtail API v2 at /api/v2/: pages and images for stores that render content themselves."""

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet

from .access import exclude_restricted
from .selectors import images_seen_by_anyone


class PublicPagesAPIViewSet(PagesAPIViewSet):
    """Pages in early access are absent (listing, detail, find, search, child_of) until they
    open: the API serves bodies to anyone, and has no tier to check."""

    def get_base_queryset(self):
        return exclude_restricted(super().get_base_queryset())


class PublicImagesAPIViewSet(ImagesAPIViewSet):
    """Only images some public page or product shows (listing, detail, find): an image used
    only by an early-access guide, a draft or a login-restricted page is absent, as its page
    is. The API is anonymous, so "may see" is what an anonymous reader may see."""

    def get_queryset(self):
        return images_seen_by_anyone(super().get_queryset())


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PublicPagesAPIViewSet)
api_router.register_endpoint("images", PublicImagesAPIViewSet)
