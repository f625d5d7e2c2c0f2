"""Write-path benchmark: commands/s through the command layer against raw single-row inserts.

Run: ``.venv/bin/python benchmarks/write_path.py [--commands N] [--rounds R] [--profile]``.

For each store (PostgreSQL, SQLite), in one run and on the same database, it runs R rounds;
each round measures, in a rotating order so none always goes first:
  * the command layer: ``RecordProgress`` commands (validate, authorise, load objective,
    review and cycle from the state cache, decide, chain and encode, append one event in one
    transaction with optimistic concurrency), one after another from one client thread;
  * the baselines: raw psycopg / sqlite3 inserting one comparable row per transaction
    (an autocommit INSERT: one round trip; and BEGIN/INSERT/COMMIT).
Each measure is rate (per second of wall time) and client CPU per operation (this process's
CPU time, no other thread running). It prints the median of the rounds, the median of the
per-round ratios, and the machine's load average before and after. Goal on PostgreSQL: the
command layer >= 0.5x the autocommit INSERT's rate, and client CPU within 2.5x of its CPU.
``--profile`` adds a cProfile of the command layer (top functions by own time).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appraisals.wiring import Container, build
from commands import messages as m
from commands.principal import Principal
from config.settings import Settings
from testkit.scenario import build_org

STATE = b'{"percent":40,"note":"Reading group on track","evidence":[],"_v":1}' * 2

Op = Callable[[int], None]


@dataclass
class Measure:
    rate: float  # operations per second of wall time
    cpu_us: float  # this process's CPU per operation, microseconds


def time_it(fn: Op, n: int, offset: int) -> Measure:
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(offset, offset + n):
        fn(i)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Measure(n / wall, cpu / n * 1e6)


def agreed_objective(c: Container) -> tuple[uuid.UUID, Principal]:
    """An org with one agreed objective to record progress on, and its appraisee."""
    org = build_org(c.commands)
    o = c.commands.execute(
        m.DraftObjective(
            review_id=org.review_id,
            title="Improve reading fluency in Year 3",
            success_criteria=["85% reach age-related expectations"],
            due_date=date(2026, 7, 1),
        ),
        org.appraiser,
    ).aggregate_id
    c.commands.execute(m.AgreeObjective(objective_id=o), org.appraiser)
    c.commands.execute(m.AgreeObjective(objective_id=o), org.appraisee)
    return o, org.appraisee


def command_layer(c: Container) -> Op:
    objective_id, principal = agreed_objective(c)

    def one(i: int) -> None:
        c.commands.execute(
            m.RecordProgress(
                objective_id=objective_id, percent=i % 101, note="Reading group on track"
            ),
            principal,
        )

    return one


def raw_postgres(conn: psycopg.Connection[tuple[object, ...]], *, explicit: bool) -> Op:
    """One row per transaction: BEGIN/INSERT/COMMIT (``explicit``) or an autocommit INSERT."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS bench_raw (originator_id uuid, originator_version bigint, "
        "topic text, state bytea, notification_id bigserial UNIQUE, "
        "PRIMARY KEY (originator_id, originator_version))"
    )
    oid = uuid.uuid4()
    sql = (
        "INSERT INTO bench_raw (originator_id, originator_version, topic, state) "
        "VALUES (%s, %s, %s, %s)"
    )

    def one(i: int) -> None:
        if explicit:
            with conn.transaction():
                conn.execute(sql, (oid, i, "appraisals/ProgressRecorded", STATE))
        else:
            conn.execute(sql, (oid, i, "appraisals/ProgressRecorded", STATE), prepare=True)

    return one


def raw_sqlite(conn: sqlite3.Connection) -> Op:
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS bench_raw (originator_id TEXT, originator_version INTEGER, "
        "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
    )
    oid = uuid.uuid4().hex

    def one(i: int) -> None:
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO bench_raw VALUES (?, ?, ?, ?)",
            (oid, i, "appraisals/ProgressRecorded", STATE),
        )
        conn.execute("COMMIT")

    return one


