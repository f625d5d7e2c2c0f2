"""API load benchmark: commands and dashboard queries over HTTP against a bare-INSERT baseline.

Run: ``.venv/bin/python benchmarks/api_load.py [--clients 50 --seconds 10 --rounds 3
--workers 1]``.

In one run, on a fresh PostgreSQL database and loopback only, two servers side by side, each
with ``--workers`` processes:
  1. a bare FastAPI app under uvicorn (one endpoint: one INSERT through a psycopg pool) —
     the baseline;
  2. appraisal-ledger as ``appraisals serve --workers N`` (the production line: PostgreSQL,
     the hardened h11 protocol, its projections runner).
After a warm-up of each, every round loads, one phase at a time and in alternating order,
the baseline, commands (``RecordProgress`` on many objectives, each by its appraisee) and
dashboard queries (school and trust cycle summaries), each for a fixed number of seconds by
N concurrent keep-alive clients. The clients are one asyncio process (uvloop when installed)
whose own CPU per request is printed too, so a client that saturates a core shows.
It prints, per phase, the median req/s of the rounds, p50/p99 latency over all rounds, the
server's CPU per request (every process of the server, from /proc), errors by status, and
the per-round command/baseline ratios of throughput and CPU per request, with the machine's
load average before, per round and after. Goals: commands >= 0.5x the baseline's throughput
and <= 2x its CPU per request. Servers are stopped and the database dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
EXTRA_ENV = dict(e.split("=", 1) for e in os.environ.get("BENCH_SERVER_ENV", "").split() if e)
sys.path.insert(0, str(ROOT))

from api.auth import mint_token  # noqa: E402
from appraisals.wiring import build  # noqa: E402
from benchmarks.write_path import fresh_pg_database  # noqa: E402
from commands import messages as m  # noqa: E402
from commands.principal import Principal  # noqa: E402
from config.settings import Settings  # noqa: E402
from events.base import Role  # noqa: E402
from testkit.scenario import build_org  # noqa: E402

BENCH_SECRET = "benchmark-only-signing-key-" + "k" * 20
BENCH_MASTER_KEY = "benchmark-only-privacy-master-key-" + "m" * 20

BASELINE_APP = textwrap.dedent(
    """
    import os, uuid
    from fastapi import FastAPI
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(os.environ["BENCH_PG_URL"], min_size=10, max_size=20, open=True)
    with pool.connection() as c:
        c.execute("CREATE TABLE IF NOT EXISTS bench_http (id uuid PRIMARY KEY, "
                  "topic text, state bytea, created timestamptz DEFAULT now())")
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/insert")
    def insert() -> dict[str, str]:
        row = uuid.uuid4()
        with pool.connection() as c:
            c.execute("INSERT INTO bench_http (id, topic, state) VALUES (%s, %s, %s)",
                      (row, "appraisals/ProgressRecorded", b'{"percent": 40}'))
        return {"id": str(row)}
    """
)

Request = tuple[str, str, dict[str, str], object]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    argv: list[str], env: dict[str, str], port: int, cwd: str
) -> subprocess.Popen[bytes]:
    """Start a server and wait (generously: the machine may be loaded) until it answers."""
    proc = subprocess.Popen(
        argv,
        env={**os.environ, **env, "PYTHONPATH": f"{ROOT}:{cwd}"},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=open(Path(cwd, f"server-{port}.log"), "wb"),  # noqa: SIM115 - the child owns it
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    log = Path(cwd, f"server-{port}.log").read_text(errors="replace")[-3000:]
    raise RuntimeError(f"server {argv} did not start:\n{log}")


def uvicorn_argv(app: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def serve_argv(port: int, workers: int) -> list[str]:
    """The production line: ``appraisals serve`` (hardened protocol, projections runner)."""
    return [
        sys.executable,
        "-m",
        "appraisals",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


class Connection:
    """A minimal keep-alive HTTP/1.1 client over asyncio streams: the load generator must
    cost far less CPU than the servers it measures (httpx would be the bottleneck here)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: object) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        payload = orjson.dumps(body) if body is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", "Connection: keep-alive"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        if body is not None:
            head.append("Content-Type: application/json")
        head.append(f"Content-Length: {len(payload)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        close = False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


@dataclass
class Phase:
    rate: float  # completed requests per second of wall time
    latencies: list[float]  # ms
    statuses: collections.Counter[int]
    server_cpu_ms: float  # every server process's CPU per request
    client_cpu_ms: float  # this (client) process's CPU per request
    requests: int = field(default=0)


async def load(
    host: str, port: int, clients: int, seconds: float, make: Callable[[int], Request]
) -> tuple[int, float, list[float], collections.Counter[int]]:
    """``clients`` concurrent keep-alive clients, each sending one request after another
    until ``seconds`` have passed; (requests, wall seconds, latencies ms, statuses)."""
    latencies: list[float] = []
    statuses: collections.Counter[int] = collections.Counter()
    counter = iter(range(1 << 62))
    started = time.perf_counter()
    deadline = started + seconds

    async def worker() -> None:
        conn = Connection(host, port)
        try:
            while time.perf_counter() < deadline:
                method, path, headers, body = make(next(counter))
                t = time.perf_counter()
                try:
                    status = await conn.request(method, path, headers, body)
                except (ConnectionError, asyncio.IncompleteReadError, IndexError, ValueError):
                    conn.close()
                    status = 0  # the connection broke: counted, and a new one opened
                latencies.append((time.perf_counter() - t) * 1000)
                statuses[status] += 1
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(clients)))
    return len(latencies), time.perf_counter() - started, latencies, statuses


