"""Page benchmark: requests/s and latency of real pages next to a minimal Wagtail page.

    make bench            # or: .venv/bin/python bench/pages.py [--seconds 10] [--concurrency 4]

With DATABASE_URL set it uses that PostgreSQL database instead of SQLite; its name must contain
"bench", since the bench empties it first (bench/database.py).

Builds a private demo database, serves it with daphne (DEBUG off, one process) and drives
it with keep-alive HTTP clients in threads on the same machine. The minimal page (a plain
Wagtail page with the stock template) is the floor: the ratio column says what our pages
cost on top of Wagtail routing and rendering itself.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"manage.py {args[0]} failed:\n{result.stderr[-4000:]}")
    return result.stdout


PREPARE = """
from wagtail.models import Page
from content.models import HomePage, BuyingGuidePage
home = HomePage.objects.get()
minimal = Page.objects.filter(slug="bench-minimal").first()
if minimal is None:
    minimal = Page(title="Minimal", slug="bench-minimal")
    home.add_child(instance=minimal)
    minimal.save_revision().publish()
guide = BuyingGuidePage.objects.live().order_by("pk").first()
print(minimal.url)
print(guide.url if guide else "")
"""


def load(port: int, path: str, seconds: float, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Host": "127.0.0.1"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - start)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")
        )

    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "mean": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="kanta-bench-")
    if not os.environ.get("BENCH_KEEP"):  # the demo database and its media; BENCH_KEEP=1 to inspect
        atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
    env = {
        **os.environ,
        "KANTA_VAR_DIR": var_dir,
        "MEDIA_ROOT": os.path.join(var_dir, "media"),
        "DJANGO_SETTINGS_MODULE": "hub.settings.dev",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    if os.environ.get("DATABASE_URL"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from database import reset_postgres

        reset_postgres(os.environ["DATABASE_URL"])  # the demo is seeded into an empty bench database
    print(f"preparing a demo database in {var_dir} …", file=sys.stderr)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "seed_demo")
    manage(env, "collectstatic", "--no-input", "-v", "0")
    minimal_url, guide_url = manage(env, "shell", "-c", PREPARE).strip().splitlines()[-2:]
    pages = [("minimal Wagtail page", minimal_url), ("home", "/"), ("blog index", "/blog/")]
    if guide_url:
        pages.append(("buying guide", guide_url))

    port = free_port()
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "hub.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        rows = []
        for label, path in pages:
            load(port, path, 1.0, 1)  # warm up: renditions, caches, first-request imports
            result = load(port, path, args.seconds, args.concurrency)
            rows.append((label, path, result))
        floor = rows[0][2]
        print(
            f"\nPages, daphne 1 process, DEBUG off, SQLite, "
            f"{args.concurrency} keep-alive clients, {args.seconds:.0f} s each\n"
        )
        print("| page | path | req/s | p50 ms | p95 ms | p99 ms | p95 vs minimal | errors |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, path, r in rows:
            print(
                f"| {label} | `{path}` | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} "
                f"| {r['p95'] / floor['p95']:.2f}× | {r['errors']} |"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
