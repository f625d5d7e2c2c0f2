"""Rebuilding every read model over >= 1,000,000 events on PostgreSQL, against two baselines.

    .venv/bin/python benchmarks/projections.py [--events 1000000] [--rounds 3]
        [--sizes 100000,300000] [--db NAME --keep] [--other /path/to/main/checkout]

In one run, on a fresh database (or ``--db``, reused when it already holds ``--events``): generate
a realistic history with the event classes and COPY it into the event store's table; then measure
  the batched blue/green rebuild of all read models (in a child process, for its peak
      memory: the largest of the process and its lane processes), at each of ``--sizes``
      (default: half the history) on the way to the full history: peak memory should stay flat;
  its floor, in --rounds rounds interleaved with full-history rebuilds: (b) a raw paged
      SELECT over the log that decodes nothing (binary, as the engine reads it), plus the
      rows the rebuild wrote binary-COPYed into bare tables, plus the same indexes built
      on them, one after another; it prints the median ratio rebuild / floor (goal <= 1.5x);
      with ``--other``, another checkout's rebuild runs in each round too (before / after);
  (a) the library's stock ProjectionRunner driving a per-event-transaction projection that
      does the same work (same read models, same SQL), on the first --stock-events events.
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
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
PAGE = 10_000


def create_database(name: str | None = None) -> str:
    name = name or f"bench_projections_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE {name}")
    return name


def events_in(dbname: str) -> int:
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{dbname}") as conn:
        row = conn.execute("SELECT to_regclass('appraisals_events') IS NOT NULL").fetchone()
        if not (row and row[0]):
            return 0
        count = conn.execute("SELECT max(notification_id) FROM appraisals_events").fetchone()
        return int(count[0] or 0) if count else 0


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def load_events(dbname: str, target: int, seed: int) -> int:
    """Generate about ``target`` events and COPY them into the event store's table."""
    from testkit.synthetic import History, stored

    datastore = PostgresDatastore(dbname, "127.0.0.1", 5432, "postgres", "")
    PostgresApplicationRecorder(datastore, events_table_name="appraisals_events").create_table()
    datastore.close()
    history = History(seed)
    n = 0
    if target <= 0:
        return 0
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{dbname}") as conn:
        while n < target:
            with (
                conn.cursor() as cur,
                cur.copy(
                    "COPY appraisals_events (originator_id, originator_version, topic, state) "
                    "FROM STDIN"
                ) as copy,
            ):
                # One trust of 20 schools x 50 staff over two cycles: about 65,000 events.
                for event in history.events(trusts=1, schools=20, staff_per_school=50, cycles=2):
                    copy.write_row(stored(event))
                    n += 1
            conn.commit()
        conn.execute("ANALYZE appraisals_events")
        conn.commit()
    return n


def raw_scan(url: str) -> tuple[int, float]:
    """Page through the whole log as the engine does, decoding nothing."""
    n, last = 0, 0
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        while True:
            # The engine's own read (binary: bytea arrives as stored, not as hex text).
            rows = conn.execute(
                "SELECT notification_id, originator_id::text, originator_version, topic, state "
                "FROM appraisals_events WHERE notification_id > %s "
                "ORDER BY notification_id LIMIT %s",
                (last, PAGE),
                binary=True,
            ).fetchall()
            if not rows:
                break
            n += len(rows)
            last = rows[-1][0]
    return n, time.perf_counter() - started


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def read_model_tables(conn: psycopg.Connection[Any]) -> list[str]:
    """The physical tables of the live read models (every generation the rebuild wrote)."""
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname ~ '^rm_.*_v[0-9]+$' "
        "ORDER BY pg_total_relation_size(c.oid) DESC"
    ).fetchall()
    return [r[0] for r in rows]


