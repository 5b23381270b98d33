"""The gift pages' addresses (see admin_urls.py)."""

from django.urls import path

from .gift_views import gift_list, gift_new

urlpatterns = [
    path("", gift_list, name="gift_list"),
    path("new/", gift_new, name="gift_new"),
]
