"""Every read-model query and audit filter at a million events on PostgreSQL: p50/p99 each.

    .venv/bin/python benchmarks/queries.py [--events 1000000] [--db bench_queries_1m]
        [--rounds 5] [--runs 40] [--server-runs 20] [--drop]

Builds (or reuses, when ``--db`` already holds at least ``--events`` events) an event store of
synthetic trusts (``projections.synthetic``: 30 schools x 100 staff over two cycles, about
195,000 events a trust), COPYs it into the event store's table, rebuilds every read model
(which ANALYZEs the new tables) and brings any outdated one up to date. Then, one client,
each query is run ``--runs`` times per round with parameters drawn from the data (a trust,
an actor, a week, a school...), rounds interleaved; printed per query: the median over the
rounds of each round's p50 and p99, in milliseconds, against the 20 ms goal, and the server's
own time (planning + execution under ``EXPLAIN ANALYZE`` of the statements the query sent, the
median of ``--server-runs`` runs): the figure the machine's load moves least. The load is
printed before and after: on two shared cores only figures of one run compare.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from projections import (
    audit_log,
    directory,
    event_index,
    objective_current,
    review_status,
)
from projections import objective_revisions as revisions
from projections.catalogue import read_models
from projections.cycle_summary import school as school_cycle_summary
from projections.cycle_summary import trust as trust_cycle_summary
from projections.engine.db import Database, Table, Tx
from projections.engine.service import Projections

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
GOAL_MS = 20.0
TRUST_SHAPE = {"schools": 30, "staff_per_school": 100, "cycles": 2}


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def events_in(dbname: str) -> int:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{dbname}"')
            return 0
    with psycopg.connect(url_of(dbname)) as conn:
        row = conn.execute("SELECT to_regclass('appraisals_events') IS NOT NULL").fetchone()
        if not (row and row[0]):
            return 0
        count = conn.execute("SELECT max(notification_id) FROM appraisals_events").fetchone()
        return int(count[0] or 0) if count else 0


def url_of(dbname: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{dbname}"


def load_events(dbname: str, target: int, seed: int) -> int:
    """Generate whole synthetic trusts until ``target`` events and COPY them in."""
    from testkit.synthetic import History, stored

    datastore = PostgresDatastore(dbname, "127.0.0.1", 5432, "postgres", "")
    PostgresApplicationRecorder(datastore, events_table_name="appraisals_events").create_table()
    datastore.close()
    history = History(seed)
    n = 0
    sql = "COPY appraisals_events (originator_id, originator_version, topic, state) FROM STDIN"
    with psycopg.connect(url_of(dbname)) as conn:
        while n < target:
            with conn.cursor() as cur, cur.copy(sql) as copy:
                for event in history.events(trusts=1, **TRUST_SHAPE):
                    copy.write_row(stored(event))
                    n += 1
            conn.commit()
            print(f"  {n:,} events loaded", flush=True)
        conn.execute("ANALYZE appraisals_events")
        conn.commit()
    return n


def prepare(dbname: str, target: int, seed: int) -> Projections:
    have = events_in(dbname)
    service = read_models(url_of(dbname), page_size=10_000)
    if have < target:
        started = time.perf_counter()
        load_events(dbname, target - have, seed + have)
        print(f"generated and loaded the events in {time.perf_counter() - started:.0f}s")
        started = time.perf_counter()
        service.rebuild()
        print(f"rebuilt every read model in {time.perf_counter() - started:.0f}s")
    else:
        print(f"reusing {dbname}: {have:,} events")
    started = time.perf_counter()
    rebuilt = service.rebuild_outdated()
    if rebuilt:
        print(f"rebuilt {', '.join(rebuilt)} in {time.perf_counter() - started:.0f}s")
    service.catch_up()
    return service


class Pools:
    """Query parameters drawn from the data: what real callers would ask for."""

    def __init__(self, db: Database, rng: random.Random) -> None:
        self.rng = rng

        def col(sql: str) -> list[Any]:
            with db.transaction(write=False) as tx:
                return [r[0] if len(r) == 1 else r for r in tx.query(sql)]

        self.trusts = col("SELECT DISTINCT trust_id FROM rm_directory_schools")
        self.schools = col("SELECT school_id, trust_id FROM rm_directory_schools")
        self.cycles = col("SELECT cycle_id, trust_id FROM rm_directory_cycles")
        self.actors = col(
            "SELECT actor_id, trust_id FROM rm_audit_log WHERE position % 50 = 0 "
            "AND actor_id IS NOT NULL LIMIT 2000"
        )
        self.aggregates = col(
            "SELECT aggregate_id, trust_id FROM rm_audit_log WHERE position % 97 = 0 LIMIT 2000"
        )
        self.reviews = col(
            "SELECT review_id, cycle_id, appraiser_id, current_school_id FROM rm_review_status "
            "WHERE hashtext(review_id::text) % 20 = 0 LIMIT 2000"
        )
        self.objectives = col(
            "SELECT objective_id FROM rm_objective_current "
            "WHERE hashtext(objective_id::text) % 20 = 0 LIMIT 2000"
        )
        self.priorities = col(
            "SELECT DISTINCT cycle_id, priority_id FROM rm_objective_current "
            "WHERE priority_id IS NOT NULL"
        )
        self.positions = col("SELECT max(position) FROM rm_audit_log")[0]
        self.common_types = ["ProgressRecorded", "ObjectiveAgreed", "MeetingRecorded"]
        self.rare_types = ["AppealLodged", "ObjectiveWithdrawn", "AssignedToSchool"]

    def pick(self, values: list[Any]) -> Any:
        return self.rng.choice(values)

    def week(self) -> tuple[datetime, datetime]:
        start = datetime(2024, 9, 1, tzinfo=UTC) + timedelta(days=self.rng.randrange(0, 700))
        return start, start + timedelta(days=7)

    def cycle_of(self, trust: UUID) -> UUID:
        cycle: UUID = self.pick([c for c, t in self.cycles if t == trust])
        return cycle


def queries(db: Database, p: Pools) -> dict[str, Callable[[], Any]]:
    """Each query as the API calls it (first pages of 100, or a deeper page by cursor)."""
    a = audit_log.audit_events

    def trust_deep() -> Any:
        return a(db, trust_id=p.pick(p.trusts), after_position=p.rng.randrange(p.positions))

    def actor() -> Any:
        actor_id, trust = p.pick(p.actors)
        return a(db, trust_id=trust, actor_id=actor_id)

    def actor_week() -> Any:
        actor_id, trust = p.pick(p.actors)
        since, until = p.week()
        return a(db, trust_id=trust, actor_id=actor_id, since=since, until=until)

    def aggregate() -> Any:
        aggregate_id, trust = p.pick(p.aggregates)
        return a(db, trust_id=trust, aggregate_id=aggregate_id)

    def week() -> Any:
        since, until = p.week()
        return a(db, trust_id=p.pick(p.trusts), since=since, until=until)

    def type_week(types: list[str]) -> Callable[[], Any]:
        def run() -> Any:
            since, until = p.week()
            return a(
                db, trust_id=p.pick(p.trusts), event_type=p.pick(types), since=since, until=until
            )

        return run

    def cycle_changes(**filters: Callable[[UUID, UUID], Any]) -> Callable[[], Any]:
        def run() -> Any:
            _, cycle_id, _, school_id = p.pick(p.reviews)
            kwargs = {k: f(cycle_id, school_id) for k, f in filters.items()}
            if "week" in kwargs:
                kwargs["since"], kwargs["until"] = kwargs.pop("week")
            return revisions.changes_in_cycle(db, cycle_id, limit=100, **kwargs)

        return run

    def priority_changes() -> Any:
        cycle_id, priority_id = p.pick(p.priorities)
        return revisions.changes_in_cycle(db, cycle_id, priority_id=priority_id, limit=100)

    def staff(search: Callable[[], str | None]) -> Callable[[], Any]:
        def run() -> Any:
            f = directory.StaffFilter(p.pick(p.trusts), search=search())
            return directory.list_staff(db, f, after=None, limit=50)

        return run

    def hexes(n: int) -> str:
        return "".join(p.rng.choice("0123456789abcdef") for _ in range(n))

    def school_cycle() -> tuple[UUID, UUID]:
        school_id, trust = p.pick(p.schools)
        return school_id, p.cycle_of(trust)

    def review() -> tuple[Any, ...]:
        return tuple(p.pick(p.reviews))

    week_of = lambda *_: p.week()  # noqa: E731 - a filter factory's value
    today = date(2025, 3, 20)
    return {
        "audit: trust, first page": lambda: a(db, trust_id=p.pick(p.trusts)),
        "audit: trust, deep page (cursor)": trust_deep,
        "audit: actor": actor,
        "audit: aggregate": aggregate,
        "audit: common type": lambda: a(
            db, trust_id=p.pick(p.trusts), event_type=p.pick(p.common_types)
        ),
        "audit: rare type": lambda: a(
            db, trust_id=p.pick(p.trusts), event_type=p.pick(p.rare_types)
        ),
        "audit: one week": week,
        "audit: common type + week": type_week(p.common_types),
        "audit: rare type + week": type_week(p.rare_types),
        "audit: actor + week": actor_week,
        "audit: admin, all trusts, week": lambda: a(db, since=p.week()[0], until=p.week()[1]),
        "changes: cycle": cycle_changes(),
        "changes: cycle + school": cycle_changes(school_id=lambda _, s: s),
        "changes: cycle + priority": priority_changes,
        "changes: cycle + week": cycle_changes(week=week_of),
        "changes: cycle + school + week": cycle_changes(school_id=lambda _, s: s, week=week_of),
        "changes: one objective": lambda: revisions.history(db, p.pick(p.objectives)),
        "directory: list": staff(lambda: None),
        "directory: search, everyone matches": staff(lambda: "person"),
        "directory: search, email prefix": staff(lambda: hexes(3)),
        "directory: search, two words": staff(lambda: f"person {hexes(2)}"),
        "reviews: school's, in a cycle": lambda: review_status.reviews_for_school(
            db, *school_cycle()
        ),
        "reviews: cycle page (keyset)": lambda: review_status.reviews_in_cycle(
            db, review()[1], after=review()[0]
        ),
        "reviews: cycle page, one school": lambda: review_status.reviews_in_cycle(
            db, review()[1], school_id=review()[3]
        ),
        "reviews: appraiser's": lambda: review_status.reviews_for_appraiser(
            db, review()[2], review()[1]
        ),
        "reviews: overdue at a school": lambda: review_status.overdue_reviews(
            db, review()[1], today, school_id=review()[3]
        ),
        "objectives: review's": lambda: objective_current.objectives_for_review(db, review()[0]),
        "objectives: school's in a cycle": lambda: objective_current.objectives_for_school(
            db, *school_cycle()
        ),
        "objectives: school's, first page of 100": lambda: objective_current.objectives_for_school(
            db, *school_cycle(), limit=100
        ),
        "objectives: appraiser's": lambda: objective_current.objectives_for_appraiser(
            db, review()[2], review()[1]
        ),
        "summary: school": lambda: school_cycle_summary.school_summary(db, *school_cycle()),
        "summary: trust": lambda: trust_cycle_summary.trust_summary(
            db, *(lambda t: (t, p.cycle_of(t)))(p.pick(p.trusts))
        ),
        "as-of: position at a moment": lambda: event_index.position_at(db, p.week()[0]),
    }


class _TracedTx(Tx):
    """A read transaction that records the queries it runs (for their server-side time)."""

    def __init__(self, tx: Tx, seen: list[tuple[str, Sequence[Any]]]) -> None:
        self._tx = tx
        self._seen = seen
        self.dialect = tx.dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._tx.execute(sql, params)

    def query(
        self, sql: str, params: Sequence[Any] = (), *, binary: bool = False
    ) -> list[tuple[Any, ...]]:
        self._seen.append((sql, params))
        return self._tx.query(sql, params, binary=binary)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._tx.executemany(sql, rows)

    def insert(self, table: Table, name: str, rows: Sequence[Sequence[Any]]) -> None:
        self._tx.insert(table, name, rows)

    def upsert(self, table: Table, name: str, rows: Sequence[Sequence[Any]]) -> None:
        self._tx.upsert(table, name, rows)

    def select_in(
        self, table: Table, name: str, column: str, values: Sequence[Any]
    ) -> list[tuple[Any, ...]]:
        return self._tx.select_in(table, name, column, values)


class Traced(Database):
    """The read models' database, recording each query a query function runs."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.dialect = db.dialect
        self.url = db.url
        self.seen: list[tuple[str, Sequence[Any]]] = []

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        with self._db.transaction(write=write) as tx:
            yield _TracedTx(tx, self.seen)

    @contextmanager
    def locked(self, *keys: str) -> Iterator[bool]:
        with self._db.locked(*keys) as got:
            yield got

    def close(self) -> None:
        self._db.close()


