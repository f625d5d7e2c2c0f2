"""The full rebuild of every read model, this code against another checkout, in one run.

    .venv/bin/python benchmarks/projections_ab.py --other /path/to/old/checkout \\
        [--events 150000] [--rounds 3] [--no-sqlite] [--no-postgres]

One synthetic history (``testkit.synthetic``) is stored once in a PostgreSQL database and in
an SQLite file; then, in ``--rounds`` rounds, each checkout rebuilds every read model over it
(``benchmarks/projections.py --rebuild-child`` of that checkout, in its own process, so each
runs its own code), the order alternating round by round. It prints each rebuild's wall time
and CPU seconds (its own processes, not the database server's), the medians of each side and
the ratios this / other, with the load average beside every figure (the machine may be
shared: the ratio of interleaved rounds is the figure to read, CPU the steadier one).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def history(target: int, seed: int) -> list[tuple[uuid.UUID, int, str, bytes]]:
    from testkit.synthetic import History, stored

    out: list[tuple[uuid.UUID, int, str, bytes]] = []
    while len(out) < target:
        h = History(seed + len(out))
        out += [stored(e) for e in h.events(trusts=1, schools=20, staff_per_school=50, cycles=2)]
    return out[:target]


def load_postgres(rows: list[tuple[uuid.UUID, int, str, bytes]]) -> tuple[str, str]:
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    name = f"bench_ab_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    datastore = PostgresDatastore(name, "127.0.0.1", 5432, "postgres", "")
    PostgresApplicationRecorder(datastore, events_table_name="appraisals_events").create_table()
    datastore.close()
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(url) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY appraisals_events (originator_id, originator_version, topic, state) "
                "FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        conn.commit()
        conn.execute("ANALYZE appraisals_events")
        conn.commit()
    return name, url


def load_sqlite(rows: list[tuple[uuid.UUID, int, str, bytes]], path: Path) -> str:
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

    datastore = SQLiteDatastore(str(path))
    recorder = SQLiteApplicationRecorder(datastore, events_table_name="appraisals_events")
    recorder.create_table()
    for i in range(0, len(rows), 5000):
        recorder.insert_events([StoredEvent(*r) for r in rows[i : i + 5000]])
    datastore.close()
    return f"sqlite:///{path}"


def rebuild(checkout: Path, url: str) -> dict[str, Any]:
    """One full rebuild by ``checkout``'s own code (its interpreter path is ours: same deps),
    with the CPU seconds its processes used (the rebuild and its lanes; not the database
    server's): on a shared machine the steadier figure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [sys.executable, str(checkout / "benchmarks" / "projections.py"), "--rebuild-child", url],
        check=True,
        capture_output=True,
        text=True,
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(checkout)},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def compare(name: str, url: str, other: Path, rounds: int) -> None:
    sides = {"this": ROOT, "other": other}
    times: dict[str, list[float]] = {"this": [], "other": []}
    cpu: dict[str, list[float]] = {"this": [], "other": []}
    for r in range(rounds):
        order = ["other", "this"] if r % 2 == 0 else ["this", "other"]
        for side in order:
            got = rebuild(sides[side], url)
            times[side].append(got["seconds"])
            cpu[side].append(got["cpu"])
            print(
                f"{name} round {r + 1} {side:5} rebuild {got['seconds']:7.1f}s, "
                f"CPU {got['cpu']:6.1f}s ({got['events']:,} events; load {load_average()})",
                flush=True,
            )
    for what, figures in (("wall", times), ("CPU", cpu)):
        this, base = statistics.median(figures["this"]), statistics.median(figures["other"])
        ratios = [t / o for t, o in zip(figures["this"], figures["other"], strict=True)]
        print(
            f"{name} {what}: this {this:.1f}s, other {base:.1f}s (medians of {rounds}); "
            f"this/other {this / base:.3f} (per round {', '.join(f'{x:.3f}' for x in ratios)};"
            f" load {load_average()})",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--other", type=Path, required=True, help="the checkout to compare with")
    parser.add_argument("--events", type=int, default=150_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    rows = history(args.events, args.seed)
    print(f"{len(rows):,} events generated (load {load_average()})", flush=True)
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = load_sqlite(rows, Path(tmp) / "store.db")
            compare("SQLite", url, args.other.resolve(), args.rounds)
    if not args.no_postgres:
        name, url = load_postgres(rows)
        try:
            compare("PostgreSQL", url, args.other.resolve(), args.rounds)
        finally:
            with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
