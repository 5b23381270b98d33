"""Shared fixtures. Test data is made through the real services (see tests/factories.py)."""

from __future__ import annotations

import os

import pytest

from tests.factories import make_member

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # In CI a skipped test means a service or the browser was missing: that is a failure,
    # never a quiet pass. Locally the same tests skip with their reason.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not IN_CI or reporter is None:
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped:
        reporter.write_line(f"CI=true: {len(skipped)} skipped test(s) count as failures:", red=True)
        for report in skipped:
            reporter.write_line(
                f"  {report.nodeid}: {report.longrepr[-1] if report.longrepr else ''}", red=True
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def member(db):
    return make_member("aino", display_name="Aino Virtanen")


@pytest.fixture
def other_member(db):
    return make_member("eero", display_name="Eero Korhonen")


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits and navigation live in the cache; each test starts clean.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _close_async_thread_connections():
    # Consumers under test reach the database from asgiref's single sync thread; closing its
    # connection after each test lets PostgreSQL drop the test database at the end.
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result()
