"""Fan-out bench: from a forum reply to the last of N connected readers.

    make bench-fanout      # or: .venv/bin/python bench/fanout.py [--readers 500 1000] [--broadcasts 30]

Builds a private database (SQLite, or DATABASE_URL if its name contains "bench": it is
wiped), a public category with one thread, and members who reply. Then, in one run, for
each setup and each reader count, readers connect anonymously to the thread's socket with a
valid Origin, and a member posts a reply through the real HTTP reply form (session cookie,
CSRF token, ``POST /forum/t/<id>/reply/``) ``--broadcasts`` times.

**t0** is the instant just before the bench sends that POST; a reader's time is when its
client has read the ``post.created`` frame. "last reader" is the latest of all readers for
one broadcast, so it includes the whole request: the view, the posting service, the commit,
the server-side rendering of the post, the channel layer and the writes to every socket.
"spread" is last reader minus first reader: the fan-out alone.

Setups (all on this machine, readers in ``--clients`` client processes):

- ``bare``: bench/bare_ws_server.py, the `websockets` library's own broadcast of the same
  frame (the physical reference; t0 is when the bench sends it the frame to broadcast);
- ``kanta``: daphne, one process, in-memory channel layer, Kanta's process fan-out;
- ``group-send``: the same daphne and consumer, but each socket in the group itself
  (plain Channels ``group_send``; bench/fanout_asgi.py), to show what the fan-out saves;
- ``kanta-redis``: two daphne processes sharing Redis (``BENCH_REDIS_URL``, default
  redis://127.0.0.1:6379/14), readers split across both, replies posted to each in turn.
  Skipped, with a note, when Redis is unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import http.client
import itertools
import json
import multiprocessing
import os
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
POSTERS = 40  # members take turns: the 5 s between posts of one member is Kanta's real limit
CREATED = '"type":"post.created"'
TURNS = itertools.count()  # across setups, so each member's replies stay 5 s apart

PREPARE = """
import json
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from community.models import ForumCategory
from community.forum.services.posts import thread_create
User = get_user_model()
long_ago = timezone.now() - timedelta(days=400)
category = ForumCategory.objects.create(name="Bench", slug="bench", description="Fan-out bench.")
author = User.objects.create_user(username="bench-author", email="author@bench.invalid", password="x")
User.objects.filter(pk=author.pk).update(date_joined=long_ago)
thread = thread_create(author=User.objects.get(pk=author.pk), category=category, title="Fan-out bench",
                       body="Readers wait here for replies.", enforce_limits=False)
cookies = []
for n in range(POSTERS):
    member = User.objects.create_user(username=f"poster{n}", email=f"poster{n}@bench.invalid", password="x")
    User.objects.filter(pk=member.pk).update(date_joined=long_ago)
    client = Client()
    client.force_login(member)
    cookies.append(client.cookies["sessionid"].value)
