"""The demo world's shared plumbing. Each app contributes a ``demo`` module (``<app>/demo/``,
a package whose ``__init__.py`` is the plug-in) with

    def seed(ctx: DemoContext) -> None: ...            # idempotent: get-or-create only
    def logins() -> list[DemoLogin]: ...              # optional: printed by `make run`
    def seed_after(ctx: DemoContext) -> None: ...     # optional: once every app has seeded
                                                       # (what needs the whole world)
    def refresh(ctx: DemoContext) -> None: ...        # optional: run on every `make run`
    def baseline(apps) -> None: ...                    # optional: restore rows that migrations
                                                       # made, after `seed_demo --reset` flushes
    def check_pages() -> list[str]: ...                # optional: paths `check_demo` fetches as
                                                       # a visitor; each must answer 200
    def check() -> list[str]: ...                      # optional: `check_demo`'s checks of the
                                                       # app's demo story, one line per failure

and ``seed_demo`` and ``check_demo`` call them in INSTALLED_APPS order (hub, content,
membership, community), so each app may rely on what the apps before it created. Neither
command names an app: hub imports no domain app. Hub is an installed app too, and this module
is its part: it has no seed, only the pages hub itself serves (``check_pages`` below).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from hub.apps_modules import app_submodules

DEMO_PASSWORD = "polku-demo"  # noqa: S105  (a published demo password, printed on purpose)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str = DEMO_PASSWORD


@dataclass
class DemoContext:
    log: Callable[[str], None] = print
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    # Objects one app's demo hands to the next (e.g. "members" → list of users).
    shared: dict[str, Any] = field(default_factory=dict)


def demo_modules() -> Iterator[tuple[str, ModuleType]]:
    return app_submodules("demo")


def demo_logins() -> list[DemoLogin]:
    """One login per username, in the order the apps first name them. An app may add a hint
    to a login another app made (community: where aino finds the live room); the roles are
    joined."""
    logins: dict[str, DemoLogin] = {}
    for _label, module in demo_modules():
        for login in module.logins() if hasattr(module, "logins") else []:
            known = logins.get(login.username)
            role = f"{known.role}; {login.role}" if known else login.role
            logins[login.username] = DemoLogin(
                login.username, role, known.password if known else login.password
            )
    return list(logins.values())


def check_pages() -> list[str]:
    """Hub's own part of ``check_demo``: the pages hub serves itself."""
    return ["/healthz", "/robots.txt", "/sitemap.xml"]