def floor(url: str, tmp: Path) -> dict[str, Any]:
    """The physical floor of writing what the rebuild wrote: the same rows, binary-COPYed
    into bare tables (no key, no index), then the same indexes built on them, one after
    another. The rows are read out to a file first, outside the timing."""
    copy_s = index_s = 0.0
    rows = size = indexes = 0
    per_table: list[tuple[str, float, float]] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for table in read_model_tables(conn):
            bare = f"floor_{table}"[:63]
            dump = tmp / f"{table}.bin"
            with (
                dump.open("wb") as f,
                conn.cursor().copy(f"COPY {table} TO STDOUT (FORMAT binary)") as out,
            ):
                for chunk in out:
                    f.write(chunk)
            conn.execute(f"DROP TABLE IF EXISTS {bare}")
            conn.execute(f"CREATE TABLE {bare} (LIKE {table})")
            started = time.perf_counter()
            with (
                dump.open("rb") as f,
                conn.cursor().copy(f"COPY {bare} FROM STDIN (FORMAT binary)") as into,
            ):
                while chunk := f.read(1 << 20):
                    into.write(chunk)
            copied = time.perf_counter() - started
            size += dump.stat().st_size
            dump.unlink()
            counted = conn.execute(f"SELECT count(*) FROM {bare}").fetchone()
            rows += counted[0] if counted else 0
            defs = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = 'public' AND tablename = %s",
                (table,),
            ).fetchall()
            started = time.perf_counter()
            for i, (name, definition) in enumerate(defs):
                same = definition.replace(f" INDEX {name} ON ", f" INDEX floor_ix{i} ON ")
                conn.execute(same.replace(f" ON public.{table} ", f" ON public.{bare} "))
            built = time.perf_counter() - started
            indexes += len(defs)
            conn.execute(f"DROP TABLE {bare}")
            copy_s += copied
            index_s += built
            per_table.append((table, copied, built))
    return {
        "copy_s": copy_s,
        "index_s": index_s,
        "rows": rows,
        "bytes": size,
        "indexes": indexes,
        "tables": per_table,
    }


def rebuild_child(url: str) -> None:
    """Run in a child process: rebuild everything, print timing and peak memory as JSON."""
    import logging

    from projections.catalogue import read_models

    logging.basicConfig(level=logging.INFO, format="  %(message)s", stream=sys.stderr)
    service = read_models(url, page_size=PAGE)
    service.ensure()
    head = service.engine.head()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    service.rebuild()
    seconds = time.perf_counter() - started
    # The rebuild's lanes run in child processes: the peak is the largest of them all.
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    service.close()
    print(
        json.dumps(
            {
                "events": head,
                "seconds": seconds,
                "rss_mb": peak / 1024,
                "base_mb": before / 1024,
                "bulk_page": service.engine.bulk_page_size,
            }
        )
    )