print(json.dumps({"thread": thread.pk, "sessions": cookies}))
"""

# A reply like a real one: a few sentences of Markdown, so the frame has a realistic size.
REPLY = (
    "Reply {n}: I rode the **Nokian Hakkapeliitta W240** all last winter on the lake path. "
    "Grip on black ice is excellent, rolling resistance on dry asphalt is noticeable but fine. "
    "Pressure: 2.5 bar front, 2.8 rear. Check the studs after the first 50 km; mine settled well."
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server on port {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"server on port {port} did not start")


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    rank = max(1, -(-int(p * 100) * len(ordered) // 10000))
    return ordered[min(len(ordered), rank) - 1]


# --- reader client processes ------------------------------------------------------------------


def reader_process(conn: Connection) -> None:
    raise_fd_limit()
    asyncio.run(reader_main(conn))


async def reader_main(conn: Connection) -> None:
    from websockets.asyncio.client import connect

    loop = asyncio.get_running_loop()
    sockets: list = []
    tasks: list[asyncio.Task] = []
    state: dict = {"times": [], "armed": False, "done": asyncio.Event(), "sample": ""}

    async def read(ws) -> None:
        try:
            async for message in ws:
                if state["armed"] and CREATED in message:
                    state["times"].append(time.monotonic())
                    if not state["sample"]:
                        state["sample"] = message
                    if len(state["times"]) == len(sockets):
                        state["done"].set()
        except Exception:  # the server went away at the end of a setup
            return

    async def open_one(url: str, origin: str, gate: asyncio.Semaphore) -> None:
        async with gate:
            for attempt in range(20):
                try:
                    ws = await connect(url, origin=origin, compression=None, max_size=None, open_timeout=30)
                    break
                except (OSError, TimeoutError):
                    await asyncio.sleep(0.05 * (attempt + 1))
            else:
                raise ConnectionError(url)
            sockets.append(ws)
            tasks.append(asyncio.create_task(read(ws)))

    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "connect":
            urls, origins = args
            gate = asyncio.Semaphore(16)
            await asyncio.gather(
                *(open_one(url, origin, gate) for url, origin in zip(urls, origins, strict=True))
            )
            conn.send(("connected", len(sockets)))
        elif command == "arm":
            state["times"] = []
            state["done"] = asyncio.Event()
            state["armed"] = True
            conn.send(("armed",))
        elif command == "collect":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state["done"].wait(), timeout=args[0])
            state["armed"] = False
            conn.send(("collected", state["times"], len(sockets) - len(state["times"]), state["sample"]))
        elif command == "close":
            for ws in sockets:
                await ws.close()
            for task in tasks:
                task.cancel()
            conn.send(("closed",))
            return


class Readers:
    """``--clients`` processes holding the reader sockets."""

    def __init__(self, clients: int):
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes = []
        for _ in range(clients):
            parent, child = context.Pipe()
            process = context.Process(target=reader_process, args=(child,), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
        self.count = 0

    def ask(self, *command) -> list:
        for pipe in self.pipes:
            pipe.send(command)
        return [pipe.recv() for pipe in self.pipes]

    def connect(self, urls: list[tuple[str, str]]) -> None:
        shares: list[list[tuple[str, str]]] = [[] for _ in self.pipes]
        for index, pair in enumerate(urls):
            shares[index % len(shares)].append(pair)
        for pipe, share in zip(self.pipes, shares, strict=True):
            pipe.send(("connect", [u for u, _ in share], [o for _, o in share]))
        self.count = sum(pipe.recv()[1] for pipe in self.pipes)

    def close(self) -> None:
        self.ask("close")
        for process in self.processes:
            process.join(timeout=5)


# --- triggers ---------------------------------------------------------------------------------


class KantaPoster:
    """Posts replies through the HTTP reply form, as the members take turns."""

    def __init__(self, ports: list[int], thread_id: int, sessions: list[str]):
        self.ports = ports
        self.thread_id = thread_id
        self.sessions = sessions
        self.connections = {port: http.client.HTTPConnection("127.0.0.1", port, timeout=30) for port in ports}

    def post(self) -> tuple[float, float]:
        """Returns (t0, seconds until the response arrived)."""
        turn = next(TURNS)
        port = self.ports[turn % len(self.ports)]
        session = self.sessions[turn % len(self.sessions)]
        token = secrets.token_hex(16)  # an unmasked 32-character secret is a valid CSRF token
        body = urlencode({"csrfmiddlewaretoken": token, "body": REPLY.format(n=turn)})
        headers = {
            "Host": "127.0.0.1",
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"sessionid={session}; csrftoken={token}",
        }
        conn = self.connections[port]
        t0 = time.monotonic()
        conn.request("POST", f"/forum/t/{self.thread_id}/reply/", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = time.monotonic() - t0
        if response.status not in (200, 302, 303):
            logs = sorted(Path(os.environ["KANTA_BENCH_VAR"]).glob("server-*.log"))
            tail = "\n".join(path.read_text(errors="replace")[-3000:] for path in logs)
            sys.exit(f"the reply form answered {response.status}\n{tail}")
        return t0, elapsed

    def committed_at(self) -> float:
        """When the newest reply's transaction committed (bench/fanout_asgi.py logs it)."""
        lines = Path(os.environ["KANTA_BENCH_COMMITS"]).read_text().split("\n")
        newest = max((line.split() for line in lines if line), key=lambda fields: int(fields[0]))
        return float(newest[1])


