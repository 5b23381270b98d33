"""Fan-out bench: from a forum reply to the last of N connected readers.

    make bench-fanout      # or: .venv/bin/python bench/fanout.py [--readers 500 1000] [--broadcasts 30]
    .venv/bin/python bench/fanout.py --readers 5000 --setups redis,bare   # issue 16: 2,500 per process

Builds a private database (SQLite, or DATABASE_URL if its name contains "bench": it is
wiped), a public category with one thread, and members who reply. Then, in one run, for
each setup and each reader count, readers connect anonymously to the thread's socket with a
valid Origin, and a member posts a reply through the real HTTP reply form (session cookie,
CSRF token, ``POST /forum/t/<id>/reply/``) ``--broadcasts`` times.

A reader's time is when its client has read the ``post.created`` frame. "last reader" is
the latest of all readers for one broadcast, counted from the instant the reply's
transaction committed (bench/fanout_asgi.py records it; for ``bare``, from the instant the
bench sends the frame to broadcast): the server-side rendering of the post, the channel
layer and the writes to every socket. "from POST" counts the same from the instant just
before the bench sends the POST, so it also includes the request's view, the posting
service and the commit; "request ms" is the POST's own response time. "spread" is last
reader minus first reader: the fan-out alone.

"missed" is per reader and per reply: a reader that has not read the reply's own
``post.created`` (told apart by the reply's number in it, "Reply 17.", or the bare frame's id)
within 20 s missed it (it must be 0); a frame of an earlier reply arriving later is counted
"late", never as the current one; "duplicates" counts a reader reading one reply twice.
Thousands of readers connect in steps (``--connect-batch``, ``--connect-at-once`` handshakes in
flight per client process; a handshake the server closed is tried again, and counted), with
the open-file limit raised to the hard limit in the bench, its clients and the servers.

Idle socket memory: each server's RSS after one request with no socket, after the first
100 sockets, and with all of them connected and settled; "KiB per socket" is the growth
divided by the sockets on that process (from 0, and from the first 100 on: the marginal cost,
without what the first socket loads once).

Setups (all on this machine, readers in ``--clients`` client processes, by default one per
1,250 readers and at least two):

- ``bare``: bench/bare_ws_server.py, the `websockets` library's own broadcast of the same
  frame (the physical reference; t0 is when the bench sends it the frame to broadcast);
- ``kanta``: daphne, one process, in-memory channel layer, Kanta's process fan-out;
- ``group-send``: the same daphne and consumer, but each socket in the group itself
  (plain Channels ``group_send``; bench/fanout_asgi.py), to show what the fan-out saves;
- ``kanta-redis`` (or ``redis``): two daphne processes sharing Redis (``BENCH_REDIS_URL``, default
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
import re
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
PRIMER = 100  # sockets per server before the idle-memory baseline (see run_setup)
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
    "Reply {n}. I rode the **Nokian Hakkapeliitta W240** all last winter on the lake path. "
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
    from websockets.exceptions import InvalidHandshake

    loop = asyncio.get_running_loop()
    sockets: list = []
    tasks: list[asyncio.Task] = []
    # Per broadcast ("round"): when each reader read it, how many readers did, and how many
    # read a second post.created in the same round. ``seen[i]`` is the last round reader i
    # read one in, so "missed" is per reader, not a total that a duplicate could make up for.
    state: dict = {
        "round": 0,
        "times": [],
        "hits": 0,
        "duplicates": 0,
        "late": 0,
        "retries": 0,
        "failed": 0,
        "warming": False,  # a warm-up reply is on its way: not a late frame
        "armed": False,
        # What the round's own frame contains (its reply's number): a frame of another round
        # is late, not this round's, whatever its type says.
        "marker": "",
        "done": asyncio.Event(),
        "sample": "",
    }
    seen: list[int] = []

    async def read(ws, index: int) -> None:
        try:
            async for message in ws:
                if CREATED not in message:
                    continue
                if not state["armed"] or state["marker"] not in message:
                    if not state["warming"]:  # another round's, after it was collected: missed there
                        state["late"] += 1
                    continue
                now = time.monotonic()
                if seen[index] == state["round"]:
                    state["duplicates"] += 1
                    continue
                seen[index] = state["round"]
                state["times"].append(now)
                state["hits"] += 1
                if not state["sample"]:
                    state["sample"] = message
                if state["hits"] == len(sockets):
                    state["done"].set()
        except Exception:  # the server went away at the end of a setup
            return

    async def open_one(url: str, origin: str, gate: asyncio.Semaphore) -> None:
        async with gate:
            give_up = time.monotonic() + 300
            attempt = 0
            while True:
                try:
                    ws = await connect(url, origin=origin, compression=None, max_size=None, open_timeout=60)
                    break
                except (OSError, TimeoutError, InvalidHandshake):
                    # A server too busy to finish a handshake in time closes it (daphne: 5 s):
                    # a browser would retry too. Counted, and reported.
                    state["retries"] += 1
                    if time.monotonic() > give_up:
                        state["failed"] += 1
                        return
                    attempt += 1
                    await asyncio.sleep(min(2.0, 0.05 * attempt))
            sockets.append(ws)
            seen.append(-1)
            tasks.append(asyncio.create_task(read(ws, len(sockets) - 1)))

    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "connect":
            urls, origins, at_once = args
            gate = asyncio.Semaphore(at_once)
            await asyncio.gather(
                *(open_one(url, origin, gate) for url, origin in zip(urls, origins, strict=True))
            )
            conn.send(("connected", len(sockets), state["retries"], state["failed"]))
        elif command == "warm":
            state["warming"] = True
            conn.send(("warming",))
        elif command == "arm":
            state["marker"] = args[0]
            state["warming"] = False
            state["round"] += 1
            state["times"] = []
            state["hits"] = 0
            state["duplicates"] = 0
            state["done"] = asyncio.Event()
            state["armed"] = True
            conn.send(("armed",))
        elif command == "collect":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state["done"].wait(), timeout=args[0])
            state["armed"] = False
            conn.send(
                (
                    "collected",
                    state["times"],
                    len(sockets) - state["hits"],
                    state["sample"],
                    state["duplicates"],
                )
            )
        elif command == "late":
            conn.send(("late", state["late"]))
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
        self.retries = 0  # handshakes tried again (the server closed or timed them out)
        self.failed = 0  # sockets that never opened (5 minutes of retries)

    def ask(self, *command) -> list:
        for pipe in self.pipes:
            pipe.send(command)
        return [pipe.recv() for pipe in self.pipes]

    def connect(self, urls: list[tuple[str, str]], *, batch: int, at_once: int) -> None:
        """Connect in batches of ``batch`` sockets (each batch done before the next starts),
        ``at_once`` handshakes in flight per client process: thousands of handshakes at once
        overflow the server's listen backlog and time out instead of queueing."""
        for start_at in range(0, len(urls), batch):
            shares: list[list[tuple[str, str]]] = [[] for _ in self.pipes]
            for index, pair in enumerate(urls[start_at : start_at + batch]):
                shares[index % len(shares)].append(pair)
            for pipe, share in zip(self.pipes, shares, strict=True):
                pipe.send(("connect", [u for u, _ in share], [o for _, o in share], at_once))
            answers = [pipe.recv() for pipe in self.pipes]
            self.count = sum(answer[1] for answer in answers)
            self.retries = sum(answer[2] for answer in answers)
            self.failed = sum(answer[3] for answer in answers)

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
        self.turn = 0
        self.connections = {port: http.client.HTTPConnection("127.0.0.1", port, timeout=30) for port in ports}

    def next_marker(self) -> str:
        """Draw the next reply's turn; returns what only its frame contains."""
        self.turn = next(TURNS)
        return f"Reply {self.turn}."

    def post(self) -> tuple[float, float]:
        """Posts the turn ``next_marker`` drew; returns (t0, seconds until the response arrived)."""
        turn = self.turn
        port = self.ports[turn % len(self.ports)]
        session = self.sessions[turn % len(self.sessions)]
        token = secrets.token_hex(16)  # an unmasked 32-character secret is a valid CSRF token
        body = urlencode({"csrfmiddlewaretoken": token, "body": REPLY.format(n=turn)})
        headers = {
            "Host": "127.0.0.1",
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"sessionid={session}; csrftoken={token}",
        }
        # A new connection per reply: daphne closes an idle keep-alive connection, and
        # connecting thousands of readers takes longer than its timeout. (Loopback connect:
        # about 0.1 ms of the reply's time.)
        self.connections[port].close()
        conn = self.connections[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
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
        self.turn = 0

    def next_marker(self) -> str:
        # A new id each time, as Kanta's replies have: the frame is never a stale copy.
        self.turn += 1
        return f'"id":{self.turn},'

    def post(self) -> tuple[float, float]:
        frame = re.sub(r'"id":\d+', f'"id":{self.turn}', self.frame, count=1)
        self.sent_at = time.monotonic()
        self.ws.send(frame)
        return self.sent_at, 0.0

    def committed_at(self) -> float:
        return self.sent_at

    def close(self) -> None:
        self.stack.close()


def measure(readers: Readers, trigger, broadcasts: int) -> dict:
    lasts, lasts_from_post, spreads, requests = [], [], [], []
    missing = duplicates = 0
    sample = ""
    for _ in range(broadcasts):
        readers.ask("arm", trigger.next_marker())
        posted_at, request = trigger.post()
        results = readers.ask("collect", 20.0)
        committed_at = trigger.committed_at()
        times = [t for result in results for t in result[1]]
        missing += sum(result[2] for result in results)
        duplicates += sum(result[4] for result in results)
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
        "duplicates": duplicates,
        "rounds": broadcasts,
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


def rss_kb(pid: int) -> int:
    """Resident memory of a process (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


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
        pids = [process.pid for process in processes]
        try:
            if name != "bare":
                trigger.next_marker()
                trigger.post()  # first-request imports and caches, before the memory baseline
                time.sleep(0.5)
            # Idle socket memory: RSS with no reader, then with a few (what the first socket
            # loads once, such as the channel layer's connections, is not a socket's cost),
            # then with all of them.
            rss_zero = [rss_kb(pid) for pid in pids]
            rss_before, on_before = rss_zero, [0] * len(pids)
            connected = 0
            for count in sorted(args.readers):
                urls = [
                    (
                        f"ws://127.0.0.1:{ports[i % len(ports)]}{path}",
                        f"http://127.0.0.1:{ports[i % len(ports)]}",
                    )
                    for i in range(connected, count)
                ]
                began = time.monotonic()
                if connected == 0:
                    primer = min(len(urls) // 2, PRIMER * len(ports))
                    readers.connect(urls[:primer], batch=args.connect_batch, at_once=args.connect_at_once)
                    time.sleep(min(args.settle, 1.0))
                    rss_before = [rss_kb(pid) for pid in pids]
                    on_before = [len(range(p, primer, len(ports))) for p in range(len(ports))]
                    urls = urls[primer:]
                readers.connect(urls, batch=args.connect_batch, at_once=args.connect_at_once)
                connect_seconds = time.monotonic() - began
                connected = count
                time.sleep(args.settle)  # presence broadcasts of the joins die down
                rss_now = [rss_kb(pid) for pid in pids]
                on_now = [len(range(p, count, len(ports))) for p in range(len(ports))]
                memory = {
                    "rss_mb": [kb / 1024 for kb in rss_now],
                    "kb_from_zero": statistics.mean(
                        (now - zero) / n for now, zero, n in zip(rss_now, rss_zero, on_now, strict=True)
                    ),
                    "kb_marginal": statistics.mean(
                        (now - before) / (n - n_before)
                        for now, before, n, n_before in zip(
                            rss_now, rss_before, on_now, on_before, strict=True
                        )
                    ),
                }
                rss_before, on_before = rss_now, on_now
                if name != "bare":
                    readers.ask("warm")
                    trigger.next_marker()
                    trigger.post()  # warm up the fan-out with readers on it
                    time.sleep(0.5)
                load_before = os.getloadavg()[0]
                result = measure(readers, trigger, args.broadcasts)
                result.update(memory)
                result["setup"] = name
                result["processes"] = len(ports)
                result["connect_seconds"] = connect_seconds
                result["retries"] = readers.retries
                result["failed"] = readers.failed
                result["load"] = (load_before, os.getloadavg()[0])
                rows.append(result)
                print(
                    f"  {name}: {result['readers']} readers (connected in {connect_seconds:.0f} s, "
                    f"{readers.retries} handshakes retried, {readers.failed} never opened), "
                    f"last reader p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, "
                    f"missed {result['missing']}, duplicates {result['duplicates']}, "
                    f"{result['kb_from_zero']:.1f} KiB per idle socket "
                    f"({result['kb_marginal']:.1f} marginal), load {result['load'][0]:.2f}",
                    file=sys.stderr,
                )
        finally:
            late = sum(answer[1] for answer in readers.ask("late"))
            if late and rows:
                rows[-1]["late"] = late
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
    parser.add_argument(
        "--clients", type=int, help="reader client processes (default: one per 1,250 readers, at least 2)"
    )
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after connecting")
    parser.add_argument(
        "--setups",
        default="kanta,group-send,kanta-redis,bare",
        help="comma-separated, in the order to run (redis is kanta-redis)",
    )
    parser.add_argument("--connect-batch", type=int, default=500, help="sockets connected per step")
    parser.add_argument(
        "--connect-at-once", type=int, default=4, help="handshakes in flight per client process"
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()
    if args.clients is None:
        args.clients = max(2, -(-max(args.readers) // 1250))
    raise_fd_limit()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # Each reader is a socket in a client process and one in a server; Kanta's take a few more.
    needed = max(args.readers) // args.clients + 64
    if hard < needed:
        sys.exit(f"the open-file limit is {hard} (ulimit -Hn); {needed} per client process are needed")

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

    setups = [{"redis": "kanta-redis"}.get(s.strip(), s.strip()) for s in args.setups.split(",") if s.strip()]
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
        "| spread ms | from POST p50 ms | from POST p95 ms | request ms | missed | duplicates | load |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for row in rows:
        reference = bare.get(row["readers"])
        kanta = row["setup"] != "bare"
        ratio = f"{row['p95'] / reference['p95']:.2f}×" if reference and kanta else ""
        from_post = (row["post_p50"], row["post_p95"]) if kanta else (row["p50"], row["p95"])
        print(
            f"| {row['setup']} | {row['processes'] if kanta else ''} | {row['readers']} "
            f"| {row['p50']:.0f} | {row['p95']:.0f} | {row['p99']:.0f} | {ratio} | {row['spread']:.0f} "
            f"| {from_post[0]:.0f} | {from_post[1]:.0f} | {row['request'] if kanta else 0:.0f} "
            f"| {row['missing']} of {row['readers'] * row['rounds']} | {row['duplicates']} "
            f"| {row['load'][0]:.2f}–{row['load'][1]:.2f} |"
        )
    late = sum(row.get("late", 0) for row in rows)
    if late:
        print(f"\n{late} post.created frames arrived after their round was collected (counted as missed).")
    print(
        "\nIdle socket memory (server RSS, VmRSS, after the joins settled; per process, "
        f"averaged over processes; the baseline is after one request, then after {PRIMER} sockets)\n"
    )
    print(
        "| setup | processes | readers | sockets per process | RSS MiB per process "
        "| KiB per socket from 0 | KiB per socket after the first | connect s "
        "| handshakes retried | never opened |"
    )
    print("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['setup']} | {row['processes']} | {row['readers']} "
            f"| {row['readers'] // row['processes']} "
            f"| {', '.join(f'{mb:.0f}' for mb in row['rss_mb'])} | {row['kb_from_zero']:.1f} "
            f"| {row['kb_marginal']:.1f} | {row['connect_seconds']:.0f} | {row['retries']} "
            f"| {row['failed']} |"
        )


if __name__ == "__main__":
    main()
