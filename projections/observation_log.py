"""observation_log: lesson observations and learning walks, the observed person's response,
and the trust's view of which Teachers' Standards observations focus on, school by school."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from events import observation as ev
from events.base import DomainEvent
from events.standards import TITLES, headline
from projections.engine.common import as_model, select, when
from projections.engine.core import Event, Handler, Handlers, Projection, id_text
from projections.engine.db import Column, ColumnType, Database, Table
from projections.engine.workset import Batch
from projections.names import name_handlers, names_of, names_table

OBSERVATIONS = Table(
    "observation_log",
    (
        Column("observation_id", "id", False),
        Column("trust_id", "id", False),
        Column("school_id", "id", False),
        Column("cycle_id", "id", False),
        Column("review_id", "id", False),
        Column("observed_id", "id", False),
        Column("observer_id", "id", False),
        Column("kind", "text", False),
        Column("held_on", "date", False),
        Column("context", "text", False),
        Column("focus_standards", "json", False),
        Column("strengths", "text", False),
        Column("areas_to_develop", "text", False),
        Column("grade", "text"),
        Column("objective_ids", "json", False),
        Column("comment", "text"),
        Column("commented_at", "ts"),
        Column("recorded_at", "ts", False),
        Column("version", "int", False),
    ),
    key=("observation_id",),
    indexes=(("observed_id", "cycle_id"), ("trust_id", "cycle_id"), ("review_id",)),
)
NAMES = names_table("observation")


@dataclass(frozen=True, slots=True)
class ObservationView:
    observation_id: UUID
    trust_id: UUID
    school_id: UUID
    cycle_id: UUID
    review_id: UUID
    observed_id: UUID
    observer_id: UUID
    kind: str
    held_on: date
    context: str
    focus_standards: list[str]
    strengths: str
    areas_to_develop: str
    grade: str | None
    objective_ids: list[str]
    comment: str | None
    commented_at: datetime | None
    recorded_at: datetime
    version: int


class ObservationLog(Projection):
    name = "observation_log"
    tables = (OBSERVATIONS, NAMES)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return (
            Handlers(name_handlers(NAMES))
            .on(ev.ObservationRecorded, self._recorded)
            .on(ev.ObservationCommented, self._commented)
        )

    def _recorded(self, b: Batch, e: Event[ev.ObservationRecorded]) -> None:
        d = e.event
        row: dict[str, Any] = {
            "trust_id": id_text(d.trust_id),
            "school_id": id_text(d.school_id),
            "cycle_id": id_text(d.cycle_id),
            "review_id": id_text(d.review_id),
            "observed_id": id_text(d.observed_id),
            "observer_id": id_text(d.observer_id),
            "kind": d.kind.value,
            "held_on": d.held_on.isoformat(),
            "context": d.context,
            "strengths": d.strengths,
            "areas_to_develop": d.areas_to_develop,
            "grade": d.grade,
            "observation_id": e.originator_id,
            "focus_standards": list(d.focus_standards),
            "objective_ids": [id_text(o) for o in d.objective_ids],
            "comment": None,
            "commented_at": None,
            "recorded_at": when(e),
            "version": e.originator_version,
        }
        b.rows(OBSERVATIONS).put(row)

    def _commented(self, b: Batch, e: Event[ev.ObservationCommented]) -> None:
        rows = b.rows(OBSERVATIONS)
        row = rows.get(e.originator_id)
        if row is not None:
            rows.put(
                {
                    **row,
                    "comment": e.event.comment,
                    "commented_at": when(e),
                    "version": e.originator_version,
                }
            )


def get_observation(db: Database, observation_id: UUID) -> ObservationView | None:
    rows = select(db, OBSERVATIONS, "observation_id = ?", [("id", observation_id)])
    return as_model(ObservationView, rows)[0] if rows else None


def observations_of(
    db: Database, observed_id: UUID, cycle_id: UUID | None = None
) -> list[ObservationView]:
    where = "observed_id = ?"
    params: list[tuple[ColumnType, Any]] = [("id", observed_id)]
    if cycle_id is not None:
        where += " AND cycle_id = ?"
        params.append(("id", cycle_id))
    rows = select(db, OBSERVATIONS, where, params, "ORDER BY held_on DESC")
    return as_model(ObservationView, rows)


@dataclass(frozen=True, slots=True)
class StandardCount:
    standard: str
    title: str
    observations: int


@dataclass(frozen=True, slots=True)
class SchoolFocus:
    school_id: UUID
    school: str
    observations: int
    learning_walks: int
    standards: list[StandardCount]


@dataclass(frozen=True, slots=True)
class StandardsFocus:
    trust_id: UUID
    cycle_id: UUID
    cycle: str
    schools: list[SchoolFocus]
    trust: list[StandardCount]


def _counts(rows: list[dict[str, Any]]) -> list[StandardCount]:
    # An observation counts once per headline standard it focused on (TS2 and TS2c: once).
    counter: Counter[str] = Counter()
    for r in rows:
        counter.update({headline(s) for s in r["focus_standards"]})
    order = list(TITLES)
    return [
        StandardCount(s, TITLES.get(s, s), n)
        for s, n in sorted(
            counter.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99
        )
    ]


def standards_focus(
    db: Database, trust_id: UUID, cycle_id: UUID, school_ids: set[UUID] | None = None
) -> StandardsFocus:
    rows = select(
        db,
        OBSERVATIONS,
        "trust_id = ? AND cycle_id = ?",
        [("id", trust_id), ("id", cycle_id)],
    )
    if school_ids is not None:
        rows = [r for r in rows if r["school_id"] in school_ids]
    schools = sorted({r["school_id"] for r in rows}, key=str)
    names = names_of(db, NAMES, [*schools, cycle_id])
    per_school = sorted(
        (
            SchoolFocus(
                s,
                names.get(s, "Unnamed school"),
                sum(1 for r in rows if r["school_id"] == s and r["kind"] == "lesson_observation"),
                sum(1 for r in rows if r["school_id"] == s and r["kind"] == "learning_walk"),
                _counts([r for r in rows if r["school_id"] == s]),
            )
            for s in schools
        ),
        key=lambda f: f.school,
    )
    return StandardsFocus(trust_id, cycle_id, names.get(cycle_id, ""), per_school, _counts(rows))
