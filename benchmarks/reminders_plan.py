"""Planning reminders for a 30,000-staff trust on PostgreSQL, against one scan of review_status.

    .venv/bin/python benchmarks/reminders_plan.py [--staff 30000] [--rounds 5]

On a fresh database, the read models the planner reads (review_status, reminder_context) are
filled directly with a trust's worth of rows: 30,000 staff in 60 schools, each with a review
in the open cycle at a realistic stage, line managers and headteachers. The day planned is 10
days after the mid-year deadline, when most of the trust has a reminder due (appraisee,
appraiser and line manager). Measured in the same run, interleaved, median of ``--rounds``:

  (a) the floor: one scan of review_status for the open cycle, decoded into ReviewView rows;
  (b) planning: every reminder due that day (reviews paged, people and leaders looked up);
  (c) recording again: planning plus the ledger's INSERT ... ON CONFLICT DO NOTHING of all of
      them when they are already recorded (what every later pass of the day costs).

Queries are counted at the database layer. Memory: the planner's peak Python allocation
(tracemalloc) at a third of the staff and at all of them; flat means paging works.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from projections.catalogue import read_models
from projections.engine.common import as_model, select
from projections.engine.db import Database, Tx, connect
from projections.review_status import REVIEWS, ReviewView
from reminders.ledger import Ledger
from reminders.people import ReadModelPeople
from reminders.planner import Planner

ADMIN_URL = os.environ.get(
    "APPRAISALS_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SCHOOLS = 60
MID_YEAR_DEADLINE = date(2026, 3, 31)
DAY = MID_YEAR_DEADLINE + timedelta(days=10)


class CountingDatabase(Database):
    """The same database, counting the statements sent to it."""

    def __init__(self, inner: Database) -> None:
        self.inner = inner
        self.dialect = inner.dialect
        self.url = inner.url
        self.statements = 0

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        with self.inner.transaction(write=write) as tx:
            yield _CountingTx(tx, self)

    @contextmanager
    def locked(self, *keys: str) -> Iterator[bool]:
        with self.inner.locked(*keys) as got:
            yield got

    def close(self) -> None:
        self.inner.close()


class _CountingTx(Tx):
    def __init__(self, tx: Tx, counter: CountingDatabase) -> None:
        self.tx = tx
        self.dialect = tx.dialect
        self.counter = counter

    def execute(self, sql: str, params: Any = ()) -> int:
        self.counter.statements += 1
        return self.tx.execute(sql, params)

    def query(self, sql: str, params: Any = (), *, binary: bool = False) -> list[tuple[Any, ...]]:
        self.counter.statements += 1
        return self.tx.query(sql, params, binary=binary)

    def executemany(self, sql: str, rows: Any) -> None:
        self.counter.statements += 1
        self.tx.executemany(sql, rows)

    def insert(self, table: Any, name: str, rows: Any) -> None:
        self.counter.statements += 1
        self.tx.insert(table, name, rows)

    def upsert(self, table: Any, name: str, rows: Any) -> None:
        self.counter.statements += 1
        self.tx.upsert(table, name, rows)

    def select_in(self, table: Any, name: str, column: str, values: Any) -> list[tuple[Any, ...]]:
        self.counter.statements += 1
        return self.tx.select_in(table, name, column, values)


def create_database() -> str:
    name = f"bench_reminders_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def fill(url: str, trust: UUID, cycle: UUID, start: int, staff: int) -> None:
    """Staff ``start`` .. ``staff``-1: people, and a review each at a realistic stage."""
    people, reviews = [], []
    now = datetime(2026, 3, 1, tzinfo=UTC)
    schools = [uuid.uuid5(trust, f"school-{s}") for s in range(SCHOOLS)]
    for i in range(start, staff):
        sid = uuid.uuid5(trust, f"staff-{i}")
        school = schools[i % SCHOOLS]
        head = i < SCHOOLS
        manager = None if head else uuid.uuid5(trust, f"staff-{i % SCHOOLS}")
        people.append(
            (sid, trust, f"Person {i}", f"person{i}@trust.example",
             "headteacher" if head else "teacher", school, manager, None,
             "digest" if i % 10 == 0 else "immediate", i % 25 != 0)
        )  # fmt: skip
        appraiser = uuid.uuid5(trust, f"staff-{(i // 8) * 8 + (1 if i % 8 == 0 else 0)}")
        planning = date(2025, 10, 1) if i % 20 else None
        mid_year = date(2026, 3, 10) if i % 3 == 0 else None
        reviews.append(
            (uuid.uuid5(cycle, str(sid)), cycle, trust, school, school, sid, appraiser,
             "planned", 3, planning, mid_year, None, False, None, None, False, False, False,
             None, None, None, 0, date(2025, 10, 31), MID_YEAR_DEADLINE, date(2026, 7, 15),
             now, now, 4)
        )  # fmt: skip
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cols = ", ".join(c.name for c in REVIEWS.columns)
        marks = ", ".join(["%s"] * len(REVIEWS.columns))
        cur.executemany(f"INSERT INTO rm_review_status ({cols}) VALUES ({marks})", reviews)
        cur.executemany(
            "INSERT INTO rm_reminder_people (staff_id, trust_id, name, email, category, "
            "school_id, line_manager_id, left_on, frequency, optional_reminders) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            people,
        )
        if start == 0:
            cur.execute(
                "INSERT INTO rm_reminder_cycles (cycle_id, trust_id, state) "
                "VALUES (%s, %s, 'open')",
                (cycle, trust),
            )
        conn.commit()
        cur.execute("ANALYZE")


def timed(work: Callable[[], object]) -> tuple[float, object]:
    t = time.perf_counter()
    out = work()
    return time.perf_counter() - t, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--staff", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"load: {os.getloadavg()}", flush=True)
    url = create_database()
    try:
        run(url, args.staff, args.rounds)
    finally:
        drop_database(url)
    print(f"load: {os.getloadavg()}")


def run(url: str, staff: int, rounds: int) -> None:
    read_models(url).ensure()
    base = connect(url, pool_size=2)
    db = CountingDatabase(base)
    Ledger(db).ensure()
    trust, cycle = uuid.uuid4(), uuid.uuid4()
    third = staff // 3
    fill(url, trust, cycle, 0, third)

    def plan(page_size: int = 2000) -> int:
        planner = Planner(db, ReadModelPeople(db), page_size=page_size)
        return sum(len(page) for page in planner.pages(DAY))

    tracemalloc.start()
    plan()
    peak_third = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    fill(url, trust, cycle, third, staff)
    now = datetime.combine(DAY, datetime.min.time(), UTC)
    ledger = Ledger(db)

    def scan() -> int:
        rows = select(db, REVIEWS, "cycle_id = ?", [("id", cycle)])
        return len(as_model(ReviewView, rows))

    def record() -> int:
        planner = Planner(db, ReadModelPeople(db))
        return sum(ledger.record(page, now) for page in planner.pages(DAY))

    first_record, recorded = timed(record)
    tracemalloc.start()
    due = plan()
    peak_all = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    scan()
    peak_scan = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    times: dict[str, list[float]] = {"scan": [], "plan": [], "record": []}
    queries: dict[str, int] = {}
    for _ in range(rounds):
        for name, work in (("scan", scan), ("plan", plan), ("record", record)):
            before = db.statements
            elapsed, _ = timed(work)
            times[name].append(elapsed)
            queries[name] = db.statements - before
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"staff {staff}, schools {SCHOOLS}, day {DAY} (mid-year deadline + 10 days)")
    print(f"reminders due: {due}; first recording of them: {recorded} rows in {first_record:.2f} s")
    print(f"(a) one scan of review_status: {med['scan'] * 1000:8.1f} ms, {queries['scan']} queries")
    print(
        f"(b) plan:                      {med['plan'] * 1000:8.1f} ms, {queries['plan']} queries,"
        f" {med['plan'] / med['scan']:.1f}x the scan"
    )
    print(
        f"(c) plan + record again:       {med['record'] * 1000:8.1f} ms, "
        f"{queries['record']} queries, {med['record'] / med['scan']:.1f}x the scan"
    )
    print(
        f"peak Python memory of planning: {peak_third / 1e6:.1f} MB at {third} staff, "
        f"{peak_all / 1e6:.1f} MB at {staff} (one scan into memory: {peak_scan / 1e6:.1f} MB)"
    )
    db.close()


if __name__ == "__main__":
    main()
