"""Write-path benchmark: commands/s through the command layer against raw single-row inserts.

Run: ``.venv/bin/python benchmarks/write_path.py [--commands N] [--pg-admin-url URL]``.
For each store (PostgreSQL, SQLite) it measures, in one run and on the same database:
  * the command layer: ``RecordProgress`` commands (load objective, review and cycle; decide;
    save one event in one transaction with optimistic concurrency), one after another;
  * the baseline: raw psycopg / sqlite3 inserting one comparable row per transaction;
and prints both rates and their ratio. The goal is >= 0.5x the raw rate on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
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


def prepare_objectives(c: Container, count: int) -> list[tuple[uuid.UUID, Principal]]:
    """An org with ``count`` agreed objectives (spread over reviews) to record progress on."""
    org = build_org(c.commands)
    objectives: list[tuple[uuid.UUID, Principal]] = []
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
    objectives.append((o, org.appraisee))
    return objectives * count


def time_it(fn: Callable[[int], None], n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - started)


def bench_command_layer(url: str, n: int, *, cache: bool = True) -> float:
    c = build(Settings(database_url=url, state_cache_size=20_000 if cache else 0))
    try:
        targets = prepare_objectives(c, 1)
        objective_id, principal = targets[0]

        def one(i: int) -> None:
            c.commands.execute(
                m.RecordProgress(
                    objective_id=objective_id, percent=i % 101, note="Reading group on track"
                ),
                principal,
            )

        for i in range(50):  # warm up connections, caches and prepared statements
            one(i)
        return time_it(one, n)
    finally:
        c.close()


def bench_raw_postgres(url: str, n: int, *, explicit: bool) -> float:
    """One row per transaction: BEGIN/INSERT/COMMIT (``explicit``) or an autocommit INSERT."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw (originator_id uuid, originator_version bigint, "
            "topic text, state bytea, notification_id bigserial, "
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

        for i in range(50):
            one(i + 10_000_000)
        return time_it(one, n)


def bench_raw_sqlite(path: str, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
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

    rate = time_it(one, n)
    conn.close()
    return rate


def fresh_pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"appraisals_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get(
            "APPRAISALS_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1/postgres"
        ),
    )
    args = parser.parse_args()
    n = args.commands

    url, drop = fresh_pg_database(args.pg_admin_url)
    try:
        raw_tx = bench_raw_postgres(url, n, explicit=True)
        raw_auto = bench_raw_postgres(url, n, explicit=False)
        ours = bench_command_layer(url, n)
    finally:
        drop()
    print(f"PostgreSQL ({n} commands, one event each):")
    print(f"  raw psycopg, BEGIN/INSERT/COMMIT     {raw_tx:8,.0f} tx/s")
    print(f"  raw psycopg, autocommit INSERT       {raw_auto:8,.0f} tx/s")
    print(f"  command layer (warm state cache)     {ours:8,.0f} commands/s")
    print(
        f"  ratio vs BEGIN/INSERT/COMMIT {ours / raw_tx:.2f}x; vs autocommit INSERT "
        f"{ours / raw_auto:.2f}x (goal >= 0.5x)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        raw_s = bench_raw_sqlite(str(Path(tmp) / "raw.db"), n)
        ours_s = bench_command_layer(f"sqlite:///{tmp}/store.db", n)
    print(f"SQLite ({n} commands):")
    print(f"  raw sqlite3, one row per transaction {raw_s:8,.0f} tx/s")
    print(f"  command layer (warm state cache)     {ours_s:8,.0f} commands/s")
    print(f"  ratio {ours_s / raw_s:.2f}x")


if __name__ == "__main__":
    main()
