"""Vote storm: N attendees of one live room toggling votes at a target rate (issue 6).

    make bench-votes       # or: .venv/bin/python bench/vote_storm.py [--attendees 500] [--rate 900]
                           #        [--seconds 60] [--questions 20] [--setups memory,redis] [--quick]

Builds a private database (SQLite, or DATABASE_URL if its name contains "bench": it is
wiped; a ``sqlite:////…bench….sqlite3`` URL gives SQLite with connections kept 60 s, as
hub/settings does for any DATABASE_URL) and, through the real services and the test
factories: a VIP live event whose room is open now, ``--questions`` questions asked by one
VIP member, ``--attendees`` VIP members with a session each and one listener per server
process. Then, for each setup:

- ``memory``: one daphne process, the in-memory channel layer;
- ``redis``: two daphne processes sharing Redis (``BENCH_REDIS_URL``, default
  redis://127.0.0.1:6379/14), the attendees split between them. Skipped, with a note, when
  Redis is unreachable.

Every attendee connects to ``/ws/events/<slug>/`` (session cookie, valid Origin) from one of
``--clients`` client processes. Each client sends, for ``--seconds``, its share of ``--rate``
frames per second (open loop: on schedule, whether or not the answers keep up). A frame is
``question.vote`` or ``question.unvote`` on a random question for a random attendee of that
client, chosen from what the attendee's own state says (the ``my_votes`` of its
``session.ready``, then its own changes), so every frame is a real change; an attendee never
has two frames in flight for one question. Each frame carries a ``request`` tag; its latency
is from just before the client sends it to when the client has read the ``.ok`` or ``error``
that carries the tag.

The listeners (members who never vote) count the ``question.updated`` vote-count frames
they receive: per second, and per question per second. At the end, after every answer is in,
the bench compares for every question the stored ``vote_count``, the number of
EventQuestionVote rows, the count implied by the clients' own states, and the count the
listeners hold at the end, keeping per question the frame read last by the servers (its
``at``, as docs/realtime.md tells a client), not the one that arrived last; "exact" means all
four agree and the (question, member) pairs stored are exactly those the clients hold.

The servers are Kanta's ``hub.asgi.application`` with one bench-only addition (this module's
``application``): each RoomBoard vote batch (its transaction, and the whole write with the
thread hop), count broadcast and minute's presence and attendance work is logged, with its
size and times, to ``KANTA_BENCH_VOTES``; that is where the batch figures come from.
``--profile DIR`` samples every server with py-spy (``pip install py-spy``) during the storm
and leaves collapsed stacks in DIR.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from multiprocessing.connection import Connection
from pathlib import Path

from fanout import free_port, percentile, raise_fd_limit, redis_reachable, start, stop

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
APP = "bench.vote_storm:application"

PREPARE = """
import json
from django.conf import settings
from django.test import Client

# The bench world only: tier changes send mail, and one member asks every question.
settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Attendees sign in by session, never by password: hashing 2,000 passwords at the production
# work factor took 20 of the 21 minutes of building a 2,000-attendee room.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
settings.KANTA_EVENT_QUESTION_RATE = (100_000, 600)
from community.events.services.live import question_ask
from tests.community.event_factories import make_event
from tests.community.forum_factories import forum_member

def session(member):
    client = Client()
    client.force_login(member)
    return client.cookies[settings.SESSION_COOKIE_NAME].value

event = make_event("Vote storm", slug="vote-storm", minutes=24 * 60)
asker = forum_member("storm-asker", tier="vip")
questions = [
    question_ask(member=asker, event=event, body=f"Question {n}: which grip wax at minus {n} degrees?").pk
    for n in range(QUESTIONS)
]
attendees = []
for n in range(ATTENDEES):
    member = forum_member(f"attendee{n}", tier="vip")
    attendees.append([member.pk, session(member)])
listeners = [session(forum_member(f"listener{n}", tier="vip")) for n in range(LISTENERS)]
print(json.dumps({"slug": event.slug, "event": event.pk, "questions": questions, "attendees": attendees,
                  "listeners": listeners, "cookie": settings.SESSION_COOKIE_NAME}))
