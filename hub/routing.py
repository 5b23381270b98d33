"""WebSocket routes, collected from each app's ``routing.py`` in INSTALLED_APPS order."""

from hub.apps_modules import app_submodules


def collect_websocket_urlpatterns() -> list:
    patterns: list = []
    for _label, module in app_submodules("routing"):
        patterns.extend(getattr(module, "websocket_urlpatterns", []))
    return patterns


websocket_urlpatterns = collect_websocket_urlpatterns()
