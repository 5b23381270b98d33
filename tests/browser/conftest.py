"""Browser-test fixtures: the real ASGI application under daphne, and headless Chromium.

pytest-django's ``live_server`` is WSGI-only, so it cannot carry the ``/ws/me/`` socket.
Instead :func:`_daphne` runs ``hub.asgi.application`` under daphne in a background thread
of this process. Sharing the process means the test, the server and the browser all see the
same test database, the same in-memory channel layer and the same ``mail.outbox``.

Daphne runs on Twisted's asyncio reactor, which can be started only once per process, so
the server lives for the whole session; each test gets a clean database through
``transactional_db`` (rows must be committed for the server's own connections to see them).
Anything that sends through the channel layer must run on the server's event loop, and
while Playwright runs the test thread cannot use the ORM: :meth:`LiveAsgiServer.call`
covers both.

Chromium is Debian's (/usr/bin/chromium); Playwright never downloads a browser here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous: the first request imports templates and warms caches on a slow CI machine.
SERVER_START_TIMEOUT = 30
CALL_TIMEOUT = 10
# Playwright's limit for every action, wait and expect() in these tests, in milliseconds.
BROWSER_TIMEOUT_MS = 15_000

T = TypeVar("T")


@dataclass
class LiveAsgiServer:
    """The running daphne server, as a test sees it."""

    url: str
    loop: asyncio.AbstractEventLoop
    # ERROR log records emitted anywhere (server threads included) during the current test.
    errors: list[logging.LogRecord] = field(default_factory=list)

    def call(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a synchronous, database-touching ``func`` on the server's side and return its result.

        It runs through ``database_sync_to_async`` from the server's event loop, exactly as
        a consumer would, so ``async_to_sync(layer.group_send)`` in an on_commit hook lands
        on the loop that owns the in-memory layer's queues (and the Redis layer's
        connections), and the worker thread's database connection is closed afterwards.
        """
        from channels.db import database_sync_to_async

        future = asyncio.run_coroutine_threadsafe(database_sync_to_async(func)(*args, **kwargs), self.loop)
        return future.result(timeout=CALL_TIMEOUT)

    def error_messages(self) -> list[str]:
        return [f"{record.name}: {record.getMessage()}" for record in self.errors]


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="session")
def _daphne(django_db_setup: None) -> Iterator[LiveAsgiServer]:
    """Daphne serving hub.asgi.application on 127.0.0.1:<free port>, in a daemon thread.

    Depends on ``django_db_setup`` so it stops before the test database is destroyed.
    """
    from daphne.server import Server
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.db import connections
    from twisted.internet import reactor

    from hub.asgi import application

    # Worker threads must not keep connections open: PostgreSQL refuses to drop the test
    # database while any are, and a flush between tests would wait on them. With a max age
    # of 0, Django's request signals and channels' database_sync_to_async close each
    # connection right after use. The settings dict is shared by every thread's wrapper.
    saved_max_age = {alias: connections.settings[alias].get("CONN_MAX_AGE") for alias in connections}
    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = 0

    started = threading.Event()
    state: dict[str, Any] = {}

    class _TestServer(Server):
        def listen_success(self, port: Any) -> None:
            super().listen_success(port)
            started.set()

        def listen_error(self, failure: Any) -> None:
            state["error"] = f"daphne could not listen: {failure.getErrorMessage()}"
            started.set()
            super().listen_error(failure)

    def remember_loop() -> None:
        # Called by Server.run() on the server thread once the reactor's loop is current.
        state["loop"] = asyncio.get_event_loop_policy().get_event_loop()

    server = _TestServer(
        # Static files straight from the finders, so no collectstatic is needed; every other
        # request, and every WebSocket, goes to the real application untouched.
        application=ASGIStaticFilesHandler(application),
        endpoints=["tcp:port=0:interface=127.0.0.1"],
        signal_handlers=False,
        verbosity=0,
        ready_callable=remember_loop,
    )

    def serve() -> None:
        try:
            server.run()
        except BaseException as exc:  # reported to the waiting test, not lost in a thread
            state["error"] = f"daphne crashed: {exc!r}"
            started.set()

    thread = threading.Thread(target=serve, name="daphne-live-server", daemon=True)
    thread.start()
    try:
        if not started.wait(SERVER_START_TIMEOUT):
            pytest.fail(f"daphne did not start listening within {SERVER_START_TIMEOUT}s")
        if "error" in state:
            pytest.fail(state["error"])
        host, port = server.listening_addresses[0]
        yield LiveAsgiServer(url=f"http://{host}:{port}", loop=state["loop"])
    finally:
        reactor.callFromThread(server.stop)
        thread.join(SERVER_START_TIMEOUT)
        for alias, value in saved_max_age.items():
            connections.settings[alias]["CONN_MAX_AGE"] = value


