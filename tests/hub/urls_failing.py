"""A URLconf whose one view fails, for the 500 page's headers."""

from django.urls import path


def fail(request):
    raise RuntimeError("boom")


urlpatterns = [path("fail/", fail)]
