"""Read models as they stood at a past log position, replayed into a scratch database.

A hook for ``replay/`` (as-of queries), additive to the engine:

* ``read_aggregates`` reads the stored events of chosen aggregates up to a log position, in
  log order: one index range per aggregate, never a scan of the log;
* ``replay`` applies them, in batches, through the same projection classes as the live read
  models into an in-memory SQLite database, whose live generation and views answer the read
  models' ordinary query functions (``school_summary(scratch, ...)``);
* ``cycle_subjects`` names the reviews, objectives and appraisees a cycle's summaries count,
  from the live summary's facts (a review keeps a fact at every school it counted in, an
  objective at the school it was drafted in, so the live facts name every subject that
  counted at any earlier position too).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from projections.cycle_summary.school import FACTS, SUBJECTS, SchoolCycleSummary
from projections.engine import registry
from projections.engine.core import EVENTS_TABLE, Event, Projection, decode
from projections.engine.db import SQLITE_CHUNK, Database, Tx, chunks, connect
from projections.engine.workset import Batch

SUMMARY = SchoolCycleSummary.name
# The rows of one replay batch. Summaries are recomputed once per batch from all the facts of
# the groups it touched, so few large batches keep a replay linear in its events.
PAGE = 100_000

Row = tuple[Any, ...]  # (position, originator_id, version, topic, state)


def read_aggregates(
    tx: Tx,
    aggregate_ids: Iterable[UUID | str],
    *,
    upto: int,
    topics: frozenset[str] | None = None,
    table: str = EVENTS_TABLE,
) -> list[Row]:
    """The stored events (of ``topics``, or all) of these aggregates at positions up to
    ``upto``, in log order, as ``(position, originator_id, version, topic, state)`` with
    dashed ids on both stores."""
    ids = sorted({str(i) for i in aggregate_ids})
    if not ids:
        return []
    wanted = sorted(topics) if topics is not None else None
    if tx.dialect == "postgresql":
        # One primary-key probe per aggregate (the lateral subquery is never flattened): the
        # planner, guessing how many rows thousands of ids select, would rather scan the log.
        where = "e.notification_id <= ?"
        params: list[Any] = [upto]
        if wanted is not None:
            where += " AND e.topic = ANY(?)"
            params.append(wanted)
        # Its cost estimate is far too high: compiling the query would take longer than it.
        tx.execute("SET LOCAL jit = off")
        found = tx.query(
            "SELECT e.notification_id, e.originator_id::text, e.originator_version, e.topic, "
            "e.state FROM unnest(string_to_array(?, ',')::uuid[]) AS ids(id) CROSS JOIN LATERAL "
            f"(SELECT * FROM {table} x WHERE x.originator_id = ids.id OFFSET 0) AS e "
            f"WHERE {where}",
            [",".join(ids), *params],
        )
        found.sort(key=lambda r: int(r[0]))
        return found
    rows: list[Row] = []
    for chunk in chunks([UUID(i).hex for i in ids], SQLITE_CHUNK):
        marks = ",".join("?" * len(chunk))
        found = tx.query(
            "SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {table} WHERE originator_id IN ({marks}) AND rowid <= ?",
            [*chunk, upto],
        )
        rows += [r for r in found if topics is None or r[3] in topics]
    rows.sort(key=lambda r: int(r[0]))
    return [(p, str(UUID(o)), v, t, bytes(s)) for p, o, v, t, s in rows]


def replay(projections: Sequence[Projection], rows: Sequence[Row]) -> Database:
    """A scratch in-memory database holding ``projections`` after applying ``rows`` (in log
    order) with the engine's batches. The caller queries it in the same thread and closes it.
    """
    scratch = connect("sqlite:///:memory:")
    try:
        with scratch.transaction() as tx:
            registry.ensure_registry(tx)
            generations = {
                p.name: registry.create_generation(tx, p, state=registry.LIVE, indexed=True)
                for p in projections
            }
            for i in range(0, len(rows), PAGE):
                events: list[Event] = [decode(r) for r in rows[i : i + PAGE]]
                for p in projections:
                    wanted = p.topics
                    mine = events if wanted is None else [e for e in events if e.topic in wanted]
                    batch = Batch(tx, generations[p.name])
                    p.apply(batch, mine)
                    batch.flush()
            last = int(rows[-1][0]) if rows else 0
            for name, generation in generations.items():
                tx.execute(
                    f"UPDATE {registry.REGISTRY} SET position = ? "
                    "WHERE name = ? AND generation = ?",
                    [last, name, generation],
                )
    except BaseException:
        scratch.close()
        raise
    return scratch


@dataclass(frozen=True, slots=True)
class CycleSubjects:
    """What a cycle's summaries count: reviews, objectives and the appraisees behind them,
    as the live read model knows them at ``position``."""

    position: int
    reviews: frozenset[str]
    objectives: frozenset[str]
    appraisees: frozenset[str]


def cycle_subjects(db: Database, cycle_id: UUID, school_id: UUID | None = None) -> CycleSubjects:
    """The subjects with facts in a cycle (at one school, or at any), per the live
    ``school_cycle_summary``; empty when it has no live generation yet."""
    with db.transaction(write=False) as tx:
        live = registry.live(tx, SUMMARY)
        if live is None:
            return CycleSubjects(0, frozenset(), frozenset(), frozenset())
        facts, subjects = FACTS.physical(live.generation), SUBJECTS.physical(live.generation)
        where = "f.cycle_id = ?"
        params = [tx.param("id", cycle_id)]
        if school_id is not None:
            where += " AND f.school_id = ?"
            params.append(tx.param("id", school_id))
        rows = tx.query(
            f"SELECT DISTINCT s.subject_id, s.state FROM {facts} f "
            f"JOIN {subjects} s ON s.subject_id = f.subject_id WHERE {where}",
            params,
        )
    reviews: set[str] = set()
    objectives: set[str] = set()
    appraisees: set[str] = set()
    for subject_id, stored in rows:
        state = orjson.loads(stored) if isinstance(stored, str | bytes) else stored
        kind = state.get("kind")
        if kind == "review":
            reviews.add(str(subject_id))
        elif kind == "objective":
            objectives.add(str(subject_id))
        if state.get("appraisee"):
            appraisees.add(str(state["appraisee"]))
    return CycleSubjects(
        live.position, frozenset(reviews), frozenset(objectives), frozenset(appraisees)
    )


__all__ = ["CycleSubjects", "cycle_subjects", "read_aggregates", "replay"]
