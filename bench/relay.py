"""Relay latency: from an event sent by a process without sockets to a server's socket.

    .venv/bin/python bench/relay.py [--events 100] [--rate 10] [--burst 500]

The default setup's in-memory channel layer cannot cross processes, so the worker's events
travel through the ``RealtimeRelay`` table (hub.realtime, docs/realtime.md "the relay").
This bench builds a private SQLite database (only the hub's table), subscribes one socket
to a group through the real fan-out registry in this process (the server's side), and runs
``manage.py shell`` as the other process (the worker's side): it sends ``--events`` events
at ``--rate`` per second with ``hub.realtime.send_event_on_commit`` (outside any
transaction, so each is sent at once), then ``--burst`` at once.
Each event carries the time it was sent; latency is from then to the socket's receipt
(both processes on this machine's clock).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GROUP = "bench.relay"

WRITER = """
import time
from hub.realtime import send_event_on_commit
events, rate, burst = {events}, {rate}, {burst}
start = time.monotonic()
for i in range(events):
    delay = start + i / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    send_event_on_commit("{group}", {{"type": "bench", "id": i, "phase": "paced", "t": time.time()}})
time.sleep(1)
for i in range(burst):
    send_event_on_commit("{group}", {{"type": "bench", "id": events + i, "phase": "burst", "t": time.time()}})
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(args: argparse.Namespace, env: dict[str, str]) -> dict[str, list[float]]:
    from channels.layers import InMemoryChannelLayer

    from hub.realtime import FanoutRegistry, Subscriber

    total = args.events + args.burst
    latencies: dict[str, list[float]] = {"paced": [], "burst": []}
    done = asyncio.Event()

    async def send(frame: dict) -> None:
        event = json.loads(frame["text"])
        latencies[event["phase"]].append(time.time() - event["t"])
        if sum(map(len, latencies.values())) == total:
            done.set()

    registry = FanoutRegistry(InMemoryChannelLayer(), asyncio.get_running_loop())
    subscriber = Subscriber(send)
    await registry.subscribe(GROUP, subscriber)
    await subscriber.go_live()
    code = WRITER.format(events=args.events, rate=args.rate, burst=args.burst, group=GROUP)
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "manage.py", "shell", "-c", code, cwd=ROOT, env=env
    )
    await writer.wait()
    await asyncio.wait_for(done.wait(), timeout=60)
    await registry.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--burst", type=int, default=500)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kanta-bench-relay-"))
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")},
        "DJANGO_SETTINGS_MODULE": "hub.settings.dev",
        "DEBUG": "0",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench-relay.sqlite3'}",
        "KANTA_VAR_DIR": str(workdir),
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "hub", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    latencies = asyncio.run(run(args, env))
    for phase, values in latencies.items():
        ms = [value * 1000 for value in values]
        print(
            f"{phase:>6}: {len(ms)} events, p50 {statistics.median(ms):.0f} ms, "
            f"p95 {percentile(ms, 0.95):.0f} ms, max {max(ms):.0f} ms"
        )


if __name__ == "__main__":
    main()
