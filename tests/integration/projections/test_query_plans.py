"""Every read-model query and audit filter is planned on PostgreSQL as one range of an index
matching its filter and its order (no walk of a table, no sort of a long list).

The read models are built from a synthetic history (one trust, two cycles), then copied as
thirty more trusts (every id remapped, positions shifted past the log), so the tables hold a
realistic spread of trusts, cycles, schools, actors and event types; then ANALYZEd, as a
rebuild leaves them. Each query function runs for real on a database wrapper that also asks
PostgreSQL to EXPLAIN each statement it sends; the plan of the statement on the queried
table must use the expected index and, for a page, no Sort node.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import psycopg
import pytest

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
from projections.engine import registry
from projections.engine.db import Database, Table, Tx
from projections.engine.service import Projections
from testkit.synthetic import History, stored
from tests.conftest import create_database, drop_database
from tests.integration.projections.conftest import PgStore

pytestmark = pytest.mark.integration

COPIES = 30


class Explaining(Database):
    """A read-model database that EXPLAINs every query it runs (and still runs it)."""

    def __init__(self, db: Database) -> None:
        self.db, self.dialect, self.url = db, db.dialect, db.url
        self.plans: list[tuple[str, dict[str, Any]]] = []

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        with self.db.transaction(write=write) as tx:
            yield _ExplainingTx(tx, self.plans)

    @contextmanager
    def locked(self, *keys: str) -> Iterator[bool]:
        with self.db.locked(*keys) as got:
            yield got

    def close(self) -> None:
        self.db.close()


class _ExplainingTx(Tx):
    def __init__(self, tx: Tx, plans: list[tuple[str, dict[str, Any]]]) -> None:
        self.tx, self.dialect, self.plans = tx, tx.dialect, plans

    def query(
        self, sql: str, params: Sequence[Any] = (), *, binary: bool = False
    ) -> list[tuple[Any, ...]]:
        [(plan,)] = self.tx.query(f"EXPLAIN (FORMAT JSON) {sql}", params)
        self.plans.append((sql, (json.loads(plan) if isinstance(plan, str) else plan)[0]))
        return self.tx.query(sql, params, binary=binary)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.tx.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.tx.executemany(sql, rows)

    def insert(self, table: Table, name: str, rows: Sequence[Sequence[Any]]) -> None:
        self.tx.insert(table, name, rows)

    def upsert(self, table: Table, name: str, rows: Sequence[Sequence[Any]]) -> None:
        self.tx.upsert(table, name, rows)

    def select_in(
        self, table: Table, name: str, column: str, values: Sequence[Any]
    ) -> list[tuple[Any, ...]]:
        return self.tx.select_in(table, name, column, values)


@dataclass
class Data:
    service: Projections
    db: Explaining
    trust: UUID
    cycle: UUID
    school: UUID
    review: UUID
    appraiser: UUID
    objective: UUID
    priority: UUID
    actor: UUID
    aggregate: UUID
    name: str
    live: dict[str, int]


def _amplify(tx: Tx, table: Table, generation: int, copies: int, offset: int) -> None:
    """``copies`` more of a table's rows, each copy another trust's: ids remapped, log
    positions shifted, text keys suffixed."""
    physical = table.physical(generation)
    unique_by_id = any(table.column(k).type == "id" or k == "position" for k in table.key)
    exprs = []
    for c in table.columns:
        if c.type == "id":
            exprs.append(f"md5({c.name}::text || k::text)::uuid")
        elif c.name == "position":
            exprs.append(f"{c.name} + k * {offset}")
        elif c.name in table.key and c.type == "text" and not unique_by_id:
            exprs.append(f"{c.name} || '#' || k::text")
        else:
            exprs.append(c.name)
    tx.execute(
        f"INSERT INTO {physical} ({', '.join(table.column_names)}) "
        f"SELECT {', '.join(exprs)} FROM {physical}, generate_series(1, {copies}) AS k"
    )


@pytest.fixture(scope="module")
def data() -> Iterator[Data]:
    url = create_database("appraisals_plans")
    store = PgStore(url)
    try:
        sql = "COPY appraisals_events (originator_id, originator_version, topic, state) FROM STDIN"
        with psycopg.connect(url) as conn, conn.cursor() as cur, cur.copy(sql) as copy:
            for event in History(5).events(trusts=1, schools=6, staff_per_school=15, cycles=2):
                copy.write_row(stored(event))
        service = read_models(url)
        service.rebuild()
        head = store.head()
        with service.db.transaction() as tx:
            live = {g.name: g.generation for g in registry.generations(tx) if g.state == "live"}
            for name, projection in service.projections.items():
                for table in projection.tables:
                    _amplify(tx, table, live[name], COPIES, head + 1)
        service.analyze()

        def one(sql: str) -> Any:
            with service.db.transaction(write=False) as tx:
                return tx.query(sql)[0]

        trust, actor = one(
            "SELECT trust_id, actor_id FROM rm_audit_log WHERE event_type = 'ObjectiveAgreed' "
            f"AND position <= {head} LIMIT 1"
        )
        review, cycle, school, appraiser = one(
            "SELECT review_id, cycle_id, current_school_id, appraiser_id FROM rm_review_status "
            f"WHERE trust_id = '{trust}' LIMIT 1"
        )
        objective, priority = one(
            "SELECT objective_id, priority_id FROM rm_objective_current "
            f"WHERE review_id = '{review}' AND priority_id IS NOT NULL LIMIT 1"
        )
        (name,) = one(f"SELECT name FROM rm_directory_people WHERE trust_id = '{trust}' LIMIT 1")
        yield Data(
            service,
            Explaining(service.db),
            trust,
            cycle,
            school,
            review,
            appraiser,
            objective,
            priority,
            actor,
            review,
            name,
            live,
        )
        service.close()
    finally:
        store.close()
        drop_database(url)


WEEK = (datetime(2024, 10, 1, tzinfo=UTC), datetime(2024, 10, 8, tzinfo=UTC))
AFTER = datetime(2024, 10, 3, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    run: Callable[[Data], Any]
    table: tuple[str, str]  # (projection, table)
    index: tuple[str, ...] | None  # None: the primary key
    # A bounded list (one aggregate's events, one school's reviews) may be sorted.
    sorted_ok: bool = False


def _value(d: Data, v: Any) -> Any:
    """A field of the data named by a string (an event type is a string too)."""
    return getattr(d, v) if isinstance(v, str) and v in Data.__dataclass_fields__ else v


def _audit(**filters: Any) -> Callable[[Data], Any]:
    def run(d: Data) -> Any:
        values = {k: _value(d, v) for k, v in filters.items()}
        return audit_log.audit_events(d.db, **values)

    return run


def _changes(**filters: Any) -> Callable[[Data], Any]:
    def run(d: Data) -> Any:
        values = {k: _value(d, v) for k, v in filters.items()}
        return revisions.changes_in_cycle(d.db, d.cycle, limit=100, **values)

    return run


def _staff(search: str | None, **more: Any) -> Callable[[Data], Any]:
    def run(d: Data) -> Any:
        # "{name}": one person's name in every trust (the copies share their words).
        typed = None if search is None else search.format(name=d.name)
        f = directory.StaffFilter(d.trust, search=typed, **more)
        return directory.list_staff(d.db, f, after=None, limit=50)

    return run


AUDIT = ("audit_log", "audit_log")
CHANGES = ("objective_revisions", "objective_revisions")
PEOPLE = ("directory", "directory_people")
REVIEWS = ("review_status", "review_status")
OBJECTIVES = ("objective_current", "objective_current")
W = {"since": WEEK[0], "until": WEEK[1]}
CASES: dict[str, Case] = {
    "audit: trust": Case(_audit(trust_id="trust"), AUDIT, ("trust_id", "position")),
    "audit: trust, next page": Case(
        _audit(trust_id="trust", after_position=5000), AUDIT, ("trust_id", "position")
    ),
    "audit: actor": Case(
        _audit(trust_id="trust", actor_id="actor"), AUDIT, ("actor_id", "position")
    ),
    "audit: aggregate": Case(
        _audit(trust_id="trust", aggregate_id="aggregate"), AUDIT, ("aggregate_id", "position")
    ),
    "audit: type": Case(
        _audit(trust_id="trust", event_type="ProgressRecorded"),
        AUDIT,
        ("trust_id", "event_type", "position"),
    ),
    "audit: rare type": Case(
        _audit(trust_id="trust", event_type="AppealLodged"),
        AUDIT,
        ("trust_id", "event_type", "position"),
    ),
    "audit: week": Case(
        _audit(trust_id="trust", **W), AUDIT, ("trust_id", "timestamp", "position")
    ),
    "audit: week, next page": Case(
        _audit(trust_id="trust", after_moment=AFTER, after_position=10, **W),
        AUDIT,
        ("trust_id", "timestamp", "position"),
    ),
    "audit: since": Case(
        _audit(trust_id="trust", since=WEEK[0]), AUDIT, ("trust_id", "timestamp", "position")
    ),
    "audit: type + week": Case(
        _audit(trust_id="trust", event_type="ProgressRecorded", **W),
        AUDIT,
        ("trust_id", "event_type", "timestamp", "position"),
    ),
    "audit: actor + week": Case(
        _audit(trust_id="trust", actor_id="actor", **W),
        AUDIT,
        ("actor_id", "timestamp", "position"),
    ),
    "audit: aggregate + week": Case(
        _audit(trust_id="trust", aggregate_id="aggregate", **W),
        AUDIT,
        ("aggregate_id", "position"),
        sorted_ok=True,
    ),
    "audit: all trusts": Case(_audit(), AUDIT, None),
    "audit: all trusts, week": Case(_audit(**W), AUDIT, ("timestamp", "position")),
    "audit: all trusts, type": Case(
        _audit(event_type="AppealLodged"), AUDIT, ("event_type", "position")
    ),
    "changes: cycle": Case(_changes(), CHANGES, ("cycle_id", "position", "seq")),
    "changes: school": Case(
        _changes(school_id="school"), CHANGES, ("cycle_id", "school_id", "position", "seq")
    ),
    "changes: priority": Case(
        _changes(priority_id="priority"), CHANGES, ("cycle_id", "priority_id", "position", "seq")
    ),
    "changes: week": Case(_changes(**W), CHANGES, ("cycle_id", "timestamp", "position", "seq")),
    "changes: week, next page": Case(
        _changes(after_moment=AFTER, after=(10, 0), **W),
        CHANGES,
        ("cycle_id", "timestamp", "position", "seq"),
    ),
    "changes: school + week": Case(
        _changes(school_id="school", **W),
        CHANGES,
        ("cycle_id", "school_id", "timestamp", "position", "seq"),
    ),
    "changes: priority + week": Case(
        _changes(priority_id="priority", **W),
        CHANGES,
        ("cycle_id", "priority_id", "timestamp", "position", "seq"),
    ),
    "changes: review": Case(
        _changes(review_id="review"), CHANGES, ("review_id", "position", "seq")
    ),
    "changes: one objective": Case(
        lambda d: revisions.history(d.db, d.objective), CHANGES, ("objective_id", "position", "seq")
    ),
    "directory: list": Case(_staff(None), PEOPLE, ("trust_id", "sort_key")),
    "directory: search, broad": Case(_staff("person"), PEOPLE, ("trust_id", "sort_key")),
    "directory: search, narrow": Case(_staff("{name}"), PEOPLE, None, sorted_ok=True),
    "directory: one school": Case(
        lambda d: directory.list_staff(
            d.db,
            directory.StaffFilter(d.trust, school_ids=frozenset({d.school})),
            after=None,
            limit=50,
        ),
        PEOPLE,
        ("school_id", "sort_key"),
    ),
    "reviews: cycle page": Case(
        lambda d: review_status.reviews_in_cycle(d.db, d.cycle, after=d.review),
        REVIEWS,
        ("cycle_id", "review_id"),
    ),
    "reviews: cycle page, one school": Case(
        lambda d: review_status.reviews_in_cycle(d.db, d.cycle, school_id=d.school),
        REVIEWS,
        ("cycle_id", "current_school_id", "review_id"),
    ),
    "reviews: a school's": Case(
        lambda d: review_status.reviews_for_school(d.db, d.school, d.cycle),
        REVIEWS,
        ("cycle_id", "current_school_id", "review_id"),
        sorted_ok=True,
    ),
    "reviews: an appraiser's": Case(
        lambda d: review_status.reviews_for_appraiser(d.db, d.appraiser, d.cycle),
        REVIEWS,
        ("appraiser_id", "cycle_id"),
        sorted_ok=True,
    ),
    "reviews: overdue at a school": Case(
        lambda d: review_status.overdue_reviews(
            d.db, d.cycle, date(2025, 3, 20), school_id=d.school
        ),
        REVIEWS,
        ("cycle_id", "current_school_id", "review_id"),
        sorted_ok=True,
    ),
    "objectives: a review's": Case(
        lambda d: objective_current.objectives_for_review(d.db, d.review),
        OBJECTIVES,
        ("review_id",),
        sorted_ok=True,
    ),
    "objectives: a school's": Case(
        lambda d: objective_current.objectives_for_school(d.db, d.school, d.cycle),
        OBJECTIVES,
        ("school_id", "cycle_id", "status"),
        sorted_ok=True,
    ),
    "objectives: a school's, a page after a keyset": Case(
        lambda d: objective_current.objectives_for_school(
            d.db, d.school, d.cycle, after=(UUID(int=0), WEEK[0], UUID(int=0)), limit=100
        ),
        OBJECTIVES,
        ("school_id", "cycle_id", "status"),
        sorted_ok=True,
    ),
    "objectives: an appraiser's": Case(
        lambda d: objective_current.objectives_for_appraiser(d.db, d.appraiser, d.cycle),
        OBJECTIVES,
        ("appraiser_id", "cycle_id"),
        sorted_ok=True,
    ),
    "summary: a school's": Case(
        lambda d: school_cycle_summary.school_summary(d.db, d.school, d.cycle),
        ("school_cycle_summary", "school_cycle_summary"),
        None,
    ),
    "summary: a trust's": Case(
        lambda d: trust_cycle_summary.trust_summary(d.db, d.trust, d.cycle),
        ("trust_cycle_summary", "trust_cycle_summary_schools"),
        None,
        sorted_ok=True,
    ),
    "as of: the position at a moment": Case(
        lambda d: event_index.position_at(d.db, WEEK[0]),
        ("event_index", "event_index"),
        ("timestamp", "position"),
    ),
}


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


@pytest.mark.parametrize("name", list(CASES))
def test_the_query_reads_its_index(data: Data, name: str) -> None:
    case = CASES[name]
    projection, table_name = case.table
    table = next(t for t in data.service.projections[projection].tables if t.name == table_name)
    physical = table.physical(data.live[projection])
    index = f"{physical}_pkey" if case.index is None else registry.index_name(physical, case.index)
    data.db.plans.clear()
    case.run(data)
    # The statement that reads the queried table (searches read the word index first).
    mine = [(sql, p["Plan"]) for sql, p in data.db.plans if f"FROM {table.view} " in sql + " "]
    assert mine, f"{name}: no statement read {table.view}"
    _, plan = mine[-1]
    nodes = list(_nodes(plan))
    scans = [n for n in nodes if n.get("Relation Name") == physical or "Index Name" in n]
    assert not [n for n in scans if n["Node Type"] == "Seq Scan"], f"{name}: walks {physical}"
    # Never a walk of another index in the page's order with the filters applied to each
    # row (the trap of a LIMIT): every other index is a lookup on an equality.
    used = {n["Index Name"] for n in scans if "Index Name" in n}
    for n in scans:
        if n.get("Index Name") not in (None, index):
            assert "=" in n.get("Index Cond", ""), f"{name}: walks {n['Index Name']}"
    few = max((n["Plan Rows"] for n in scans), default=0) <= FEW
    # The expected index; at this test's size the planner may prefer a lookup of a few rows
    # and a sort (the benchmark shows the plans at a million events).
    assert index in used or few, f"{name}: expected {index}, plan {json.dumps(plan)[:1500]}"
    if not case.sorted_ok:
        sorts = [n for n in nodes if "Sort" in n["Node Type"] and n["Plan Rows"] > FEW]
        assert not sorts, f"{name}: sorts the page, plan {json.dumps(plan)[:1500]}"
    # Sorting a few rows is fine; what a bounded list may sort is bounded too.
    big = [n for n in nodes if "Sort" in n["Node Type"] and n["Plan Rows"] > 5000]
    assert not big, f"{name}: sorts {big[0]['Plan Rows']} rows"


# A few rows: what a lookup and a sort may handle as well as a range of an index.
FEW = 300


def test_a_rebuild_leaves_fresh_statistics(data: Data) -> None:
    """The rebuild (and ``analyze`` after a bulk load) ANALYZEd every table it built."""
    with data.service.db.transaction(write=False) as tx:
        stale = tx.query(
            "SELECT relname FROM pg_stat_user_tables WHERE relname LIKE 'rm\\_%' "
            "AND relname NOT IN ('rm_registry', 'rm_rebuild_costs') "
            "AND last_analyze IS NULL AND last_autoanalyze IS NULL"
        )
    assert stale == []
