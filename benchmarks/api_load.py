"""API load benchmark: commands and dashboard queries over HTTP against a bare-INSERT baseline.

Run: ``.venv/bin/python benchmarks/api_load.py [--clients 50 --requests 3000]``.

In one run, on a fresh PostgreSQL database and loopback only:
  1. a bare FastAPI app (one endpoint: one INSERT through a psycopg pool) under uvicorn,
     loaded by N concurrent clients — the baseline;
  2. appraisal-ledger under uvicorn (one process, PostgreSQL, in-process projections), loaded
     by N concurrent clients with commands (``RecordProgress`` on many objectives) and then
     with dashboard queries (school and trust cycle summaries).
It prints throughput and p50/p99 latency of each, and the command/baseline throughput ratio.
Goals: commands >= 0.5x the baseline's throughput; p99 < 50 ms for commands and < 20 ms for
summary queries. Every loop is bounded by a request count; servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable
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
    deadline = time.monotonic() + 30
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
    settings = Settings(database_url=url)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--staff", type=int, default=400)
    parser.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1/postgres")
    args = parser.parse_args()
    url, drop = fresh_pg_database(args.pg_admin_url)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "bare_app.py").write_text(BASELINE_APP)
            port = free_port()
            procs.append(start_server("bare_app:app", {"BENCH_PG_URL": url}, port, tmp))
            base_rate, base_lat, base_err = asyncio.run(
                load(
                    f"http://127.0.0.1:{port}",
                    args.clients,
                    args.requests,
                    lambda _i: ("POST", "/insert", {}, None),
                )
            )
            procs.pop().terminate()

            settings, targets, paths = seed(url, args.staff)
            tokens = {o: token(settings, p) for o, p in targets}
            port = free_port()
            env = {"APPRAISALS_DATABASE_URL": url, "APPRAISALS_LOG_LEVEL": "WARNING", **EXTRA_ENV}
            procs.append(start_server("appraisals.asgi:app", env, port, tmp))
            rng = random.Random(7)

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

            base = f"http://127.0.0.1:{port}"
            cmd_rate, cmd_lat, cmd_err = asyncio.run(
                load(base, args.clients, args.requests, command)
            )
            q_rate, q_lat, q_err = asyncio.run(load(base, args.clients, args.requests, query))
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        drop()

    print(
        f"{args.clients} concurrent clients, {args.requests} requests per phase, loopback, "
        f"PostgreSQL, one uvicorn process each"
    )
    for name, rate, lat, err in (
        ("baseline: bare FastAPI + 1 INSERT", base_rate, base_lat, base_err),
        ("commands: POST .../progress", cmd_rate, cmd_lat, cmd_err),
        ("queries: school/trust summaries", q_rate, q_lat, q_err),
    ):
        print(
            f"  {name:36} {rate:8,.0f} req/s  p50 {pct(lat, 0.5):6.1f} ms  "
            f"p99 {pct(lat, 0.99):6.1f} ms  errors {err}"
        )
    print(
        f"  command throughput vs baseline: {cmd_rate / base_rate:.2f}x (goal >= 0.5x); "
        f"p99 goals: commands < 50 ms, summaries < 20 ms"
    )


if __name__ == "__main__":
    main()
