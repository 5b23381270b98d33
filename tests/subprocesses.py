"""What tests that start other processes (daphne, the worker, a management command) share."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable

from django.db import connection
from websockets.sync.client import ClientConnection


def database_url_for_subprocess() -> str:
    """The test database as a DATABASE_URL another process can open."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def stop(*processes: subprocess.Popen, grace: float = 15) -> None:
    """Ask each process to end (SIGTERM), then kill what is still running after ``grace``
    seconds: a daphne left behind would hold its database session and port for the rest of
    the run."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace)


def frame_where(socket: ClientConnection, predicate: Callable[[dict], bool], seconds: float = 10) -> dict:
    """The first JSON frame ``predicate`` accepts within ``seconds`` in all; TimeoutError after,
    even while other frames keep arriving."""
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        frame = json.loads(socket.recv(timeout=remaining))
        if predicate(frame):
            return frame
    raise TimeoutError(f"no matching frame within {seconds} s")
