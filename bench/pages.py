"""Page benchmark: requests/s and latency of the reader-facing pages, anonymous and signed in,
next to a minimal Wagtail page, all in one run.

    make bench            # or: .venv/bin/python bench/pages.py [--seconds 10] [--concurrency 4]

With DATABASE_URL set it uses that PostgreSQL database instead of SQLite; its name must contain
"bench", since the bench empties it first (bench/database.py).

Builds a private demo database, serves it with daphne (DEBUG off, one process) and drives each
page with keep-alive HTTP clients in threads on the same machine, twice: as an anonymous reader
(no cookies at all) and as a signed-in demo member (``sessionid`` and ``csrftoken`` cookies of a
session made in the prepare step). The minimal page (a plain Wagtail page with the stock
template) is the floor; it is measured first and again last, and the ratio column divides a
page's req/s by the mean of the two anonymous minimal runs, so drift during the run shows as a
gap between them rather than hiding in the ratios. Issue 16's goals read off that column:
anonymous >= 1.0x, signed in >= 0.5x.

Every response must be a 200, and it must be the right audience's page: a signed-in response
must show the member's account menu (their @username and the log-out form), an anonymous one
must show neither (a member's page served to a stranger is the worst thing a page cache can
do). Anything else counts as an error. When responses carry ``X-Kanta-Cache`` (the anonymous
page cache), the share of ``hit`` is reported; "—" means the header never appeared.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MEMBER = "aino"  # a plain demo member (no staff groups), Silver tier in the demo world


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"manage.py {args[0]} failed:\n{result.stderr[-4000:]}")
    return result.stdout


# Runs inside `manage.py shell`: the minimal page, the eight pages of issue 16 and a signed-in
# member's cookies, printed as one JSON line. Only the models and URL names both the code
# before issue 16 and after it have, so the same script measures both.
PREPARE = """
import json
import os
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string
from wagtail.models import Page
from content.models import BlogIndexPage, BlogPostPage, BuyingGuidePage, GuideIndexPage, HomePage, Product
from community.forum.models import Thread

home = HomePage.objects.get()
minimal = Page.objects.filter(slug="bench-minimal").first()
if minimal is None:
    minimal = Page(title="Minimal", slug="bench-minimal")
    home.add_child(instance=minimal)
    minimal.save_revision().publish()
# The heaviest of each kind a reader can open: the product with the most reviews, the thread
# with the most replies in a category anyone may read, a guide and a post with a hero image.
guide = BuyingGuidePage.objects.live().public().filter(hero_image__isnull=False).order_by("pk").first()
post = BlogPostPage.objects.live().public().filter(hero_image__isnull=False).order_by("pk").first()
product = Product.objects.annotate(n=Count("reviews")).order_by("-n", "pk").first()
thread = (
    Thread.objects.filter(state="visible", category__read_tier__isnull=True, merged_into__isnull=True)
    .order_by("-reply_count", "pk")
    .first()
)
pages = [
    ("home", home.url),
    ("guides index", GuideIndexPage.objects.live().first().url),
    ("guide", guide.url),
    ("blog index", BlogIndexPage.objects.live().first().url),
    ("blog post", post.url),
    ("product", product.get_absolute_url()),
    ("forum index", reverse("community:forum_index")),
    ("thread", thread.get_absolute_url()),
]
member = get_user_model().objects.get(username=os.environ["KANTA_BENCH_MEMBER"])
client = Client()
client.force_login(member)
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        database = "PostgreSQL " + cursor.fetchone()[0].split()[0]
else:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()")
        database = "SQLite " + cursor.fetchone()[0]
