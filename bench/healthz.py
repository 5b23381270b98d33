"""``/healthz`` on a daphne process that serves 1,000 open sockets on the Redis channel layer.

    .venv/bin/python bench/healthz.py [--sockets 1000] [--checks 100]

Builds a private database (SQLite, or DATABASE_URL if its name contains "bench": it is
wiped) with one public forum thread, starts one daphne process (``hub.asgi:application``)
on Redis (``BENCH_REDIS_URL``, default redis://127.0.0.1:6379/14), and times ``GET /healthz``
``--checks`` times one after another (after a few to warm up): first with no socket open,
then with ``--sockets`` readers connected to the thread's socket (each has had its
``session.ready``). A check's
time is from sending the request to reading the whole answer, over a kept-alive connection.

Before the check pinged Redis, one open socket was enough for every check to wait behind the
socket's blocking pop and answer 503 after its 3 s timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fanout import PREPARE, PYTHON, ROOT, daphne, free_port, percentile, raise_fd_limit, redis_reachable, stop

WAVE = 20
# The first checks of a fresh process import and compile what the rest reuse.
WARM_UP = 5


def time_checks(port: int, checks: int) -> tuple[list[float], list[int], list[dict]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times, statuses, bodies = [], [], []
    for n in range(WARM_UP + checks):
        started = time.perf_counter()
        conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
        response = conn.getresponse()
        body = response.read()
        if n < WARM_UP:
            continue
        times.append((time.perf_counter() - started) * 1000)
        statuses.append(response.status)
        bodies.append(json.loads(body))
    conn.close()
    return times, statuses, bodies


async def open_sockets(port: int, thread_id: int, count: int) -> tuple[list, int]:
    """``count`` sockets that each had their ``session.ready``, and how many handshakes had to
    be tried again (daphne drops one its application has not accepted within 5 s; the page's
    own client reconnects the same way)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidMessage

    retries = 0

    async def one():
        nonlocal retries
        for _attempt in range(5):
            try:
                socket = await connect(
                    f"ws://127.0.0.1:{port}/ws/forum/threads/{thread_id}/",
                    origin=f"http://127.0.0.1:{port}",
                    open_timeout=120,
                    max_size=None,
                )
            except (InvalidMessage, OSError):
                retries += 1
                continue
            while json.loads(await socket.recv())["type"] != "session.ready":
                pass
            return socket
        raise RuntimeError("a socket could not connect in 5 attempts")

    sockets = []
    # In waves, as a crowd arrives, not all in the same instant.
    for start in range(0, count, WAVE):
        sockets.extend(await asyncio.gather(*(one() for _ in range(start, min(count, start + WAVE)))))
    return sockets, retries


def summary(label: str, times: list[float], statuses: list[int], bodies: list[dict]) -> str:
    ok = sum(status == 200 for status in statuses)
    layer = statistics.median(body["channel_layer"].get("ms", 0) for body in bodies)
    database = statistics.median(body["database"].get("ms", 0) for body in bodies)
    return (
        f"| {label} | {ok}/{len(statuses)} | {percentile(times, 50):.1f} | {percentile(times, 95):.1f} "
        f"| {max(times):.1f} | {layer:.1f} | {database:.1f} |"
    )


async def run(args, port: int, thread_id: int) -> None:
    rows = []
    rows.append(summary("no socket open", *await asyncio.to_thread(time_checks, port, args.checks)))
    sockets, retries = await open_sockets(port, thread_id, args.sockets)
    measured = await asyncio.to_thread(time_checks, port, args.checks)
    rows.append(summary(f"{len(sockets)} sockets open", *measured))
    for socket in sockets:
        await socket.close()
    print(f"{retries} handshake(s) tried again while connecting; load average {os.getloadavg()[0]:.1f}")
    print("| /healthz | 200s | p50 ms | p95 ms | max ms | median PING ms | median SELECT 1 ms |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--checks", type=int, default=100)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()
    raise_fd_limit()
    if not redis_reachable(args.redis_url):
        sys.exit(f"Redis at {args.redis_url} is unreachable")

    var_dir = tempfile.mkdtemp(prefix="kanta-bench-healthz-")
    inherited = ("REDIS_URL", "DJANGO_SETTINGS_MODULE")
    env = {key: value for key, value in os.environ.items() if key not in inherited}
    env.update(
        {
            "KANTA_VAR_DIR": var_dir,
            "MEDIA_ROOT": os.path.join(var_dir, "media"),
            "DJANGO_SETTINGS_MODULE": "hub.settings.dev",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    if os.environ.get("DATABASE_URL"):
        from database import reset_postgres

        reset_postgres(os.environ["DATABASE_URL"])
    for command in (["migrate", "--no-input", "-v", "0"], ["shell", "-c", PREPARE.replace("POSTERS", "1")]):
        result = subprocess.run(
            [PYTHON, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode:
            sys.exit(f"manage.py {command[0]} failed:\n{result.stderr[-4000:]}")
    thread_id = json.loads(result.stdout.strip().splitlines()[-1])["thread"]

    port = free_port()
    server = daphne(port, {**env, "REDIS_URL": args.redis_url}, app="hub.asgi:application")
    try:
        asyncio.run(run(args, port, thread_id))
    finally:
        stop([server])


if __name__ == "__main__":
    main()