class BarePublisher:
    def __init__(self, port: int, frame: str):
        from websockets.sync.client import connect

        self.stack = contextlib.ExitStack()
        self.ws = self.stack.enter_context(
            connect(f"ws://127.0.0.1:{port}/publish", compression=None, max_size=None)
        )
        self.frame = frame
        self.sent_at = 0.0

    def post(self) -> tuple[float, float]:
        self.sent_at = time.monotonic()
        self.ws.send(self.frame)
        return self.sent_at, 0.0

    def committed_at(self) -> float:
        return self.sent_at

    def close(self) -> None:
        self.stack.close()


def measure(readers: Readers, trigger, broadcasts: int) -> dict:
    lasts, lasts_from_post, spreads, requests = [], [], [], []
    missing = 0
    sample = ""
    for _ in range(broadcasts):
        readers.ask("arm")
        posted_at, request = trigger.post()
        results = readers.ask("collect", 10.0)
        committed_at = trigger.committed_at()
        times = [t for result in results for t in result[1]]
        missing += sum(result[2] for result in results)
        sample = sample or next((result[3] for result in results if result[3]), "")
        if times:
            lasts.append((max(times) - committed_at) * 1000)
            lasts_from_post.append((max(times) - posted_at) * 1000)
            spreads.append((max(times) - min(times)) * 1000)
        requests.append(request * 1000)
        time.sleep(0.3)  # the thread.updated and presence frames that follow a reply settle
    if not lasts:
        sys.exit("no reader received a single post.created")
    return {
        "readers": readers.count,
        "p50": percentile(lasts, 50),
        "p95": percentile(lasts, 95),
        "p99": percentile(lasts, 99),
        "post_p50": percentile(lasts_from_post, 50),
        "post_p95": percentile(lasts_from_post, 95),
        "spread": statistics.median(spreads),
        "request": statistics.median(requests),
        "missing": missing,
        "sample": sample,
    }


# --- setups -----------------------------------------------------------------------------------


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    log = open(Path(env["KANTA_VAR_DIR"]) / f"server-{port}.log", "wb")  # noqa: SIM115 (the server's)
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=raise_fd_limit
    )
    wait_for_port(port, process)
    return process


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def daphne(port: int, env: dict[str, str], app: str = "bench.fanout_asgi:application") -> subprocess.Popen:
    return start([str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), app], env, port)


def run_setup(name: str, *, args, env, prepared, frame: str) -> list[dict]:
    thread_id = prepared["thread"]
    processes: list[subprocess.Popen] = []
    publisher = None
    try:
        if name == "bare":
            port = free_port()
            processes.append(
                start([PYTHON, str(ROOT / "bench" / "bare_ws_server.py"), "--port", str(port)], env, port)
            )
            ports, path = [port], "/r"
            publisher = trigger = BarePublisher(port, frame)
        elif name == "kanta-redis":
            ports = [free_port(), free_port()]
            redis_env = {**env, "REDIS_URL": args.redis_url}
            processes.extend(daphne(port, redis_env) for port in ports)
            path = f"/ws/forum/threads/{thread_id}/"
            trigger = KantaPoster(ports, thread_id, prepared["sessions"])
        else:
            ports = [free_port()]
            if name == "group-send":
                processes.append(daphne(ports[0], env))
                path = f"/ws/bench/group-send/threads/{thread_id}/"
            else:
                processes.append(daphne(ports[0], env))
                path = f"/ws/forum/threads/{thread_id}/"
            trigger = KantaPoster(ports, thread_id, prepared["sessions"])
        readers = Readers(args.clients)
        rows = []
        try:
            connected = 0
            for count in sorted(args.readers):
                urls = [
                    (
                        f"ws://127.0.0.1:{ports[i % len(ports)]}{path}",
                        f"http://127.0.0.1:{ports[i % len(ports)]}",
                    )
                    for i in range(connected, count)
                ]
                readers.connect(urls)
                connected = count
                time.sleep(args.settle)  # presence broadcasts of the joins die down
                if name != "bare":
                    trigger.post()  # warm up: first-request imports and caches
                    time.sleep(0.5)
                result = measure(readers, trigger, args.broadcasts)
                result["setup"] = name
                result["processes"] = len(ports)
                rows.append(result)
                print(
                    f"  {name}: {result['readers']} readers, last reader p50 {result['p50']:.0f} ms, "
                    f"p95 {result['p95']:.0f} ms, missing {result['missing']}",
                    file=sys.stderr,
                )
        finally:
            readers.close()
        return rows
    finally:
        if publisher is not None:
            publisher.close()
        stop(processes)