@pytest.fixture
def live_asgi(
    _daphne: LiveAsgiServer, transactional_db: None, django_db_serialized_rollback: None
) -> Iterator[LiveAsgiServer]:
    """The live server for one test, on a committed-transaction test database.

    ``django_db_serialized_rollback`` restores what migrations put in the database (Wagtail's
    root page and default Site, Groups) after the flush that ends each transactional test.
    """
    collector = _ErrorCollector()
    root = logging.getLogger()
    root.addHandler(collector)
    _daphne.errors = collector.records
    try:
        yield _daphne
    finally:
        root.removeHandler(collector)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    # Lets fixtures see in their teardown whether the test itself failed (for screenshots).
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


@pytest.fixture
def chromium(live_asgi: LiveAsgiServer) -> Iterator[Any]:
    """Debian's headless Chromium, driven by Playwright. Skips (a failure under CI=true) without it.

    Playwright's sync API leaves its event loop marked as running in this thread while it
    is started, and Django then refuses ORM calls here (SynchronousOnlyOperation). So it is
    started per test, after ``live_asgi`` has set the database up, and stopped before the
    flush that ends the test; in between, tests reach the database through
    :meth:`LiveAsgiServer.call`.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium chromium-driver")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.skip(f"playwright is not importable ({exc}): pip install -r requirements-dev.txt")

    from playwright.sync_api import expect

    # expect() has its own default (5 s), separate from the context's: give both the same room.
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class BrowserConsole:
    """What the page reported: console errors and uncaught exceptions, WebSockets opened, and
    Content-Security-Policy violations (any of which fails the test)."""

    errors: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    # Violations a test causes on purpose (e.g. a socket sent to a closed port on another
    # origin to play a lost network): substrings of the lines above that do not fail it.
    csp_expected: list[str] = field(default_factory=list)

    def unexpected_csp_violations(self) -> list[str]:
        return [line for line in self.csp_violations if not any(part in line for part in self.csp_expected)]


# Runs in every document and frame before the page's own scripts: each violation of the
# Content-Security-Policy (enforced or report-only) is handed to the test as it happens.
_CSP_VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__kantaCspViolation(
    `${event.disposition} ${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
      + ` at ${event.sourceFile || event.documentURI}:${event.lineNumber}`
      + (event.sample ? ` (${event.sample})` : ""),
  );
});
"""


# A missing favicon is reported as a console error by Chromium; it is not a page defect.
_IGNORED_CONSOLE_URL = re.compile(r"favicon", re.IGNORECASE)


@pytest.fixture
def console() -> BrowserConsole:
    return BrowserConsole()


@pytest.fixture
def browser_page(
    request: pytest.FixtureRequest, live_asgi: LiveAsgiServer, chromium: Any, console: BrowserConsole
) -> Iterator[Any]:
    """A fresh browser context and page; a screenshot lands in test-results/ if the test fails."""
    context = chromium.new_context(base_url=live_asgi.url, locale="en-GB", timezone_id="Europe/Helsinki")
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    context.expose_binding("__kantaCspViolation", lambda _source, text: console.csp_violations.append(text))
    context.add_init_script(_CSP_VIOLATION_LISTENER)
    page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        if _IGNORED_CONSOLE_URL.search(where) or _IGNORED_CONSOLE_URL.search(message.text):
            return
        console.errors.append(f"console.error: {message.text} ({where or page.url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console.errors.append(f"uncaught: {error}"))
    page.on("websocket", lambda socket: console.websockets.append(socket.url))
    try:
        yield page
    finally:
        report = getattr(request.node, "_report_call", None)
        if report is not None and report.failed:
            # Shown under "Captured stdout teardown": what the browser and the server said.
            print(f"page url at failure: {page.url}")
            for line in console.errors:
                print(f"browser: {line}")
            for line in console.csp_violations:
                print(f"CSP: {line}")
            for line in live_asgi.error_messages():
                print(f"server: {line}")
            out = Path(request.config.rootpath) / "test-results"
            out.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
            try:
                page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            except Exception as exc:  # the screenshot must not hide the real failure
                print(f"screenshot failed: {exc!r}")
        else:
            # A round trip lets the last violations' binding calls arrive before the check.
            with contextlib.suppress(Exception):  # a closed page has nothing left to report
                page.evaluate("1")
        context.close()
        unexpected = console.unexpected_csp_violations()
        if unexpected and (report is None or not report.failed):
            pytest.fail("Content-Security-Policy violations:\n" + "\n".join(unexpected), pytrace=False)


@pytest.fixture
def storefront(live_asgi: LiveAsgiServer, settings: Any) -> Iterator[None]:
    """The live server's own address as a listed storefront with a loyalty widget secret, as
    the development settings make the demo shop (docs/shops.md, "The demo shop")."""
    from django.core.cache import cache

    from membership.shops.origins import CACHE_KEY

    settings.KANTA_STOREFRONT_ORIGINS = [live_asgi.url]
    settings.KANTA_LOYALTY_WIDGET_SECRET = "browser-test-widget-secret-0123456789"
    cache.delete(CACHE_KEY)
    yield
    cache.delete(CACHE_KEY)