def run_async(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run on uvloop when it is installed (it is, with uvicorn[standard]): a cheaper client."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.run(coro)
    return uvloop.run(coro)


def process_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (uvicorn's worker processes), from /proc."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children[ppid].append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes (all their threads) so far, from /proc."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def phase(
    proc: subprocess.Popen[bytes],
    port: int,
    clients: int,
    seconds: float,
    make: Callable[[int], Request],
) -> Phase:
    pids = process_tree(proc.pid)
    server_before, client_before = cpu_seconds(pids), own_cpu_seconds()
    n, wall, latencies, statuses = run_async(load("127.0.0.1", port, clients, seconds, make))
    server = cpu_seconds(pids) - server_before
    client = own_cpu_seconds() - client_before
    n = max(n, 1)
    return Phase(n / wall, latencies, statuses, server / n * 1000, client / n * 1000, n)


def profile(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """Sample the server's stacks (every process of it) with py-spy for ``seconds``."""
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--nonblocking",
            "--gil",  # only the thread holding the GIL: where Python spends CPU
            "--rate",
            "200",
            "--duration",
            str(max(1, int(seconds))),
            "--format",
            "raw",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summarise(collapsed: Path, top: int = 30) -> None:
    """The sampled frames that take the most time: inclusive (anywhere on the stack) and own
    (innermost), as shares of the samples, idle threads left out (py-spy's default)."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [
            f.split(" (", 1)[0] + " " + f.rsplit("/", 1)[-1].rstrip(")")
            for f in stack.split(";")
            if not f.startswith(("process ", "thread "))
        ]
        if not frames:
            continue
        n = int(count)
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            inclusive[f] += n
    print(f"  py-spy: {total} busy samples")
    for title, counter in (("inclusive", inclusive), ("own", own)):
        print(f"  top {top} by {title} time:")
        for frame, n in counter.most_common(top):
            print(f"    {n / max(total, 1) * 100:5.1f}%  {frame}")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def seed(
    url: str, staff: int
) -> tuple[Settings, list[tuple[uuid.UUID, Principal]], dict[str, str]]:
    # One signing key for the seeding process and the server (not the cwd's development keys).
    settings = Settings(
        database_url=url, jwt_secret=BENCH_SECRET, privacy_master_key=BENCH_MASTER_KEY
    )
    c = build(settings, run_projections=False)
    org = build_org(c.commands)
    targets = []
    for i in range(staff):
        school = org.school_id if i % 2 == 0 else org.other_school_id
        person = c.commands.execute(
            m.RegisterStaff(
                trust_id=org.trust_id,
                name=f"Teacher {i}",
                email=f"t{i}@oak.example",
                job_title="Teacher",
                school_id=school,
                start_date=date(2022, 9, 1),
            ),
            org.admin,
        ).aggregate_id
        review = c.commands.execute(
            m.StartReview(
                cycle_id=org.cycle_id, appraisee_id=person, appraiser_id=org.appraiser_id
            ),
            org.trust_leader,
        ).aggregate_id
        objective = c.commands.execute(
            m.DraftObjective(
                review_id=review,
                title="Raise reading attainment",
                success_criteria=["85% at the expected standard"],
                due_date=date(2026, 7, 1),
            ),
            org.appraiser,
        ).aggregate_id
        appraisee = Principal(person, Role.STAFF, trust_id=org.trust_id)
        c.commands.execute(m.AgreeObjective(objective_id=objective), org.appraiser)
        c.commands.execute(m.AgreeObjective(objective_id=objective), appraisee)
        targets.append((objective, appraisee))
    c.projections.catch_up()
    c.close()
    paths = {
        "school": f"/v1/schools/{org.school_id}/cycles/{org.cycle_id}/summary",
        "trust": f"/v1/trusts/{org.trust_id}/cycles/{org.cycle_id}/summary",
        "leader": token(settings, org.trust_leader),
    }
    return settings, targets, paths


def token(settings: Settings, p: Principal) -> str:
    return "Bearer " + mint_token(
        p, secret=settings.jwt_secret.get_secret_value(), issuer=settings.jwt_issuer
    )


def _json_line(line: str) -> dict[str, Any]:
    try:
        parsed = orjson.loads(line)
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def errors(statuses: collections.Counter[int]) -> str:
    bad = {s: n for s, n in sorted(statuses.items()) if s == 0 or s >= 400}
    return ", ".join(f"{n} x {s or 'broken'}" for s, n in bad.items()) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase and round")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds per server")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="processes per server")
    parser.add_argument("--staff", type=int, default=400)
    parser.add_argument("--nice", type=int, default=0, help="lower the client's priority")
    parser.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1/postgres")
    parser.add_argument(
        "--profile",
        type=Path,
        help="record the server with py-spy during an extra commands phase into this file",
    )
    args = parser.parse_args()
    print(f"load average before (1/5/15 min): {load_average()}; {os.cpu_count()} cores")
    url, drop = fresh_pg_database(args.pg_admin_url)
    procs: list[subprocess.Popen[bytes]] = []
    results: dict[str, list[Phase]] = {"baseline": [], "commands": [], "queries": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings, targets, paths = seed(url, args.staff)
            tokens = {o: token(settings, p) for o, p in targets}
            Path(tmp, "bare_app.py").write_text(BASELINE_APP)
            bare_port, port = free_port(), free_port()
            bare = start_server(
                uvicorn_argv("bare_app:app", bare_port, args.workers),
                {"BENCH_PG_URL": url},
                bare_port,
                tmp,
            )
            procs.append(bare)
            env = {
                "APPRAISALS_DATABASE_URL": url,
                "APPRAISALS_LOG_LEVEL": "WARNING",
                "APPRAISALS_JWT_SECRET": BENCH_SECRET,
                "APPRAISALS_PRIVACY_MASTER_KEY": BENCH_MASTER_KEY,
                **EXTRA_ENV,
            }
            ours = start_server(serve_argv(port, args.workers), env, port, tmp)
            procs.append(ours)
            if args.nice:
                os.nice(args.nice)  # the servers keep their priority (started before)
            rng = random.Random(7)

            def insert(_i: int) -> Request:
                return ("POST", "/insert", {}, None)

            def command(i: int) -> Request:
                objective, _ = targets[rng.randrange(len(targets))]
                return (
                    "POST",
                    f"/v1/objectives/{objective}/progress",
                    {"Authorization": tokens[objective]},
                    {"percent": i % 101, "note": "Half-termly data"},
                )

            def query(i: int) -> Request:
                path = paths["school"] if i % 2 else paths["trust"]
                return ("GET", path, {"Authorization": paths["leader"]}, None)

            # Warm both servers (connections, prepared statements, caches) outside the timing.
            phase(bare, bare_port, args.clients, args.warmup, insert)
            phase(ours, port, args.clients, args.warmup, command)
            phase(ours, port, args.clients, args.warmup / 2, query)
            for r in range(args.rounds):
                order = [
                    ("baseline", bare, bare_port, insert),
                    ("commands", ours, port, command),
                    ("queries", ours, port, query),
                ]
                if r % 2:
                    order.reverse()
                for name, proc, where, make in order:
                    results[name].append(phase(proc, where, args.clients, args.seconds, make))
                b, c = results["baseline"][-1], results["commands"][-1]
                print(
                    f"round {r + 1}: baseline {b.rate:,.0f} req/s, {b.server_cpu_ms:.2f} ms "
                    f"server CPU/req; commands {c.rate:,.0f} req/s, {c.server_cpu_ms:.2f} ms "
                    f"server CPU/req; ratio {c.rate / b.rate:.2f}x (load {load_average()})",
                    flush=True,
                )
            if args.profile:
                spy = profile(ours.pid, args.seconds, args.profile)
                time.sleep(1)  # py-spy attaches
                phase(ours, port, args.clients, args.seconds, command)
                spy.wait(timeout=120)
            server_log = Path(tmp, f"server-{port}.log").read_text(errors="replace")
            warnings = collections.Counter(
                " ".join(str(line.get(k, "")) for k in ("logger", "event"))[:200]
                for line in map(_json_line, server_log.splitlines())
                if line.get("level") in ("warning", "error", "critical")
            )
            for text, n in warnings.most_common(5):
                print(f"  server logged {n} x: {text}")
    finally:
        for server in procs:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        drop()

    print(
        f"{args.clients} concurrent clients, {args.seconds:g} s per phase, {args.rounds} "
        f"interleaved rounds (medians), loopback, PostgreSQL, {args.workers} server "
        f"process(es) each"
    )
    for name, label in (
        ("baseline", "baseline: bare FastAPI + 1 INSERT"),
        ("commands", "commands: POST .../progress"),
        ("queries", "queries: school/trust summaries"),
    ):
        ph = results[name]
        lat = [x for p in ph for x in p.latencies]
        statuses: collections.Counter[int] = collections.Counter()
        for one in ph:
            statuses.update(one.statuses)
        print(
            f"  {label:36} {statistics.median(p.rate for p in ph):8,.0f} req/s  "
            f"p50 {pct(lat, 0.5):6.1f} ms  p99 {pct(lat, 0.99):6.1f} ms  "
            f"server CPU {statistics.median(p.server_cpu_ms for p in ph):5.2f} ms/req  "
            f"client CPU {statistics.median(p.client_cpu_ms for p in ph):5.2f} ms/req  "
            f"errors: {errors(statuses)}"
        )
    pairs = list(zip(results["commands"], results["baseline"], strict=True))
    speed = [c.rate / b.rate for c, b in pairs]
    cpu = [c.server_cpu_ms / b.server_cpu_ms for c, b in pairs]
    print(
        f"  commands vs baseline: throughput {statistics.median(speed):.2f}x "
        f"(rounds {', '.join(f'{x:.2f}' for x in speed)}; goal >= 0.5x); "
        f"server CPU per request {statistics.median(cpu):.1f}x "
        f"(rounds {', '.join(f'{x:.1f}' for x in cpu)}; goal <= 2x)"
    )
    print(f"load average after (1/5/15 min): {load_average()}")
    if args.profile and args.profile.exists():
        summarise(args.profile)


if __name__ == "__main__":
    main()