def interleaved(ops: dict[str, Op], n: int, rounds: int) -> dict[str, list[Measure]]:
    """``rounds`` rounds of ``n`` operations of each op, the order rotating each round."""
    names = list(ops)
    for name in names:  # warm up connections, caches and prepared statements
        for i in range(50):
            ops[name](10_000_000 + i)
    results: dict[str, list[Measure]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            results[name].append(time_it(ops[name], n, offset=r * n))
    return results


def profile(op: Op, n: int) -> str:
    prof = cProfile.Profile(time.process_time)  # CPU, not waiting on the server
    prof.enable()
    for i in range(20_000_000, 20_000_000 + n):
        op(i)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(45)
    return out.getvalue()


def fresh_pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"appraisals_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def report(
    title: str, results: dict[str, list[Measure]], ours: str, labels: dict[str, str]
) -> None:
    print(title)
    for name, label in labels.items():
        rates = [x.rate for x in results[name]]
        cpu = [x.cpu_us for x in results[name]]
        unit = "commands/s" if name == ours else "tx/s"
        print(
            f"  {label:38} median {statistics.median(rates):8,.0f} {unit:10} "
            f"(rounds {min(rates):,.0f}-{max(rates):,.0f}); "
            f"client CPU {statistics.median(cpu):6.0f} us/op"
        )
    for name, label in labels.items():
        if name == ours:
            continue
        speed = [a.rate / b.rate for a, b in zip(results[ours], results[name], strict=True)]
        cpu = [a.cpu_us / b.cpu_us for a, b in zip(results[ours], results[name], strict=True)]
        print(
            f"  command layer vs {label:21} rate {statistics.median(speed):.2f}x "
            f"({min(speed):.2f}-{max(speed):.2f}); client CPU {statistics.median(cpu):.1f}x"
        )


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commands", type=int, default=2000, help="per measure and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get(
            "APPRAISALS_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1/postgres"
        ),
    )
    args = parser.parse_args()
    n, rounds = args.commands, args.rounds
    print(f"load average before (1/5/15 min): {load_average()}; {os.cpu_count()} cores")

    url, drop = fresh_pg_database(args.pg_admin_url)
    try:
        c = build(Settings(database_url=url, state_cache_size=20_000))
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                ops = {
                    "auto": raw_postgres(conn, explicit=False),
                    "tx": raw_postgres(conn, explicit=True),
                    "ours": command_layer(c),
                }
                pg = interleaved(ops, n, rounds)
                prof = profile(ops["ours"], n) if args.profile else ""
        finally:
            c.close()
    finally:
        drop()
    report(
        f"PostgreSQL: {rounds} interleaved rounds of {n:,} operations each, one client thread",
        pg,
        "ours",
        {
            "auto": "raw psycopg, autocommit INSERT",
            "tx": "raw psycopg, BEGIN/INSERT/COMMIT",
            "ours": "command layer (warm state cache)",
        },
    )
    print("  goals: rate >= 0.5x the autocommit INSERT; client CPU <= 2.5x its CPU")

    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            raw = sqlite3.connect(str(Path(tmp) / "raw.db"), isolation_level=None)
            c = build(Settings(database_url=f"sqlite:///{tmp}/store.db", state_cache_size=20_000))
            try:
                sq = interleaved({"raw": raw_sqlite(raw), "ours": command_layer(c)}, n, rounds)
            finally:
                c.close()
                raw.close()
        report(
            f"SQLite (WAL): {rounds} interleaved rounds of {n:,} operations each",
            sq,
            "ours",
            {
                "raw": "raw sqlite3, BEGIN/INSERT/COMMIT",
                "ours": "command layer (warm state cache)",
            },
        )
    print(f"load average after (1/5/15 min): {load_average()}")
    if prof:
        print("\ncProfile of the command layer (PostgreSQL), by own time:")
        print(prof)


if __name__ == "__main__":
    main()
