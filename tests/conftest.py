"""Shared fixtures. Test data is made through the real services (see tests/factories.py)."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from hub import event_types
from tests.factories import make_member

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


STUCK_TASKS_AFTER = 20.0


def pytest_configure(config: pytest.Config) -> None:
    # pytest-asyncio closes each test's loop by cancelling what is left and waiting for all
    # of it; a task that does not end when cancelled hangs that wait, and a thread's stack
    # (what pytest-timeout prints) shows only the loop. This prints each task still pending
    # after STUCK_TASKS_AFTER seconds, with its coroutine stack.
    cancel_all = asyncio.runners._cancel_all_tasks

    def cancel_all_reporting_stuck(loop: asyncio.AbstractEventLoop) -> None:
        def report() -> None:
            stuck = [task for task in asyncio.all_tasks(loop) if not task.done()]
            print(f"\n{len(stuck)} task(s) pending {STUCK_TASKS_AFTER} s after cancel:", file=sys.stderr)
            for task in stuck:
                print(repr(task), file=sys.stderr)
                task.print_stack(file=sys.stderr)

        timer = loop.call_later(STUCK_TASKS_AFTER, report)
        try:
            cancel_all(loop)
        finally:
            timer.cancel()

    asyncio.runners._cancel_all_tasks = cancel_all_reporting_stuck


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
def _fresh_channel_layer():
    # channels_redis binds a receive lock to the event loop of the receive holding it, and
    # each async test has a loop of its own: a layer kept from an earlier test (any module,
    # sockets or none) can hand this test a lock still held on a closed loop. A process in
    # production has one loop; a test gets a layer of its own, made on first use.
    from channels import DEFAULT_CHANNEL_LAYER
    from channels.layers import channel_layers

    channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    return


@pytest.fixture(autouse=True)
def _forget_page_routes():
    # Remembered routes belong to a content version, and a rolled-back test leaves the
    # version it started with while its pages are gone (hub/page_routing.py).
    from hub import page_routing

    page_routing.forget()
    yield
    page_routing.forget()


@pytest.fixture(autouse=True)
def _default_language():
    # A request in Finnish leaves Finnish active in the test's thread; the next test must
    # start in the default language, whatever ran before it.
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _close_async_thread_connections():
    # Consumers under test reach the database from asgiref's single sync thread; closing its
    # connection after each test lets PostgreSQL drop the test database at the end.
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    # Bounded: if a consumer's query is stuck in that thread (a hung test), the teardown
    # reports it instead of waiting with it.
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=60)


@pytest.fixture(autouse=True)
def _realtime_payloads_match_their_types():
    # Every realtime payload is checked against its event type's definition where it is sent
    # (KANTA_REALTIME_CHECK_EVENTS, hub.event_types); a mismatch raised inside a background
    # task (a presence count) is logged there and fails the test here.
    event_types.forget_violations()
    yield
    found = event_types.violations()
    event_types.forget_violations()
    assert not found, "realtime payloads that do not match their definitions:\n" + "\n".join(found)


@pytest.fixture
def migrated_rows(transactional_db):
    """For transactional tests that start threads: put back what migrations create (content
    types, permissions, default earning rules and tiers), which an earlier test's flush may
    have removed, in this thread, before any worker thread races to recreate them."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes
    from django.contrib.contenttypes.models import ContentType

    from membership.defaults import ensure_defaults

    ContentType.objects.clear_cache()
    for app_config in apps.get_app_configs():
        create_contenttypes(app_config, verbosity=0)
        create_permissions(app_config, verbosity=0)
    ensure_defaults(apps)


def content_types_committed() -> None:
    """Create (committed) and cache every model's content type in this thread. Call right
    before starting worker threads: otherwise one thread may create a content type inside
    its own, uncommitted transaction, publish it through Django's process-wide cache, and
    another thread's insert then fails its foreign key."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    ContentType.objects.get_for_models(*apps.get_models(), for_concrete_models=False)


def run_in_threads(count: int, target) -> tuple[list, list[BaseException]]:
    """Run ``target(index)`` in ``count`` threads released at once by a barrier; returns
    (results, errors). Each thread closes its connection, so PostgreSQL can drop the test
    database afterwards."""
    import threading

    from django.db import close_old_connections, connection

    barrier = threading.Barrier(count)
    results: list = []
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results.append(target(index))
        except BaseException as exc:  # collected for the test to assert on
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    content_types_committed()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
