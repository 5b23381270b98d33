"""The gift pages' addresses (see admin_urls.py)."""

urlpatterns: list = []
