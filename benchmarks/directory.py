"""Directory benchmark: onboarding N staff from a CSV against registering them one by one, and
directory search latency over HTTP at that size.

Run: ``.venv/bin/python benchmarks/directory.py [--staff 30000] [--rounds 3] [--searches 500]
[--pg-admin-url URL] [--memory-rows 50000]``.

* **Import vs demo-style registration**, on fresh PostgreSQL databases, interleaved rounds,
  median rate. Both register the same people (a trust of 10 schools; everyone but the first
  of each school has a line manager):
  - baseline: what ``appraisals demo`` does per person: ``RegisterStaff`` then
    ``ChangeLineManager`` through ``CommandService.execute``, one command a transaction;
  - ours: ``appraisals import staff``'s path: read the CSV, plan against the directory, and
    ``execute_all`` (every command in one transaction).
* **Search**: ``GET /v1/staff?q=...`` through the real app (TestClient, a trust leader's
  token) over the imported trust, one client, prefixes of names and emails; p50/p95/p99.
* **Memory**: peak RSS of ``appraisals import staff`` on a ``--memory-rows`` file, measured
  in a child process (SQLite store), with the rows/s it reached.
Machine load (``os.getloadavg``) is printed with every figure.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.auth import mint_token
from appraisals.wiring import Container, build
from commands import messages as m
from commands.principal import Principal
from config.settings import Settings
from events.base import Role
from onboarding.mapping import load_mapping
from onboarding.staff_import import plan_sync, record

SCHOOLS = 10
HEADER = (
    "Staff Code,Forename,Surname,Preferred Name,Email,Job Title,Category,School,"
    "Line Manager Code,Start Date\n"
)
FIRST = ["Amara", "Ben", "Chloe", "Dev", "Ella", "Farah", "George", "Hana", "Isaac", "Jo"]
LAST = ["Shah", "Okafor", "Brennan", "Nowak", "Evans", "Khan", "Murphy", "Li", "Price", "Ward"]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def people(n: int) -> list[dict[str, str]]:
    rows = []
    for i in range(n):
        school = i % SCHOOLS
        first, last = FIRST[i % 10], LAST[(i // 10) % 10]
        rows.append(
            {
                "code": f"S{i}",
                "first": first,
                "last": f"{last}{i}",
                "email": f"{first.lower()}.{last.lower()}{i}@trust.example",
                "school": f"School {school}",
                "manager": "" if i < SCHOOLS else f"S{school}",
            }
        )
    return rows


def csv_text(rows: list[dict[str, str]]) -> str:
    lines = [HEADER]
    for r in rows:
        lines.append(
            f"{r['code']},{r['first']},{r['last']},,{r['email']},Teacher,Teacher,{r['school']},"
            f"{r['manager']},2024-09-01\n"
        )
    return "".join(lines)


def fresh_pg(admin_url: str) -> tuple[str, object]:
    name = f"appraisals_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def trust(c: Container) -> tuple[uuid.UUID, Principal, dict[str, uuid.UUID]]:
    root = Principal(uuid.uuid4(), Role.ADMIN)
    trust_id = c.commands.execute(m.RegisterTrust(name="Bench Trust"), root).aggregate_id
    admin = Principal(uuid.uuid4(), Role.ADMIN, trust_id=trust_id)
    schools = {}
    for s in range(SCHOOLS):
        school_id = uuid.uuid4()
        c.commands.execute(
            m.AddSchool(trust_id=trust_id, name=f"School {s}", school_id=school_id), admin
        )
        schools[f"School {s}"] = school_id
    c.projections.catch_up()
    return trust_id, admin, schools


def one_by_one(c: Container, rows: list[dict[str, str]]) -> float:
    trust_id, admin, schools = trust(c)
    ids: dict[str, uuid.UUID] = {}
    started = time.perf_counter()
    for r in rows:
        staff_id = c.commands.execute(
            m.RegisterStaff(
                trust_id=trust_id,
                name=f"{r['first']} {r['last']}",
                email=r["email"],
                job_title="Teacher",
                school_id=schools[r["school"]],
                start_date=date(2024, 9, 1),
            ),
            admin,
        ).aggregate_id
        ids[r["code"]] = staff_id
        if r["manager"]:
            c.commands.execute(
                m.ChangeLineManager(
                    staff_id=staff_id, line_manager_id=ids[r["manager"]], reason="Line manager"
                ),
                admin,
            )
    return len(rows) / (time.perf_counter() - started)


def imported(c: Container, text: str, n: int) -> float:
    trust_id, admin, _ = trust(c)
    started = time.perf_counter()
    plan = plan_sync(
        c.projections.db, trust_id, text.splitlines(), load_mapping("generic"), today=date.today()
    )
    assert plan.ok and len(plan.add) == n, plan.rejected[:3]
    record(c.commands, admin, plan, confirm_leavers=False)
    return n / (time.perf_counter() - started)


def search(c: Container, rows: list[dict[str, str]], count: int) -> list[float]:
    from fastapi.testclient import TestClient

    from appraisals.app import create_app

    c.projections.catch_up()
    with c.projections.db.transaction(write=False) as tx:
        trust_id = tx.query("SELECT DISTINCT trust_id FROM rm_directory_schools")[0][0]
    leader = Principal(uuid.uuid4(), Role.TRUST_LEADER, trust_id=uuid.UUID(str(trust_id)))
    token = mint_token(
        leader, secret=c.settings.jwt_secret.get_secret_value(), issuer=c.settings.jwt_issuer
    )
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(7)
    terms = []
    for _ in range(count):
        r = rng.choice(rows)
        kind = rng.random()
        if kind < 0.4:
            terms.append(r["last"][: rng.randint(3, len(r["last"]))].lower())
        elif kind < 0.7:
            terms.append(r["email"][: rng.randint(4, 12)])
        elif kind < 0.9:
            terms.append(f"{r['first']} {r['last'][:4]}".lower())
        else:
            terms.append(rng.choice(FIRST).lower()[:2])  # broad: many matches
    times = []
    with TestClient(create_app(container=c)) as client:
        for t in terms[:20]:  # warm up
            client.get("/v1/staff", params={"q": t}, headers=headers)
        for t in terms:
            started = time.perf_counter()
            answer = client.get("/v1/staff", params={"q": t}, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.text
    return times


def memory(rows_n: int) -> tuple[float, float]:
    """Peak RSS (MB) and rows/s of ``appraisals import staff`` in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/store.db"
        c = build(Settings(database_url=url), run_projections=False)
        trust_id, _, _ = trust(c)
        c.close()
        path = Path(tmp) / "big.csv"
        path.write_text(csv_text(people(rows_n)))
        env = {**os.environ, "APPRAISALS_DATABASE_URL": url}
        exe = Path(sys.executable).with_name("appraisals")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        done = subprocess.run(
            [str(exe), "import", "staff", str(path), "--trust", str(trust_id)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        assert done.returncode == 0, done.stdout + done.stderr
        del before
        return peak / 1024, rows_n / seconds


def main() -> None:
    logging.disable(logging.INFO)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--staff", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--memory-rows", type=int, default=50_000)
    parser.add_argument(
        "--search-url",
        help="Only the search and memory parts, over a store already holding an imported trust",
    )
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get(
            "APPRAISALS_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1/postgres"
        ),
    )
    args = parser.parse_args()
    rows = people(args.staff)
    text = csv_text(rows)
    if args.search_url:
        c = build(Settings(database_url=args.search_url), run_projections=False)
        try:
            times = search(c, rows, args.searches)
        finally:
            c.close()
        report_search(times, args.staff)
        if args.memory_rows:
            report_memory(args.memory_rows)
        return
    ours: list[float] = []
    base: list[float] = []
    last_url = None
    drops = []
    for r in range(args.rounds):
        for kind in ("baseline", "import"):
            url, drop = fresh_pg(args.pg_admin_url)
            drops.append(drop)
            c = build(Settings(database_url=url), run_projections=False)
            try:
                if kind == "baseline":
                    base.append(one_by_one(c, rows))
                else:
                    ours.append(imported(c, text, args.staff))
                    last_url = url
            finally:
                c.close()
            print(
                f"  round {r + 1} {kind}: {(base if kind == 'baseline' else ours)[-1]:,.0f} "
                f"people/s ({load()})",
                flush=True,
            )
            if kind == "baseline":
                drop()  # type: ignore[operator]
                drops.pop()
    b, o = statistics.median(base), statistics.median(ours)
    print(f"Onboarding {args.staff:,} staff on PostgreSQL, median of {args.rounds} rounds:")
    print(f"  one by one, as the demo registers   {b:8,.0f} people/s")
    print(f"  import (plan + one transaction)     {o:8,.0f} people/s  ({o / b:.1f}x)")
    assert last_url is not None
    c = build(Settings(database_url=last_url), run_projections=False)
    try:
        times = search(c, rows, args.searches)
    finally:
        c.close()
        for drop in drops:
            drop()  # type: ignore[operator]
    report_search(times, args.staff)
    if args.memory_rows:
        report_memory(args.memory_rows)


def report_search(times: list[float], staff: int) -> None:
    q = statistics.quantiles(times, n=100)
    print(
        f"Directory search, GET /v1/staff?q= over {staff:,} staff, one client, "
        f"{len(times)} searches: p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, p99 {q[98]:.1f} ms "
        f"({load()})"
    )


def report_memory(rows: int) -> None:
    peak, rate = memory(rows)
    print(
        f"appraisals import staff, {rows:,} rows (SQLite): peak RSS {peak:,.0f} MB, "
        f"{rate:,.0f} rows/s ({load()})"
    )


if __name__ == "__main__":
    main()
