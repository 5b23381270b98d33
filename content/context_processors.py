"""The main navigation (content/navigation.py) in every template's context, the current
section marked active."""

from django.http import HttpRequest

from .navigation import navigation_items


def site_navigation(request: HttpRequest) -> dict:
    path = request.path
    return {
        "nav_items": [
            {**item, "active": path.startswith(item["url"]) and item["url"] != "/"}
            for item in navigation_items()
        ]
    }
