"""Each installed app may contribute a module by convention (``routing``, ``demo``)."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from types import ModuleType

from django.apps import apps


def app_submodules(name: str) -> Iterator[tuple[str, ModuleType]]:
    """(app label, module) for every installed app that has ``<app>.<name>``, in
    INSTALLED_APPS order. An import error inside such a module is raised, not hidden."""
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.{name}":
                raise
            continue
        yield config.label, module