"""

CHECK = """
import json
from community.models import EventQuestion, EventQuestionVote
rows = EventQuestionVote.objects.filter(question__event_id=EVENT)
print(json.dumps({
    "stored": {
        str(pk): n for pk, n in EventQuestion.objects.filter(event_id=EVENT).values_list("pk", "vote_count")
    },
    "pairs": list(rows.values_list("question_id", "member_id")),
}))
"""

UPDATED = '{"type":"question.updated"'


# --- the server side: Kanta's application, its vote batches logged ----------------------------


def __getattr__(name: str):
    """``bench.vote_storm:application`` for daphne, built on first use only (the bench
    process itself never sets Django up)."""
    if name != "application":
        raise AttributeError(name)
    return server_application()


def server_application():
    from hub.asgi import application  # sets Django up

    directory = os.environ.get("KANTA_BENCH_VOTES")
    if directory:
        from community import presence as shared_presence
        from community.events import room as live_room

        log = open(Path(directory) / f"server-{os.getpid()}.log", "a", buffering=1)  # noqa: SIM115
        apply_votes, write, send_counts, vote = (
            live_room._apply_votes,
            live_room.RoomBoard._write,
            live_room.RoomBoard._send_counts,
            live_room.RoomBoard.vote,
        )

        def timed_apply(event_id, changes):
            started = time.monotonic()
            try:
                return apply_votes(event_id, changes)
            finally:
                log.write(f"apply {started!r} {time.monotonic()!r} {len(changes)}\n")

        async def timed_write(self, event_id, batch):
            started = time.monotonic()
            try:
                await write(self, event_id, batch)
            finally:
                log.write(f"batch {started!r} {time.monotonic()!r} {len(batch)}\n")

        async def loop_lag():
            # How late the event loop runs a callback due in 50 ms: its backlog.
            while True:
                started = time.monotonic()
                await asyncio.sleep(0.05)
                log.write(f"lag {started + 0.05!r} {time.monotonic()!r} 0\n")

        monitor: list[asyncio.Task] = []

        async def timed_vote(self, **kwargs):
            if not monitor:
                monitor.append(asyncio.get_running_loop().create_task(loop_lag()))
            started = time.monotonic()
            try:
                return await vote(self, **kwargs)
            finally:
                log.write(f"vote {started!r} {time.monotonic()!r} 0\n")

        async def timed_counts(self, event_id):
            started, questions = time.monotonic(), len(self.dirty.get(event_id, ()))
            try:
                await send_counts(self, event_id)
            finally:
                log.write(f"counts {started!r} {time.monotonic()!r} {questions}\n")

        def timed_beat(function, kind):
            def timed(*args, **kwargs):
                started = time.monotonic()
                try:
                    return function(*args, **kwargs)
                finally:
                    log.write(f"{kind} {started!r} {time.monotonic()!r} 0\n")

            return timed

        collecting: list[float] = []

        def timed_collection(phase, info):
            # The cyclic collector stops every thread of the process while it runs.
            if phase == "start":
                collecting[:] = [time.monotonic()]
            elif collecting:
                log.write(f"gc {collecting[0]!r} {time.monotonic()!r} {info['generation']}\n")

        gc.callbacks.append(timed_collection)
        live_room._apply_votes = timed_apply
        # The minute's presence refresh and attendance credit run in the same process.
        shared_presence.presence_heartbeat = timed_beat(shared_presence.presence_heartbeat, "beat")
        live_room.attendance_credit = timed_beat(live_room.attendance_credit, "beat")
        live_room.RoomBoard._write = timed_write
        live_room.RoomBoard._send_counts = timed_counts
        live_room.RoomBoard.vote = timed_vote
    return application


# --- client processes ------------------------------------------------------------------------


def client_process(conn: Connection, index: int) -> None:
    raise_fd_limit()
    asyncio.run(client_main(conn, index))


class Attendee:
    __slots__ = ("in_flight", "member_id", "voted", "ws")

    def __init__(self, ws, member_id: int, voted: set[int]):
        self.ws = ws
        self.member_id = member_id
        self.voted = voted  # what this attendee's own state says, changes in flight included
        self.in_flight: dict[int, int] = {}  # question → request


async def client_main(conn: Connection, index: int) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidHandshake

    loop = asyncio.get_running_loop()
    attendees: list[Attendee] = []
    listeners: list = []
    tasks: list[asyncio.Task] = []
    # request → (attendee, question, on, sent at)
    pending: dict[int, tuple[Attendee, int, bool, float]] = {}
    stats: dict = {}
    all_answered = asyncio.Event()
    initial: list[tuple[dict[str, int], float]] = []  # each listener's session.ready: votes, votes_at
    retried = [0]  # handshakes tried again

    def reset() -> None:
        stats.update(
            latencies=[],  # (sent at, ms)
            errors=Counter(),
            disagreed=0,
            unmatched=0,
            fanned_out=0,
            lost=0,
            # Per listener: (received at, {question: count}, read at), its session.ready's
            # counts first (with their votes_at).
            heard=[[(0.0, dict(votes), at)] for votes, at in initial],
        )

    def answered(frame: dict, now: float) -> None:
        entry = pending.pop(frame.get("request"), None)
        if entry is None:
            stats["unmatched"] += 1
            return
        attendee, question, on, sent_at = entry
        if not pending:
            all_answered.set()
        attendee.in_flight.pop(question, None)
        stats["latencies"].append((sent_at, (now - sent_at) * 1000))
        if frame["type"] == "error":
            stats["errors"][frame.get("code", "?")] += 1
            # Not applied: the attendee's state goes back to what it was.
            (attendee.voted.discard if on else attendee.voted.add)(question)
        elif frame.get("voted") is not on:
            stats["disagreed"] += 1

    async def read_attendee(attendee: Attendee) -> None:
        try:
            async for message in attendee.ws:
                now = time.monotonic()
                if message.startswith(UPDATED):
                    stats["fanned_out"] += 1
                    continue
                frame = json.loads(message)
                if frame["type"].endswith(".ok") or frame["type"] == "error":
                    answered(frame, now)
        except Exception:  # noqa: S110 (a closed socket is counted just below)
            pass
        stats["lost"] += 1  # closed by the server (or at the end)

    async def read_listener(number: int, ws) -> None:
        with contextlib.suppress(Exception):
            async for message in ws:
                if message.startswith(UPDATED):
                    frame = json.loads(message)
                    votes = frame.get("votes")
                    if votes:
                        stats["heard"][number].append((time.monotonic(), votes, frame.get("at", 0)))

    async def open_socket(url: str, origin: str, cookie: str):
        give_up = time.monotonic() + 300
        attempt = 0
        while True:
            try:
                ws = await connect(
                    url,
                    origin=origin,
                    additional_headers={"Cookie": cookie},
                    compression=None,
                    max_size=None,
                    open_timeout=60,
                )
                break
            except (OSError, TimeoutError, InvalidHandshake):
                # A server too busy to finish a handshake in time closes it (daphne: 5 s);
                # a browser would try again too. Counted and reported.
                retried[0] += 1
                if time.monotonic() > give_up:
                    raise ConnectionError(url) from None
                attempt += 1
                await asyncio.sleep(min(2.0, 0.05 * attempt))
        async for message in ws:
            frame = json.loads(message)
            if frame["type"] == "session.ready":
                return ws, frame
        raise ConnectionError(f"{url} closed before session.ready")

    async def open_attendee(url, origin, cookie, member_id, gate) -> None:
        async with gate:
            ws, ready = await open_socket(url, origin, cookie)
        attendee = Attendee(ws, member_id, set(ready["my_votes"]))
        attendees.append(attendee)
        tasks.append(asyncio.create_task(read_attendee(attendee)))

    async def storm(rate: float, seconds: float, questions: list[int], start_at: float) -> None:
        rng = random.Random(index)
        request = index * 1_000_000_000
        sent = held = 0
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        end = start_at + seconds
        while (now := time.monotonic()) < end:
            due = int((now - start_at) * rate) + 1
            while sent + held < due and time.monotonic() < end:
                for _try in range(8):
                    attendee = rng.choice(attendees)
                    choices = [q for q in questions if q not in attendee.in_flight]
                    if choices:
                        break
                else:
                    # Every question of every attendee tried is awaiting its answer: the
                    # frame is held back (not sent later), so the rate falls instead.
                    held += 1
                    continue
                question = rng.choice(choices)
                on = question not in attendee.voted
                (attendee.voted.add if on else attendee.voted.discard)(question)
                request += 1
                attendee.in_flight[question] = request
                frame = {"type": "question.vote" if on else "question.unvote", "question_id": question}
                frame["request"] = request
                pending[request] = (attendee, question, on, time.monotonic())
                sent += 1
                try:
                    await attendee.ws.send(json.dumps(frame, separators=(",", ":")))
                except Exception:
                    entry = pending.pop(request)
                    attendee.in_flight.pop(question, None)
                    (attendee.voted.discard if entry[2] else attendee.voted.add)(question)
                    stats["errors"]["send_failed"] += 1
            await asyncio.sleep(0.004)
        stats["sent"], stats["held"] = sent, held
        stats["send_seconds"] = time.monotonic() - start_at

    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "connect":
            people, watchers, at_once = args
            # Handshakes in flight per client: more only queue in the server past its timeout.
            gate = asyncio.Semaphore(at_once)
            await asyncio.gather(*(open_attendee(*person, gate) for person in people))
            for url, origin, cookie in watchers:
                ws, ready = await open_socket(url, origin, cookie)
                tasks.append(asyncio.create_task(read_listener(len(listeners), ws)))
                listeners.append(ws)
                initial.append((ready["votes"], ready.get("votes_at", 0)))
            reset()
            conn.send(("connected", len(attendees), len(listeners), retried[0]))
        elif command == "storm":
            reset()
            await storm(*args)
            conn.send(("stormed", stats["sent"], stats["held"], stats["send_seconds"]))
        elif command == "drain":
            if pending:
                all_answered.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(all_answered.wait(), timeout=args[0])
            conn.send(("drained", len(pending)))
        elif command == "collect":
            conn.send(
                (
                    "collected",
                    {
                        "latencies": stats["latencies"],
                        "errors": dict(stats["errors"]),
                        "disagreed": stats["disagreed"],
                        "unmatched": stats["unmatched"],
                        "unanswered": len(pending),
                        "fanned_out": stats["fanned_out"],
                        "lost": stats["lost"],
                        "heard": stats["heard"],
                        "states": {a.member_id: sorted(a.voted) for a in attendees},
                    },
                )
            )
        elif command == "close":
            for ws in [a.ws for a in attendees] + listeners:
                with contextlib.suppress(Exception):
                    await ws.close()
            for task in tasks:
                task.cancel()
            conn.send(("closed",))
            return


class Clients:
    """``--clients`` processes holding the attendee and listener sockets."""

    def __init__(self, count: int):
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes = []
        for index in range(count):
            parent, child = context.Pipe()
            process = context.Process(target=client_process, args=(child, index), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    def ask(self, *command) -> list:
        for pipe in self.pipes:
            pipe.send(command)
        return [pipe.recv() for pipe in self.pipes]

    def ask_each(self, commands: list[tuple]) -> list:
        for pipe, command in zip(self.pipes, commands, strict=True):
            pipe.send(command)
        return [pipe.recv() for pipe in self.pipes]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ask("close")
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()


# --- one setup ---------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_log(directory: Path, pid: int) -> dict[str, list[tuple[float, float, int]]]:
    records: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    path = directory / f"server-{pid}.log"
    if path.exists():
        for line in path.read_text().splitlines():
            kind, started, ended, size = line.split()
            records[kind].append((float(started), float(ended), int(size)))
    return records


def manage(env: dict[str, str], *command: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        sys.exit(f"manage.py {command[0]} failed:\n{result.stderr[-4000:]}")
    return result.stdout


def run_setup(name: str, *, args, env: dict[str, str], world: dict) -> dict:
    processes: list[subprocess.Popen] = []
    count = 2 if name == "redis" else 1
    server_env = {**env, "REDIS_URL": args.redis_url} if name == "redis" else dict(env)
    votes_dir = Path(env["KANTA_VAR_DIR"]) / f"votes-{name}"
    votes_dir.mkdir(exist_ok=True)
    server_env["KANTA_BENCH_VOTES"] = str(votes_dir)
    if name == "redis":
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()  # the bench's own Redis database
    try:
        ports = []
        for _ in range(count):
            port = free_port()
            processes.append(
                start([str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), APP], server_env, port)
            )
            ports.append(port)
        clients = Clients(args.clients)
        try:
            return storm_setup(name, clients, ports, processes, args=args, env=env, world=world)
        finally:
            clients.close()
    finally:
        stop(processes)
        for path in sorted(Path(env["KANTA_VAR_DIR"]).glob("server-*.log")):
            logged = Counter(
                line.split(" ", 3)[-1][:120]
                for line in path.read_text(errors="replace").splitlines()
                if " ERROR " in line or " WARNING " in line
            )
            for message, n in logged.most_common(5):
                print(f"  {name} {path.name}: {n} × {message}", file=sys.stderr)
            path.rename(path.with_name(f"{name}-{path.name}"))


def storm_setup(name, clients: Clients, ports, processes, *, args, env, world) -> dict:
    path = f"/ws/events/{world['slug']}/"
    cookie_name = world["cookie"]
    shares: list[list[tuple]] = [[] for _ in clients.pipes]
    watchers: list[list[tuple]] = [[] for _ in clients.pipes]
    per_port = Counter()
    for i, (member_id, session) in enumerate(world["attendees"][: args.attendees]):
        port = ports[i % len(ports)]
        per_port[port] += 1
        shares[(i // len(ports)) % len(shares)].append(
            (
                f"ws://127.0.0.1:{port}{path}",
                f"http://127.0.0.1:{port}",
                f"{cookie_name}={session}",
                member_id,
            )
        )
    for p, port in enumerate(ports):
        session = world["listeners"][p]
        watchers[p % len(watchers)].append(
            (f"ws://127.0.0.1:{port}{path}", f"http://127.0.0.1:{port}", f"{cookie_name}={session}")
        )
    began = time.monotonic()
    connected = clients.ask_each(
        [
            ("connect", share, watch, args.connect_at_once)
            for share, watch in zip(shares, watchers, strict=True)
        ]
    )
    attendees = sum(reply[1] for reply in connected)
    print(
        f"  {name}: {attendees} attendees and {len(ports)} listeners connected in "
        f"{time.monotonic() - began:.1f} s ({sum(reply[3] for reply in connected)} handshakes retried)",
        file=sys.stderr,
    )
    time.sleep(args.settle)  # the attendee-count broadcasts of the joins die down

    per_client = args.rate / len(clients.pipes)
    start_at = time.monotonic() + 0.5
    profilers = []
    if args.profile:  # py-spy (pip install py-spy) samples each server during the storm
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        for process in processes:
            output = Path(args.profile) / f"{name}-{process.pid}.txt"
            command = [str(BIN / "py-spy"), "record", "--nonblocking", "-r", "100", "-f", "raw"]
            command += ["-d", str(int(args.seconds)), "-p", str(process.pid), "-o", str(output)]
            profilers.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    cpu_before = [cpu_seconds(p.pid) for p in processes]
    stormed = clients.ask("storm", per_client, args.seconds, world["questions"][: args.questions], start_at)
    cpu_after = [cpu_seconds(p.pid) for p in processes]
    for profiler in profilers:
        profiler.wait(timeout=60)
    ended = start_at + max(reply[3] for reply in stormed)  # when the last client stopped sending
    load = os.getloadavg()[0]
    unanswered = sum(reply[1] for reply in clients.ask("drain", 30.0))
    drained = time.monotonic()
    time.sleep(args.settle)  # the last coalesced counts reach the listeners
    results = [reply[1] for reply in clients.ask("collect")]
    sent = sum(reply[1] for reply in stormed)
    held = sum(reply[2] for reply in stormed)

    check = json.loads(
        manage(env, "shell", "-c", CHECK.replace("EVENT", str(world["event"]))).strip().splitlines()[-1]
    )
    logs = [server_log(Path(env["KANTA_VAR_DIR"]) / f"votes-{name}", p.pid) for p in processes]
    return summarise(
        name,
        args=args,
        world=world,
        results=results,
        check=check,
        logs=logs,
        window=(start_at, ended),
        drained=drained - ended,
        sent=sent,
        held=held,
        unanswered=unanswered,
        attendees=attendees,
        cpu=[
            (after - before) / (ended - start_at) for before, after in zip(cpu_before, cpu_after, strict=True)
        ],
        load=load,
        per_port=list(per_port.values()),
    )


def summarise(name, *, args, world, results, check, logs, window, drained, sent, unanswered, **extra) -> dict:
    start_at, ended = window
    seconds = ended - start_at
    questions = [str(q) for q in world["questions"][: args.questions]]
    latencies = [ms for r in results for _t, ms in r["latencies"]]
    errors = Counter()
    for r in results:
        errors.update(r["errors"])
    # Latency over time: p95 of the frames sent in each tenth of the run.
    slices = []
    step = seconds / 10
    for n in range(10):
        chunk = [
            ms
            for r in results
            for t, ms in r["latencies"]
            if start_at + n * step <= t < start_at + (n + 1) * step
        ]
        slices.append(percentile(chunk, 95) if chunk else float("nan"))

    # What the clients hold, what is stored, what the listeners saw last.
    implied = Counter()
    client_pairs = set()
    for r in results:
        for member_id, voted in r["states"].items():
            for q in voted:
                implied[str(q)] += 1
                client_pairs.add((int(q), int(member_id)))
    rows = Counter(str(q) for q, _m in check["pairs"])
    stored_pairs = {(q, m) for q, m in check["pairs"]}
    heard_last: list[dict[str, int]] = []
    per_second, per_question_second = [], []
    listener_records = [records for r in results for records in r["heard"]]
    for records in listener_records:
        # As docs/realtime.md tells a client: with several processes sending counts, keep per
        # question the one read last (``at``), whatever order the frames arrived in.
        newest: dict[str, tuple[float, int]] = {}
        seconds_buckets = Counter()
        question_buckets = Counter()
        for t, votes, at in records:
            for q, count in votes.items():
                if q not in newest or at >= newest[q][0]:
                    newest[q] = (at, count)
            if start_at <= t < ended:
                bucket = int(t - start_at)
                seconds_buckets[bucket] += 1
                for q in votes:
                    question_buckets[(bucket, q)] += 1
        heard_last.append({q: count for q, (_at, count) in newest.items()})
        per_second.append((sum(seconds_buckets.values()) / seconds, max(seconds_buckets.values(), default=0)))
        per_question_second.append(
            (
                sum(question_buckets.values()) / seconds / max(1, len(questions)),
                max(question_buckets.values(), default=0),
            )
        )
    mismatched = [q for q in questions if not check["stored"].get(q, -1) == rows[q] == implied[q]]
    exact = not mismatched and stored_pairs == client_pairs and unanswered == 0
    stale = [q for q in questions if any(last.get(q) != rows[q] for last in heard_last)]

    batches = [b for log in logs for b in log.get("batch", [])]
    applies = [a for log in logs for a in log.get("apply", [])]
    counts = [c for log in logs for c in log.get("counts", [])]
    beats = [(b[1] - b[0]) * 1000 for log in logs for b in log.get("beat", []) if start_at <= b[0] < ended]
    in_window = [b for b in applies if start_at <= b[0] < ended]
    sizes = [b[2] for b in in_window]
    apply_ms = [(b[1] - b[0]) * 1000 for b in in_window]
    busy = sum(b[1] - b[0] for b in in_window) / seconds / max(1, len(logs))
    # From the room board taking the vote to its result: the server's share of the latency.
    board_ms = [(v[1] - v[0]) * 1000 for log in logs for v in log.get("vote", []) if start_at <= v[0] < ended]
    collections = [
        (v[2], (v[1] - v[0]) * 1000) for log in logs for v in log.get("gc", []) if start_at <= v[0] < ended
    ]
    lag_ms = [(v[1] - v[0]) * 1000 for log in logs for v in log.get("lag", []) if start_at <= v[0] < ended]
    write_ms = [
        (v[1] - v[0]) * 1000 for log in logs for v in log.get("batch", []) if start_at <= v[0] < ended
    ]
    return {
        "setup": name,
        "processes": len(logs),
        "attendees": extra["attendees"],
        "per_port": extra["per_port"],
        "target": args.rate,
        "seconds": seconds,
        "sent": sent,
        "held": extra["held"],
        "rate": sent / seconds,
        "acks": len(latencies) - sum(errors.values()),
        "errors": dict(errors),
        "unanswered": unanswered,
        "drained": drained,
        "disagreed": sum(r["disagreed"] for r in results),
        "unmatched": sum(r["unmatched"] for r in results),
        "lost": sum(r["lost"] for r in results),
        "fanned_out": sum(r["fanned_out"] for r in results),
        "p50": percentile(latencies, 50) if latencies else float("nan"),
        "p95": percentile(latencies, 95) if latencies else float("nan"),
        "p99": percentile(latencies, 99) if latencies else float("nan"),
        "max": max(latencies, default=float("nan")),
        "slices": slices,
        "batches": len(in_window),
        "batch_mean": statistics.mean(sizes) if sizes else 0,
        "batch_max": max(sizes, default=0),
        "apply_p50": percentile(apply_ms, 50) if apply_ms else float("nan"),
        "apply_p95": percentile(apply_ms, 95) if apply_ms else float("nan"),
        "apply_busy": busy,
        "board_p50": percentile(board_ms, 50) if board_ms else float("nan"),
        "board_p95": percentile(board_ms, 95) if board_ms else float("nan"),
        "lag": (percentile(lag_ms, 50), percentile(lag_ms, 95), max(lag_ms)) if lag_ms else None,
        "gc": collections,
        "write": (percentile(write_ms, 50), percentile(write_ms, 95)) if write_ms else None,
        "all_batches": len(batches),
        "count_sends": len([c for c in counts if start_at <= c[0] < ended]),
        "beats": beats,
        "broadcasts": per_second,
        "question_broadcasts": per_question_second,
        "exact": exact,
        "stale": stale,
        "mismatched": mismatched,
        "pairs_missing": len(client_pairs - stored_pairs),
        "pairs_extra": len(stored_pairs - client_pairs),
        "total_votes": len(stored_pairs),
        "cpu": extra["cpu"],
        "load": extra["load"],
    }


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--attendees", type=int, default=500)
    parser.add_argument("--rate", type=float, default=900.0, help="votes per second, all clients together")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument(
        "--connect-at-once", type=int, default=4, help="handshakes in flight per client process"
    )
    parser.add_argument("--setups", default="memory,redis", help="comma-separated: memory, redis")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds after connecting and at the end")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the servers, collapsed stacks into DIR")
    parser.add_argument("--quick", action="store_true", help="50 attendees, 100 votes/s, 10 s, 5 questions")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()
    if args.quick:
        args.attendees, args.rate, args.seconds, args.questions = 50, 100.0, 10.0, 5
    raise_fd_limit()

    setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    unknown = set(setups) - {"memory", "redis"}
    if unknown:
        sys.exit(f"unknown setups: {', '.join(sorted(unknown))}")
    if "redis" in setups and not redis_reachable(args.redis_url):
        print(f"Redis at {args.redis_url} is unreachable: the redis setup is skipped", file=sys.stderr)
        setups.remove("redis")

    var_dir = tempfile.mkdtemp(prefix="kanta-bench-votes-")
    if not os.environ.get("BENCH_KEEP"):
        import atexit

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
            # daphne imports this module as bench.vote_storm, which imports bench/fanout.py.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "bench"), os.environ.get("PYTHONPATH")])),
        }
    )
    database = "SQLite"
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("sqlite"):
        # A SQLite file by URL: hub/settings keeps its connections 60 s (conn_max_age), unlike
        # the default SQLite database, whose connections close after every call.
        path = Path(url.split(":///", 1)[1])
        if "bench" not in path.name:
            sys.exit(f"refusing to wipe {path}: a bench database's name must contain 'bench'")
        for stale in path.parent.glob(f"{path.name}*"):
            stale.unlink()
        database = "SQLite (by DATABASE_URL: connections kept for 60 s)"
    elif url:
        from database import reset_postgres

        reset_postgres(url)
        database = "PostgreSQL"
    print(f"building the room in {var_dir} …", file=sys.stderr)
    began = time.monotonic()
    manage(env, "migrate", "--no-input", "-v", "0")
    script = (
        PREPARE.replace("QUESTIONS", str(args.questions))
        .replace("ATTENDEES", str(args.attendees))
        .replace("LISTENERS", "2")
    )
    world = json.loads(manage(env, "shell", "-c", script).strip().splitlines()[-1])
    print(f"  built in {time.monotonic() - began:.0f} s", file=sys.stderr)

    rows = []
    for name in setups:
        print(f"{name} …", file=sys.stderr)
        row = run_setup(name, args=args, env=env, world=world)
        rows.append(row)
        print(
            f"  {name}: sent {row['rate']:.0f}/s, ack p50 {row['p50']:.0f} ms, p99 {row['p99']:.0f} ms, "
            f"errors {row['errors'] or 0}, exact {'yes' if row['exact'] else 'no'}",
            file=sys.stderr,
        )
    report(rows, args=args, database=database)


def report(rows: list[dict], *, args, database: str) -> None:
    from database import machine

    print(
        f"\nVote storm: {args.attendees} attendees, {args.questions} questions, target {args.rate:.0f} "
        f"votes/s for {args.seconds:.0f} s, {args.clients} client processes, {database}\n{machine()}\n"
    )
    for row in rows:
        split = " + ".join(map(str, row["per_port"]))
        title = (
            "1 daphne process, in-memory layer"
            if row["setup"] == "memory"
            else f"{row['processes']} daphne processes, Redis ({split} attendees)"
        )
        errors = ", ".join(f"{code} {n}" for code, n in sorted(row["errors"].items())) or "none"
        bmean = statistics.mean(b[0] for b in row["broadcasts"]) if row["broadcasts"] else 0
        bmax = max((b[1] for b in row["broadcasts"]), default=0)
        qmean = statistics.mean(b[0] for b in row["question_broadcasts"]) if row["question_broadcasts"] else 0
        qmax = max((b[1] for b in row["question_broadcasts"]), default=0)
        print(f"{row['setup']}: {title}, load average {row['load']:.2f} at the end of the storm\n")
        print("| figure | value |")
        print("| --- | ---: |")
        lines = [
            (
                "votes sent (target)",
                f"{row['sent']:,} in {row['seconds']:.1f} s = {row['rate']:.0f}/s ({row['target']:.0f}/s)",
            ),
            ("held back (every question of the attendee awaiting an answer)", f"{row['held']:,}"),
            ("acknowledged `.ok`", f"{row['acks']:,}"),
            ("errors by code", errors),
            ("unanswered after the drain", f"{row['unanswered']} ({row['drained']:.1f} s drain)"),
            (
                "ack latency p50 / p95 / p99 / max",
                f"{row['p50']:.0f} / {row['p95']:.0f} / {row['p99']:.0f} / {row['max']:.0f} ms",
            ),
            (
                "of which in the server's room board (vote taken to result) p50 / p95",
                f"{row['board_p50']:.0f} / {row['board_p95']:.0f} ms",
            ),
            (
                "event loop lag (a 50 ms timer's lateness) p50 / p95 / max",
                " / ".join(f"{v:.0f}" for v in row["lag"]) + " ms" if row["lag"] else "not measured",
            ),
            (
                "a batch from its start to its votes' results (transaction and thread hop) p50 / p95",
                " / ".join(f"{v:.0f}" for v in row["write"]) + " ms" if row["write"] else "not measured",
            ),
            (
                "garbage collections during the storm (all processes): count, total, longest",
                f"{len(row['gc'])}, {sum(ms for _g, ms in row['gc']):.0f} ms, "
                f"{max((ms for _g, ms in row['gc']), default=0):.0f} ms "
                f"({sum(1 for g, _ms in row['gc'] if g == 2)} of the oldest generation)",
            ),
            ("ack p95 by tenth of the run", " · ".join(f"{v:.0f}" for v in row["slices"]) + " ms"),
            (
                "vote batches written (all processes)",
                f"{row['batches']:,}, mean {row['batch_mean']:.1f} votes, max {row['batch_max']}",
            ),
            (
                "batch transaction p50 / p95",
                f"{row['apply_p50']:.1f} / {row['apply_p95']:.1f} ms "
                f"(busy {row['apply_busy'] * 100:.0f} % of the time per process)",
            ),
            ("`question.updated` per second at a listener, mean / max", f"{bmean:.2f} / {bmax}"),
            ("per question per second, mean / max", f"{qmean:.2f} / {qmax}"),
            ("count frames fanned out to attendees", f"{row['fanned_out']:,}"),
            (
                "minute's presence + attendance work during the storm",
                " + ".join(f"{ms:.0f} ms" for ms in row["beats"]) or "none",
            ),
            ("server CPU during the storm", " + ".join(f"{c * 100:.0f} %" for c in row["cpu"])),
            ("final votes stored", f"{row['total_votes']:,}"),
            (
                "exact (stored count = rows = clients, and the same pairs)",
                "yes"
                if row["exact"]
                else f"no: questions {row['mismatched']}, pairs missing {row['pairs_missing']}, "
                f"extra {row['pairs_extra']}",
            ),
            (
                "listeners' last counts = stored",
                "yes"
                if not row["stale"]
                else f"no: {len(row['stale'])} "
                "questions (a count frame that was read before another process's last batch arrived last)",
            ),
        ]
        if row["disagreed"] or row["unmatched"] or row["lost"]:
            lines.append(
                (
                    "answers that disagreed / unmatched / sockets lost",
                    f"{row['disagreed']} / {row['unmatched']} / {row['lost']}",
                )
            )
        for label, value in lines:
            print(f"| {label} | {value} |")
        print()


if __name__ == "__main__":
    main()
