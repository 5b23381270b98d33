"""Redis for tests: the configured one when it answers, or a private ``redis-server``.

A private server belongs to its test, which may stop, kill and restart it (same port, same
data directory) to see what Kanta does while Redis is really gone. Tests that need one skip
when ``redis-server`` is not installed; under CI=true a skip is a failure (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

START_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


class RedisServer:
    """One ``redis-server`` on a fixed port and data directory, started and stopped at will.

    With ``persist`` every write goes to an append-only file in the directory, so a restart
    comes back with the data it had (a Redis restarted from disk, or one that was only
    unreachable); without it a restart comes back empty.
    """

    def __init__(self, directory: Path, *, persist: bool = False) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.binary = binary
        self.directory = directory
        self.persist = persist
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.process is None, "already running"
        persistence = ["--appendonly", "yes", "--appendfsync", "always"]
        if not self.persist:
            persistence = ["--appendonly", "no"]
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *persistence],
            cwd=self.directory,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # A thread reads its output for as long as it runs (a pipe nobody read would stop the
        # server once full) into a log file, and says when it is ready: after loading its
        # append-only file, when it has one. The output ends when the process does.
        log = self.directory / "redis-server.log"
        settled = threading.Event()  # ready, or its output ended
        said_ready: list[bool] = []
        output = self.process.stdout

        def read_output() -> None:
            with log.open("a") as kept:
                for line in output:
                    kept.write(line)
                    kept.flush()
                    if "Ready to accept connections" in line:
                        said_ready.append(True)
                        settled.set()
            settled.set()

        threading.Thread(target=read_output, name="redis-server-output", daemon=True).start()
        settled.wait(START_SECONDS)
        if not said_ready:
            self.kill()  # running and silent, or already gone: either way not a server
            tail = log.read_text()[-2000:]
            raise RuntimeError(f"redis-server did not get ready within {START_SECONDS} s: {tail}")

    def stop(self) -> None:
        """Shut down as an operator would (SIGTERM); clients see refused connections."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None

    def kill(self) -> None:
        """Die at once (SIGKILL), as on a crash."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def wait(self, timeout: float | None = None) -> None:
        """For callers that kill and then wait, as with a Popen: already done by kill()."""

    def restart(self) -> None:
        self.stop()
        self.start()


@contextlib.contextmanager
def private_redis_server(directory: Path, *, persist: bool = False) -> Iterator[tuple[str, RedisServer]]:
    """A running private server, as (url, server); stopped on the way out."""
    server = RedisServer(directory, persist=persist)
    server.start()
    try:
        yield server.url, server
    finally:
        server.stop()


@pytest.fixture
def redis_url(tmp_path):
    """A Redis to use, not to stop: ``REDIS_URL``'s server (database 13, so nothing else is
    touched), else 127.0.0.1:6379/13, else a private server."""
    configured = os.environ.get("REDIS_URL", "")
    candidates = []
    if configured:
        candidates.append(urlparse(configured)._replace(path="/13").geturl())
    candidates.append("redis://127.0.0.1:6379/13")
    for url in candidates:
        if redis_answers(url):
            yield url
            return
    with private_redis_server(tmp_path) as (url, _server):
        yield url


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    """A private server this test may stop and restart."""
    with private_redis_server(tmp_path) as (_url, server):
        yield server
