"""WebSocket routes, collected from each app's ``routing.py`` in INSTALLED_APPS order."""

from importlib import import_module

from django.apps import apps


def collect_websocket_urlpatterns() -> list:
    patterns: list = []
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.routing")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.routing":
                raise
            continue
        patterns.extend(getattr(module, "websocket_urlpatterns", []))
    return patterns


websocket_urlpatterns = collect_websocket_urlpatterns()
