"""What a cache call costs while Redis is down, with and without hub.cache's breaker.

    .venv/bin/python bench/cache_outage.py [--calls 2000]

Starts a private ``redis-server`` (needs it on PATH) and times ``cache.get`` through
``hub.cache.FaultTolerantRedisCache`` (the settings' timeouts: connect 0.5 s, read 1 s):

- **up**: Redis answering;
- **stopped**: the server shut down (connections refused at once), with the breaker
  (``DOWN_RETRY_SECONDS`` 5) and without it (0: every call tries Redis again);
- **hung**: the server stopped with SIGSTOP, so connections open (the kernel accepts them) and
  every read waits for the 1 s socket timeout; with the breaker, and without it (a few calls
  only: each takes the full second).

Prints per-call mean, p99 and max in milliseconds, one row per case.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure() -> None:
    import django
    from django.conf import settings

    settings.configure(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        LOGGING_CONFIG=None,
    )
    django.setup()


def backend(location: str, retry_seconds: float):
    from hub.cache import FaultTolerantRedisCache

    return FaultTolerantRedisCache(
        location,
        {
            "KEY_PREFIX": "bench",
            "OPTIONS": {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 1.0,
                "DOWN_RETRY_SECONDS": retry_seconds,
            },
        },
    )


def timed(cache, calls: int) -> tuple[int, float, float, float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        cache.get("navigation")
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return calls, statistics.fmean(samples), p99, samples[-1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument(
        "--slow-calls", type=int, default=6, help="calls without the breaker on a dead address"
    )
    args = parser.parse_args()
    configure()
    import hub.cache
    from tests.redis_server import RedisServer

    rows = []
    with tempfile.TemporaryDirectory() as directory:
        server = RedisServer(Path(directory))
        server.start()
        try:
            up = backend(server.url, 5)
            up.set("navigation", ["home", "forum"], 60)
            rows.append(("up", "", *timed(up, args.calls)))
            server.process.send_signal(signal.SIGSTOP)
            try:
                for retry_seconds, label, calls in (
                    (5, "breaker 5 s", args.calls),
                    (0, "no breaker", args.slow_calls),
                ):
                    hub.cache._breakers.clear()
                    rows.append(("hung", label, *timed(backend(server.url, retry_seconds), calls)))
            finally:
                server.process.send_signal(signal.SIGCONT)
        finally:
            server.stop()
        for retry_seconds, label in ((5, "breaker 5 s"), (0, "no breaker")):
            hub.cache._breakers.clear()
            rows.append(("stopped", label, *timed(backend(server.url, retry_seconds), args.calls)))

    print(f"{'Redis':<8} {'breaker':<12} {'calls':>6} {'mean ms':>9} {'p99 ms':>9} {'max ms':>9}")
    for state, label, calls, mean, p99, worst in rows:
        print(f"{state:<8} {label:<12} {calls:>6} {mean:>9.3f} {p99:>9.3f} {worst:>9.1f}")


if __name__ == "__main__":
    main()