def rebuild(url: str, checkout: Path | None = None) -> dict[str, Any]:
    """A full rebuild in a child process: this checkout's code, or ``checkout``'s (its own
    benchmark script and virtualenv, so each side runs its own code)."""
    script, python = Path(__file__), Path(sys.executable)
    if checkout is not None:
        script = checkout / "benchmarks" / "projections.py"
        own = checkout / ".venv" / "bin" / "python"
        python = own if own.exists() else python
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [str(python), str(script), "--rebuild-child", url],
        check=True,
        capture_output=True,
        text=True,
        cwd=checkout,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(out.stderr.rstrip())  # how long each lane took
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    # The CPU of the rebuild's processes (its lanes included; not the server's): on a shared
    # machine it varies less with the load than the wall time does.
    result["cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def stock_runner(url: str, events: int) -> tuple[int, float]:
    """The library's ProjectionRunner with one transaction per event doing the same work."""
    from eventsourcing.postgres import PostgresTrackingRecorder
    from eventsourcing.projection import Projection as LibraryProjection
    from eventsourcing.projection import ProjectionRunner

    from appraisals.wiring import eventsourcing_env
    from commands.store import EventStoreApp
    from config.settings import Settings
    from events.base import DomainEvent
    from projections.catalogue import read_models
    from projections.engine import registry
    from projections.engine.core import Event
    from projections.engine.db_postgres import _PgTx
    from projections.engine.workset import Batch

    service = read_models(url)
    service.ensure()
    members = []
    with service.db.transaction() as tx:
        for p in service.projections.values():
            members.append((p, registry.create_generation(tx, p, state="stock", indexed=True)))

    class View(PostgresTrackingRecorder):
        def apply(self, event: DomainEvent, tracking: Tracking) -> None:
            data = event.model_dump(mode="json", exclude={"originator_id", "originator_version"})
            e = Event(
                tracking.notification_id,
                str(event.originator_id),
                event.originator_version,
                type(event).topic,
                data,
            )
            with self.datastore.transaction(commit=True) as curs:
                tx = _PgTx(curs.connection)
                for projection, generation in members:
                    wanted = projection.topics
                    if wanted is None or e.topic in wanted:
                        batch = Batch(tx, generation)
                        projection.apply(batch, [e])
                        batch.flush()
                self._insert_tracking(curs, tracking)

    class Stock(LibraryProjection[View]):
        name = "stock_projection"

        def process_event(self, domain_event: Any, tracking: Tracking) -> None:
            self.view.apply(domain_event, tracking)

    env = eventsourcing_env(Settings(database_url=url))
    started = time.perf_counter()
    with ProjectionRunner(
        application_class=EventStoreApp, projection_class=Stock, view_class=View, env=env
    ) as runner:
        runner.wait(events, timeout=3600)
        seconds = time.perf_counter() - started
    service.close()
    return events, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--stock-events", type=int, default=3000, help="0: skip (a)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3, help="full-history rebuild vs floor")
    parser.add_argument(
        "--sizes",
        help="comma-separated smaller histories to rebuild (and measure memory) on the way",
    )
    parser.add_argument("--db", help="use (and reuse) this database instead of a fresh one")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--other",
        type=Path,
        help="another checkout (e.g. main's) whose rebuild runs in every round too, against "
        "the same floor",
    )
    parser.add_argument("--rebuild-child")
    args = parser.parse_args()
    if args.rebuild_child:
        rebuild_child(args.rebuild_child)
        return

    dbname = create_database(args.db)
    url = f"postgresql://postgres@127.0.0.1:5432/{dbname}"
    print(f"load average (1/5/15 min) at the start: {load_average()}")
    try:
        sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else [args.events // 2]
        # Peak memory at each size on the way to the full history (a reused database may
        # already be past some of them: those are skipped).
        memory: list[dict[str, Any]] = []
        total = events_in(dbname)
        for i, size in enumerate([*sorted(sizes), args.events]):
            if total >= size:
                continue
            t = time.perf_counter()
            total += load_events(dbname, size - total, args.seed + i)
            print(f"generated and loaded events up to {total:,} in {time.perf_counter() - t:.1f}s")
            if size != args.events:
                memory.append(rebuild(url))
                print(
                    f"rebuild at {memory[-1]['events']:,} events: {memory[-1]['seconds']:.1f}s, "
                    f"peak RSS {memory[-1]['rss_mb']:.0f} MB (load {load_average()})",
                    flush=True,
                )

        # Rounds: the full-history rebuild against its floor (the raw scan of the log, and
        # the same rows binary-COPYed into bare tables with the same indexes then built),
        # the order alternating; the floor reads the tables the rebuild before it wrote.
        rounds: list[dict[str, Any]] = []
        for r in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                other: dict[str, Any] | None = None
                if r % 2 == 0:
                    second = rebuild(url)
                    other = rebuild(url, args.other) if args.other else None
                    fl = floor(url, Path(tmp))
                    scanned, scan_s = raw_scan(url)
                else:
                    scanned, scan_s = raw_scan(url)
                    fl = floor(url, Path(tmp))
                    other = rebuild(url, args.other) if args.other else None
                    second = rebuild(url)
            floor_s = scan_s + fl["copy_s"] + fl["index_s"]
            rounds.append(
                {**fl, "scan_s": scan_s, "rebuild": second, "other": other, "floor_s": floor_s}
            )
            versus = (
                f"; {args.other} rebuild {other['seconds']:.1f}s (CPU {other['cpu_s']:.1f}s), "
                f"ratio {other['seconds'] / floor_s:.2f}x"
                if other
                else ""
            )
            print(
                f"round {r + 1}: rebuild {second['seconds']:.1f}s (CPU {second['cpu_s']:.1f}s); "
                f"floor {floor_s:.1f}s = scan "
                f"{scan_s:.1f}s + COPY {fl['copy_s']:.1f}s + {fl['indexes']} indexes "
                f"{fl['index_s']:.1f}s; ratio {second['seconds'] / floor_s:.2f}x{versus} "
                f"(load {load_average()})",
                flush=True,
            )
        stock_n, stock_s = stock_runner(url, args.stock_events) if args.stock_events else (0, 0.0)

        mid = sorted(rounds, key=lambda x: x["rebuild"]["seconds"] / x["floor_s"])[len(rounds) // 2]
        second = mid["rebuild"]
        scan_s = statistics.median(x["scan_s"] for x in rounds)
        scan_rate = scanned / scan_s
        rebuild_s = statistics.median(x["rebuild"]["seconds"] for x in rounds)
        rate = second["events"] / rebuild_s
        stock_rate = stock_n / stock_s if stock_s else 0.0
        ratios = [x["rebuild"]["seconds"] / x["floor_s"] for x in rounds]
        print()
        print(f"events in the log                 {total:>12,}")
        print(f"(b) raw SELECT scan, no decoding   {scan_rate:>12,.0f} events/s ({scan_s:.1f}s)")
        print(
            f"batched rebuild of all read models {rate:>12,.0f} events/s "
            f"({rebuild_s:.1f}s for {second['events']:,}, median of {len(rounds)} rounds; "
            f"bulk pages of {second['bulk_page']:,}, then {PAGE:,})"
        )
        print(
            f"its floor (median round)          {mid['floor_s']:>10.1f} s = scan "
            f"{mid['scan_s']:.1f}s + binary COPY of {mid['rows']:,} rows "
            f"({mid['bytes'] / 2**20:,.0f} MB) into bare tables {mid['copy_s']:.1f}s + "
            f"{mid['indexes']} index builds {mid['index_s']:.1f}s"
        )
        for table, copied, built in mid["tables"][:8]:
            print(f"    {table:40} COPY {copied:6.1f}s  indexes {built:6.1f}s")
        print(
            f"rebuild vs its floor               {statistics.median(ratios):>12.2f}x   "
            f"(rounds {', '.join(f'{x:.2f}' for x in ratios)}; goal <= 1.5x)"
        )
        if args.other:
            theirs = [x["other"]["seconds"] / x["floor_s"] for x in rounds]
            mine = [x["rebuild"]["seconds"] / x["other"]["seconds"] for x in rounds]
            print(
                f"{args.other} vs the same floors    {statistics.median(theirs):>12.2f}x   "
                f"(rounds {', '.join(f'{x:.2f}' for x in theirs)})"
            )
            print(
                f"this rebuild / {args.other}'s      {statistics.median(mine):>12.2f}x   "
                f"(rounds {', '.join(f'{x:.2f}' for x in mine)})"
            )
            cpu = [x["rebuild"]["cpu_s"] / x["other"]["cpu_s"] for x in rounds]
            print(
                f"its CPU / {args.other}'s          {statistics.median(cpu):>12.2f}x   "
                f"(rounds {', '.join(f'{x:.2f}' for x in cpu)}; the rebuild's processes)"
            )
        if stock_rate:
            print(
                f"(a) stock runner, 1 tx per event   {stock_rate:>12,.0f} events/s "
                f"({stock_s:.1f}s for the first {stock_n:,})"
            )
            print(f"rebuild vs (a)                     {rate / stock_rate:>12.1f}x   (goal >= 20x)")
        print(f"rebuild vs (b)                     {rate / scan_rate:>12.2f}x")
        peaks = [*memory, *(x["rebuild"] for x in rounds)]
        print(
            "peak RSS of the rebuild (largest process) "
            + ", ".join(f"{x['rss_mb']:.0f} MB at {x['events']:,}" for x in peaks)
            + " events"
        )
        print(f"load average (1/5/15 min) at the end: {load_average()}")
    finally:
        if not args.keep:
            drop_database(dbname)


if __name__ == "__main__":
    main()
