"""Each installed app may contribute a module by convention (``routing``, ``demo``, ``jobs``
…; docs/architecture.md lists them all). An app made of feature packages names them in its
AppConfig (``feature_packages = ("forum", "events", "reviews")``), and each feature may hold
its own ``<app>.<feature>.<name>`` beside the app's ``<app>.<name>``."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from types import ModuleType

from django.apps import apps


def _import_if_present(dotted: str) -> ModuleType | None:
    try:
        return import_module(dotted)
    except ModuleNotFoundError as exc:
        if exc.name != dotted:
            raise
        return None


def app_submodules(name: str) -> Iterator[tuple[str, ModuleType]]:
    """(app label, module) for every installed app that has ``<app>.<name>`` or, for an app
    with feature packages, ``<app>.<feature>.<name>``: INSTALLED_APPS order, the app's own
    module first, then its features in the order the AppConfig names them. An import error
    inside such a module is raised, not hidden."""
    for config in apps.get_app_configs():
        packages = [config.name]
        packages += [f"{config.name}.{feature}" for feature in getattr(config, "feature_packages", ())]
        for package in packages:
            module = _import_if_present(f"{package}.{name}")
            if module is not None:
                yield config.label, module