def redis_reachable(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--readers", type=int, nargs="+", default=[500, 1000])
    parser.add_argument("--broadcasts", type=int, default=30)
    parser.add_argument("--clients", type=int, default=2, help="reader client processes")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after connecting")
    parser.add_argument(
        "--setups", default="kanta,group-send,kanta-redis,bare", help="comma-separated, in the order to run"
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()
    raise_fd_limit()

    var_dir = tempfile.mkdtemp(prefix="kanta-bench-fanout-")
    os.environ["KANTA_BENCH_VAR"] = var_dir
    os.environ["KANTA_BENCH_COMMITS"] = os.path.join(var_dir, "commits.log")
    if not os.environ.get("BENCH_KEEP"):
        atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
    env = {
        key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        {
            "KANTA_VAR_DIR": var_dir,
            "MEDIA_ROOT": os.path.join(var_dir, "media"),
            "DJANGO_SETTINGS_MODULE": "hub.settings.dev",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "KANTA_BENCH_COMMITS": os.environ["KANTA_BENCH_COMMITS"],
        }
    )
    database = "SQLite"
    if os.environ.get("DATABASE_URL"):
        sys.path.insert(0, str(ROOT / "bench"))
        from database import reset_postgres

        reset_postgres(os.environ["DATABASE_URL"])
        database = "PostgreSQL"
    print(f"preparing a database in {var_dir} …", file=sys.stderr)
    for command in (
        ["migrate", "--no-input", "-v", "0"],
        ["shell", "-c", PREPARE.replace("POSTERS", str(POSTERS))],
    ):
        result = subprocess.run(
            [PYTHON, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode:
            sys.exit(f"manage.py {command[0]} failed:\n{result.stderr[-4000:]}")
    prepared = json.loads(result.stdout.strip().splitlines()[-1])

    setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    if "kanta-redis" in setups and not redis_reachable(args.redis_url):
        print(f"Redis at {args.redis_url} is unreachable: kanta-redis skipped", file=sys.stderr)
        setups.remove("kanta-redis")
    rows: list[dict] = []
    frame = ""
    for name in setups:
        print(f"{name} …", file=sys.stderr)
        rows.extend(run_setup(name, args=args, env=env, prepared=prepared, frame=frame or fallback_frame()))
        frame = frame or next((row["sample"] for row in rows if row["sample"]), "")

    report(rows, args=args, database=database, frame_bytes=len(frame.encode()))


def fallback_frame() -> str:
    return json.dumps({"type": "post.created", "id": 1, "post": {"html": "x" * 1200}}, separators=(",", ":"))


def report(rows: list[dict], *, args, database: str, frame_bytes: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from database import machine

    bare = {row["readers"]: row for row in rows if row["setup"] == "bare"}
    print(
        f"\nFan-out, {args.broadcasts} replies per row, readers in {args.clients} client processes, "
        f"{database}, post.created frame {frame_bytes} bytes\n{machine()}\n"
    )
    print(
        "| setup | daphne processes | readers | last reader p50 ms | p95 ms | p99 ms | p95 vs bare "
        "| spread ms | from POST p50 ms | from POST p95 ms | request ms | missed |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        reference = bare.get(row["readers"])
        kanta = row["setup"] != "bare"
        ratio = f"{row['p95'] / reference['p95']:.2f}×" if reference and kanta else ""
        from_post = (row["post_p50"], row["post_p95"]) if kanta else (row["p50"], row["p95"])
        print(
            f"| {row['setup']} | {row['processes'] if kanta else ''} | {row['readers']} "
            f"| {row['p50']:.0f} | {row['p95']:.0f} | {row['p99']:.0f} | {ratio} | {row['spread']:.0f} "
            f"| {from_post[0]:.0f} | {from_post[1]:.0f} | {row['request'] if kanta else 0:.0f} "
            f"| {row['missing']} |"
        )


if __name__ == "__main__":
    main()