print(json.dumps({
    "minimal": minimal.url,
    "pages": pages,
    "database": database,
    "username": member.username,
    "logout": reverse("account_logout"),
    "cookie": "; ".join([
        settings.SESSION_COOKIE_NAME + "=" + client.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.CSRF_COOKIE_NAME + "=" + get_random_string(32),
    ]),
}))
"""


@dataclass
class Audience:
    name: str
    cookie: str  # "" for an anonymous reader
    # A page of this audience must contain every one of ``must`` and none of ``must_not``.
    must: tuple[bytes, ...] = ()
    must_not: tuple[bytes, ...] = ()


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    errors: int = 0
    wrong_audience: int = 0
    cache_header: int = 0  # responses carrying X-Kanta-Cache
    cache_hits: int = 0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    @property
    def hit_share(self) -> str:
        if not self.cache_header:
            return "—"
        return f"{100 * self.cache_hits / self.cache_header:.0f} %"


def load(port: int, path: str, audience: Audience, seconds: float, concurrency: int) -> Result:
    result = Result()
    lock = threading.Lock()
    headers = {"Host": "127.0.0.1"}
    if audience.cookie:
        headers["Cookie"] = audience.cookie
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = Result()
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):
                mine.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            # Only answered requests count towards req/s and the percentiles.
            mine.latencies.append(time.perf_counter() - start)
            cache = response.getheader("X-Kanta-Cache")
            if cache is not None:
                mine.cache_header += 1
                mine.cache_hits += cache.strip().lower() == "hit"
            if response.status != 200:
                mine.errors += 1
            elif not all(m in body for m in audience.must) or any(m in body for m in audience.must_not):
                mine.errors += 1
                mine.wrong_audience += 1
        conn.close()
        with lock:
            result.latencies.extend(mine.latencies)
            result.errors += mine.errors
            result.wrong_audience += mine.wrong_audience
            result.cache_header += mine.cache_header
            result.cache_hits += mine.cache_hits

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - started
    return result


def wait_until_serving(server: subprocess.Popen, port: int, path: str, timeout: float = 600.0) -> None:
    """Until the server answers a page: on a loaded machine daphne's imports alone can take
    half a minute, and a client started before then counts only refused connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"daphne exited ({server.returncode}) before it served a page")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", path, headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.5)  # a start-up wait, polled on purpose
    sys.exit(f"daphne did not serve {path} within {timeout:.0f} s")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--reuse",
        metavar="DIR",
        help="measure the demo a BENCH_KEEP=1 run left in DIR (no new seed; the seed is the slow part)",
    )
    args = parser.parse_args()

    reuse = bool(args.reuse)
    if reuse:
        var_dir = args.reuse
    else:
        var_dir = tempfile.mkdtemp(prefix="kanta-bench-")
        if not os.environ.get("BENCH_KEEP"):  # the demo database and its media; BENCH_KEEP=1 to keep
            atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
    env = {
        **os.environ,
        "KANTA_VAR_DIR": var_dir,
        "MEDIA_ROOT": os.path.join(var_dir, "media"),
        "DJANGO_SETTINGS_MODULE": "hub.settings.dev",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "KANTA_BENCH_MEMBER": MEMBER,
    }
    # The process-local cache, as every bench uses (bench/database.py): a bench must never
    # flush or fill a shared Redis because the shell happened to export one.
    env.pop("REDIS_URL", None)
    if os.environ.get("DATABASE_URL") and not reuse:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from database import reset_postgres

        reset_postgres(os.environ["DATABASE_URL"])  # the demo is seeded into an empty bench database
    print(f"preparing a demo database in {var_dir} …", file=sys.stderr)
    manage(env, "migrate", "--no-input", "-v", "0")
    if not reuse:
        manage(env, "seed_demo")
    manage(env, "collectstatic", "--no-input", "-v", "0")
    prepared = json.loads(manage(env, "shell", "-c", PREPARE).strip().splitlines()[-1])
    account = (f"<small>@{prepared['username']}</small>".encode(), f'action="{prepared["logout"]}"'.encode())
    audiences = [
        Audience("anonymous", "", must_not=account),
        Audience("signed in", prepared["cookie"], must=account),
    ]
    minimal = ("minimal Wagtail page", prepared["minimal"])
    pages = [tuple(page) for page in prepared["pages"]]
    # Interleaved: the floor first and last, each page's two audiences back to back.
    # The minimal page is Wagtail's stock template: no account menu to tell the audiences apart.
    floor_audiences = [Audience(a.name, a.cookie) for a in audiences]
    plan = [(minimal, a) for a in floor_audiences]
    plan += [(page, a) for page in pages for a in audiences]
    plan += [(minimal, a) for a in floor_audiences]

    port = free_port()
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "hub.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(server, port, prepared["minimal"])
        load_before = load_average()
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        runs: list[tuple[str, str, str, Result]] = []
        for (label, path), audience in plan:
            print(f"{audience.name:>9} {label} {path} …", file=sys.stderr)
            load(port, path, audience, 1.0, 1)  # warm up: renditions, caches, first-request imports
            runs.append(
                (audience.name, label, path, load(port, path, audience, args.seconds, args.concurrency))
            )
        load_after = load_average()
    finally:
        server.terminate()
        server.wait(timeout=10)

    floors = [r for audience, label, _p, r in runs if label == minimal[0] and audience == "anonymous"]
    floor = sum(r.rps for r in floors) / len(floors)
    print(
        f"\nPages, {started}, daphne 1 process, DEBUG off, {prepared['database']}, "
        f"{args.concurrency} keep-alive clients, {args.seconds:.0f} s each; "
        f"load average {load_before} before, {load_after} after; "
        f"minimal page anonymous {floors[0].rps:.0f} then {floors[-1].rps:.0f} req/s (mean {floor:.0f})\n"
    )
    print("| audience | page | path | req/s | p50 ms | p95 ms | p99 ms | vs minimal | errors | cache hits |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    goals = {"anonymous": 1.0, "signed in": 0.5}
    met = dict.fromkeys(goals, 0)
    for audience in audiences:
        # Table order: by audience, the floor's two runs around the pages (run order was interleaved).
        for name, label, path, r in runs:
            if name != audience.name:
                continue
            ratio = r.rps / floor
            if label != minimal[0] and ratio >= goals[name]:
                met[name] += 1
            errors = f"{r.errors} ({r.wrong_audience} wrong audience)" if r.wrong_audience else str(r.errors)
            print(
                f"| {name} | {label} | `{path}` | {r.rps:.0f} | {r.pct(0.50):.1f} | {r.pct(0.95):.1f} "
                f"| {r.pct(0.99):.1f} | {ratio:.2f}× | {errors} | {r.hit_share} |"
            )
    print(
        f"\nIssue 16's goals: anonymous >= 1.0× the minimal page on {met['anonymous']} "
        f"of {len(pages)} pages, "
        f"signed in >= 0.5× on {met['signed in']} of {len(pages)}."
    )
    if any(r.errors for *_rest, r in runs):
        sys.exit("some requests failed or reached the wrong audience (the errors column)")


if __name__ == "__main__":
    main()
