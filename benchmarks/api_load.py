"""API load benchmark: commands and dashboard queries over HTTP against a bare-INSERT baseline.

Run: ``.venv/bin/python benchmarks/api_load.py [--clients 50 --requests 3000 --rounds 3]``.

In one run, on a fresh PostgreSQL database and loopback only, two servers side by side:
  1. a bare FastAPI app (one endpoint: one INSERT through a psycopg pool) under uvicorn —
     the baseline;
  2. appraisal-ledger under uvicorn (one process, PostgreSQL, in-process projections).
Each round loads, one phase at a time and in alternating order, the baseline, commands
(``RecordProgress`` on many objectives) and dashboard queries (school and trust cycle
summaries), each by N concurrent clients. It prints the median throughput, p50/p99 latency
and the server process's CPU per request (from /proc) of each, and the command/baseline
ratios of throughput and CPU per request, with the machine's load average.
Goals: commands >= 0.5x the baseline's throughput; p99 < 50 ms for commands and < 20 ms for
summary queries. Every loop is bounded by a request count; servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

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

    @app.post("/insert")
    def insert() -> dict[str, str]:
        row = uuid.uuid4()
        with pool.connection() as c:
            c.execute("INSERT INTO bench_http (id, topic, state) VALUES (%s, %s, %s)",
                      (row, "appraisals/ProgressRecorded", b'{"percent": 40}'))
        return {"id": str(row)}
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(app: str, env: dict[str, str], port: int, cwd: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env={**os.environ, **env, "PYTHONPATH": f"{ROOT}:{cwd}"},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120  # a loaded machine starts slowly
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server {app} did not start")


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
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def load(
    base: str,
    clients: int,
    total: int,
    make: Callable[[int], tuple[str, str, dict[str, str], object]],
) -> tuple[float, list[float], int]:
    """``total`` requests from ``clients`` concurrent clients; (req/s, latencies ms, errors)."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def worker() -> None:
        nonlocal errors
        conn = Connection(host, int(port))
        try:
            for i in counter:
                method, path, headers, body = make(i)
                started = time.perf_counter()
                status = await conn.request(method, path, headers, body)
                latencies.append((time.perf_counter() - started) * 1000)
                if status >= 400:
                    errors += 1
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return total / (time.perf_counter() - started), latencies, errors


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def seed(
    url: str, staff: int
) -> tuple[Settings, list[tuple[uuid.UUID, Principal]], dict[str, str]]:
    # One signing key for the seeding process and the server (not the cwd's development keys).
    settings = Settings(database_url=url, jwt_secret=BENCH_SECRET)
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    rate: float
    latencies: list[float]
    errors: int
    cpu_ms: float  # the server process's CPU per request


def phase(
    proc: subprocess.Popen[bytes],
    base: str,
    clients: int,
    total: int,
    make: Callable[[int], tuple[str, str, dict[str, str], object]],
) -> Phase:
    before = cpu_seconds(proc.pid)
    rate, latencies, errors = asyncio.run(load(base, clients, total, make))
    return Phase(rate, latencies, errors, (cpu_seconds(proc.pid) - before) / total * 1000)


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000, help="per phase and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--staff", type=int, default=400)
    parser.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1/postgres")
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
            bare = start_server("bare_app:app", {"BENCH_PG_URL": url}, bare_port, tmp)
            procs.append(bare)
            env = {
                "APPRAISALS_DATABASE_URL": url,
                "APPRAISALS_LOG_LEVEL": "WARNING",
                "APPRAISALS_JWT_SECRET": BENCH_SECRET,
                **EXTRA_ENV,
            }
            ours = start_server("appraisals.asgi:app", env, port, tmp)
            procs.append(ours)
            rng = random.Random(7)

            def insert(_i: int) -> tuple[str, str, dict[str, str], object]:
                return ("POST", "/insert", {}, None)

            def command(i: int) -> tuple[str, str, dict[str, str], object]:
                objective, _ = targets[rng.randrange(len(targets))]
                return (
                    "POST",
                    f"/v1/objectives/{objective}/progress",
                    {"Authorization": tokens[objective]},
                    {"percent": i % 101, "note": "Half-termly data"},
                )

            def query(i: int) -> tuple[str, str, dict[str, str], object]:
                path = paths["school"] if i % 2 else paths["trust"]
                return ("GET", path, {"Authorization": paths["leader"]}, None)

            bare_base = f"http://127.0.0.1:{bare_port}"
            base = f"http://127.0.0.1:{port}"
            # Warm both servers (connections, prepared statements, caches) outside the timing.
            phase(bare, bare_base, args.clients, args.clients * 4, insert)
            phase(ours, base, args.clients, args.clients * 4, command)
            for r in range(args.rounds):
                order = [
                    ("baseline", bare, bare_base, insert),
                    ("commands", ours, base, command),
                    ("queries", ours, base, query),
                ]
                if r % 2:
                    order.reverse()
                for name, proc, where, make in order:
                    results[name].append(phase(proc, where, args.clients, args.requests, make))
                b, c = results["baseline"][-1], results["commands"][-1]
                print(
                    f"round {r + 1}: baseline {b.rate:,.0f} req/s, {b.cpu_ms:.2f} ms CPU/req; "
                    f"commands {c.rate:,.0f} req/s, {c.cpu_ms:.2f} ms CPU/req "
                    f"(load {load_average()})",
                    flush=True,
                )
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        drop()

    print(
        f"{args.clients} concurrent clients, {args.requests} requests per phase, "
        f"{args.rounds} interleaved rounds (medians), loopback, PostgreSQL, one uvicorn "
        f"process each"
    )
    for name, label in (
        ("baseline", "baseline: bare FastAPI + 1 INSERT"),
        ("commands", "commands: POST .../progress"),
        ("queries", "queries: school/trust summaries"),
    ):
        ph = results[name]
        lat = [x for p in ph for x in p.latencies]
        print(
            f"  {label:36} {statistics.median(p.rate for p in ph):8,.0f} req/s  "
            f"p50 {pct(lat, 0.5):6.1f} ms  p99 {pct(lat, 0.99):6.1f} ms  "
            f"server CPU {statistics.median(p.cpu_ms for p in ph):5.2f} ms/req  "
            f"errors {sum(p.errors for p in ph)}"
        )
    pairs = list(zip(results["commands"], results["baseline"], strict=True))
    speed = [c.rate / b.rate for c, b in pairs]
    cpu = [c.cpu_ms / b.cpu_ms for c, b in pairs]
    print(
        f"  commands vs baseline: throughput {statistics.median(speed):.2f}x "
        f"(rounds {', '.join(f'{x:.2f}' for x in speed)}; goal >= 0.5x); "
        f"server CPU per request {statistics.median(cpu):.1f}x (goal <= 2x)"
    )
    print(f"load average after (1/5/15 min): {load_average()}")


if __name__ == "__main__":
    main()
