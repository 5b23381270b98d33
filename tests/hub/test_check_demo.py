"""`check_demo` knows no app: it fetches the pages every app's demo module names
(``check_pages``), runs every app's ``check``, and fails with one line per failure, in app
order. The apps' own checks are tested with their demos (tests/community/forum/test_demo.py,
tests/community/events/test_demo.py)."""

from __future__ import annotations

from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

import hub.demo

pytestmark = pytest.mark.django_db


def modules(monkeypatch, *parts) -> None:
    monkeypatch.setattr(
        "hub.management.commands.check_demo.demo_modules",
        lambda: iter([(f"app{number}", part) for number, part in enumerate(parts)]),
    )


def test_every_apps_pages_are_counted_and_a_complete_story_passes(monkeypatch):
    ran = []
    modules(
        monkeypatch,
        hub.demo,
        SimpleNamespace(),  # an app whose demo has nothing to check
        SimpleNamespace(check_pages=lambda: ["/robots.txt"], check=lambda: ran.append("first") or []),
        SimpleNamespace(check=lambda: ran.append("second") or []),
    )
    out = StringIO()
    call_command("check_demo", stdout=out)
    assert out.getvalue().strip() == "4 demo pages render; the demo story is complete."
    assert ran == ["first", "second"]


def test_failures_are_listed_pages_first_then_each_apps_checks_in_order(monkeypatch):
    modules(
        monkeypatch,
        SimpleNamespace(check_pages=lambda: ["/robots.txt", "/no-such-page/"], check=lambda: ["no orders"]),
        SimpleNamespace(check_pages=lambda: ["/no-such-feed/"], check=lambda: ["no reviews", "no forum"]),
    )
    with pytest.raises(CommandError) as failed:
        call_command("check_demo", stdout=StringIO())
    assert str(failed.value).splitlines() == [
        "Demo pages failed:",
        "/no-such-page/: 404",
        "/no-such-feed/: 404",
        "no orders",
        "no reviews",
        "no forum",
    ]