def server_ms(db: Database, traced: Traced, run: Callable[[], Any], runs: int) -> float:
    """The server's own time (planning + execution, ``EXPLAIN ANALYZE``) of a query function's
    statements, median over ``runs`` runs with fresh parameters: what the client's scheduling
    on a loaded machine does not add."""
    times = []
    for _ in range(runs):
        traced.seen.clear()
        run()
        total = 0.0
        with db.transaction(write=False) as tx:
            for sql, params in traced.seen:
                out = tx.query(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
                plan = out[0][0]
                plan = json.loads(plan) if isinstance(plan, str) else plan
                total += plan[0]["Planning Time"] + plan[0]["Execution Time"]
        times.append(total)
    return statistics.median(times)


def measure(run: Callable[[], Any], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    return statistics.median(times), p99


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", default="bench_queries_1m")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--server-runs", type=int, default=20, help="EXPLAIN ANALYZE runs")
    parser.add_argument("--only", help="run only the queries whose name contains this")
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    args = parser.parse_args()

    print(load())
    service = prepare(args.db, args.events, args.seed)
    try:
        db = service.db
        pools = Pools(db, random.Random(args.seed))
        chosen = {k: v for k, v in queries(db, pools).items() if not args.only or args.only in k}
        for run in chosen.values():  # warm the caches once
            run()
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in chosen}
        print(f"{load()}; {args.rounds} rounds of {args.runs} runs per query, interleaved")
        for _ in range(args.rounds):
            for name, run in chosen.items():
                results[name].append(measure(run, args.runs))
        print(load())
        # The same queries again, through a recording database, for the server's own time.
        traced = Traced(db)
        on_server = {
            name: server_ms(db, traced, run, args.server_runs)
            for name, run in queries(traced, Pools(db, random.Random(args.seed + 1))).items()
            if name in chosen
        }
        print(
            f"{'query':<40} {'p50 ms':>8} {'p99 ms':>8} {'server':>8}  goal p99 < {GOAL_MS:.0f} "
            "ms (server: median planning + execution, EXPLAIN ANALYZE)"
        )
        for name, rounds in results.items():
            p50 = statistics.median(r[0] for r in rounds)
            p99 = statistics.median(r[1] for r in rounds)
            mark = "ok" if p99 < GOAL_MS else "MISSED"
            print(f"{name:<40} {p50:>8.2f} {p99:>8.2f} {on_server[name]:>8.2f}  {mark}")
        print(load())
    finally:
        service.close()
        if args.drop:
            with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
