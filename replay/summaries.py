"""Cycle summaries as they stood at a past moment: the live projections, replayed to a position.

The moment becomes a log position through the event index. The aggregates the summary depends
on — the cycle, its trust, the reviews and objectives that counted (named by the live
summary's facts, see ``projections.cycle_summary.asof``), their appraisees — are read up to
that position (an index range each, never a scan of the log) and replayed in log order
through the same projection class as the live read model, ``SchoolCycleSummary`` or
``TrustCycleSummary``, into a scratch in-memory database. The answer is that read model's
own query run on the scratch database: never a second implementation of the summary.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

import orjson

from projections import event_index
from projections.cycle_summary.asof import Row, cycle_subjects, read_aggregates, replay
from projections.cycle_summary.school import SchoolCycleSummary, school_summary
from projections.cycle_summary.trust import TrustCycleSummary, trust_summary
from projections.cycle_summary.views import SchoolCycleSummaryView, TrustCycleSummaryView
from projections.engine import registry
from projections.engine.core import EventLog, Projection
from projections.engine.db import Database, Tx

T = TypeVar("T")

# Events that name the other aggregates a summary needs, and the fields that name them.
_REFERENCES = {
    "appraisals/CycleScheduled": ("trust_id",),
    "appraisals/ReviewStarted": ("appraisee_id", "trust_id"),
    "appraisals/ObjectiveLinked": ("objective_id",),
    "appraisals/ObjectiveDrafted": ("review_id", "appraisee_id"),
}


class NotReady(RuntimeError):
    """The live event index or summary has not yet reached the position asked about."""


@dataclass(frozen=True, slots=True)
class AsOf(Generic[T]):
    """A read model's answer as of log ``position`` (the last event at or before ``moment``),
    and how many stored events were replayed to get it."""

    moment: datetime | None
    position: int
    replayed: int
    view: T | None


class _Answers:
    """Answers already replayed, by (database, query, position): the past does not change, so
    asking again for the same moment costs a lookup."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, ...], AsOf[Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> AsOf[Any] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, ...], answer: AsOf[Any]) -> None:
        if ":memory:" in key[0] or "mode=memory" in key[0]:  # one database per connection
            return
        with self._lock:
            self._items[key] = answer
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_ANSWERS = _Answers()


def school_summary_as_of(
    db: Database,
    school_id: UUID,
    cycle_id: UUID,
    *,
    at: datetime | None = None,
    position: int | None = None,
) -> AsOf[SchoolCycleSummaryView]:
    """A school's cycle summary as it stood at the moment ``at`` (or after ``position``)."""
    upto = _position(db, at, position)
    key = (db.url, "school", str(school_id), str(cycle_id), str(upto))
    cached = _ANSWERS.get(key)
    if cached is not None:
        return AsOf(at, upto, cached.replayed, cached.view)
    subjects = cycle_subjects(db, cycle_id, school_id)
    answer = _as_of(
        db,
        SchoolCycleSummary(),
        subjects.position,
        {str(cycle_id), *subjects.reviews, *subjects.objectives, *subjects.appraisees},
        at,
        upto,
        lambda scratch: school_summary(scratch, school_id, cycle_id),
    )
    _ANSWERS.put(key, answer)
    return answer


def trust_summary_as_of(
    db: Database,
    trust_id: UUID,
    cycle_id: UUID,
    *,
    at: datetime | None = None,
    position: int | None = None,
) -> AsOf[TrustCycleSummaryView]:
    """A trust's cycle summary (totals and schools side by side) as it stood at ``at``.

    It replays every review and objective of the cycle: its cost grows with the cycle."""
    upto = _position(db, at, position)
    key = (db.url, "trust", str(trust_id), str(cycle_id), str(upto))
    cached = _ANSWERS.get(key)
    if cached is not None:
        return AsOf(at, upto, cached.replayed, cached.view)
    subjects = cycle_subjects(db, cycle_id)
    answer = _as_of(
        db,
        TrustCycleSummary(),
        subjects.position,
        {str(cycle_id), str(trust_id), *subjects.reviews, *subjects.objectives},
        at,
        upto,
        lambda scratch: trust_summary(scratch, trust_id, cycle_id),
    )
    _ANSWERS.put(key, answer)
    return answer


def _position(db: Database, at: datetime | None, position: int | None) -> int:
    """The log position of a moment, per the live event index (which must cover it)."""
    if (at is None) == (position is None):
        raise ValueError("give exactly one of a moment or a position")
    with db.transaction(write=False) as tx:
        head = EventLog().head(tx)
        index = registry.live(tx, event_index.EventIndex.name)
    indexed = 0 if index is None else index.position
    if position is not None:
        if indexed < min(position, head):
            raise NotReady(f"the event index has not reached position {position} yet")
        return min(position, head)
    assert at is not None
    found = event_index.position_at(db, at)
    # Events after the indexed position may still fall at or before the moment.
    if found == indexed and indexed < head:
        raise NotReady("the event index has not caught up with that moment yet")
    return found


def _as_of(
    db: Database,
    projection: Projection,
    scope_position: int,
    seeds: set[str],
    at: datetime | None,
    upto: int,
    query: Callable[[Database], T | None],
) -> AsOf[T]:
    if scope_position < upto:
        raise NotReady(f"the live {projection.name} has not reached position {upto} yet")
    topics = set(projection.topics or ()) | set(_REFERENCES)
    with db.transaction(write=False) as tx:
        rows = gather(tx, seeds, upto=upto, topics=frozenset(topics))
    wanted = projection.topics
    rows = [r for r in rows if wanted is None or r[3] in wanted]
    scratch = replay([projection], rows)
    try:
        return AsOf(at, upto, len(rows), query(scratch))
    finally:
        scratch.close()


def gather(tx: Tx, seeds: set[str], *, upto: int, topics: frozenset[str]) -> list[Row]:
    """The events (of ``topics``) up to ``upto`` of the seed aggregates and of every aggregate
    their events name (a cycle's trust, a review's objectives and appraisee), in log order."""
    fetched: set[str] = set()
    todo = set(seeds)
    rows: list[Row] = []
    while todo:
        found = read_aggregates(tx, todo, upto=upto, topics=topics)
        fetched |= todo
        rows += found
        named: set[str] = set()
        for row in found:
            fields = _REFERENCES.get(row[3])
            if fields:
                data = orjson.loads(bytes(row[4]))
                named.update(str(data[f]) for f in fields if data.get(f))
        todo = named - fetched
    rows.sort(key=lambda r: int(r[0]))
    return rows
