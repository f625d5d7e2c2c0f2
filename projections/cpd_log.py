"""cpd_log: every CPD activity with its links, effort, reflection and impact; a person's log.

Beside the activities it keeps what the CPD views need of objectives (their priority and
outcome) and of reviews (trust and school), so the school and trust CPD views
(``cpd_summary``) read only this read model's tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from events import cpd as ev
from events import objective as ob
from events import review as rv
from events.base import DomainEvent
from projections.engine.common import as_model, of_type, originators, select, text, when
from projections.engine.core import Event, Handler, Handlers, Projection, id_text
from projections.engine.db import Column, ColumnType, Database, Table
from projections.engine.workset import Batch
from projections.names import name_handlers, names_table

ACTIVITIES = Table(
    "cpd_activities",
    (
        Column("activity_id", "id", False),
        Column("trust_id", "id", False),
        Column("school_id", "id", False),
        Column("cycle_id", "id", False),
        Column("review_id", "id", False),
        Column("staff_id", "id", False),
        Column("title", "text", False),
        Column("provider", "text", False),
        Column("kind", "text", False),
        Column("starts_on", "date", False),
        Column("ends_on", "date", False),
        Column("planned_minutes", "int", False),
        Column("planned_cost_pence", "int", False),
        Column("minutes", "int"),
        Column("cost_pence", "int"),
        Column("status", "text", False),
        Column("completed_on", "date"),
        Column("reflection", "text"),
        Column("impact", "text"),
        Column("cancel_reason", "text"),
        Column("objective_ids", "json", False),
        Column("development_needs", "json", False),
        Column("planned_by", "id"),
        Column("created_at", "ts", False),
        Column("updated_at", "ts", False),
        Column("version", "int", False),
    ),
    key=("activity_id",),
    indexes=(("staff_id", "cycle_id"), ("trust_id", "cycle_id"), ("school_id", "cycle_id")),
)
OBJECTIVES = Table(
    "cpd_objectives",
    (
        Column("objective_id", "id", False),
        Column("trust_id", "id"),
        Column("school_id", "id"),
        Column("cycle_id", "id", False),
        Column("appraisee_id", "id", False),
        Column("title", "text", False),
        Column("priority_id", "id"),
        Column("outcome", "text"),
        Column("withdrawn", "bool", False),
    ),
    key=("objective_id",),
    indexes=(("trust_id", "cycle_id"),),
)
REVIEWS = Table(
    "cpd_reviews",
    (Column("review_id", "id", False), Column("trust_id", "id"), Column("school_id", "id")),
    key=("review_id",),
    public=False,
)
NAMES = names_table("cpd")


@dataclass(frozen=True, slots=True)
class CpdActivityView:
    activity_id: UUID
    trust_id: UUID
    school_id: UUID
    cycle_id: UUID
    review_id: UUID
    staff_id: UUID
    title: str
    provider: str
    kind: str
    starts_on: date
    ends_on: date
    planned_minutes: int
    planned_cost_pence: int
    minutes: int | None
    cost_pence: int | None
    status: str
    completed_on: date | None
    reflection: str | None
    impact: str | None
    cancel_reason: str | None
    objective_ids: list[str]
    development_needs: list[str]
    planned_by: UUID | None
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class LinkedObjective:
    objective_id: UUID
    trust_id: UUID | None
    school_id: UUID | None
    cycle_id: UUID
    appraisee_id: UUID
    title: str
    priority_id: UUID | None
    outcome: str | None
    withdrawn: bool


def minutes(hours: float) -> int:
    return round(hours * 60)


class CpdLog(Projection):
    name = "cpd_log"
    tables = (ACTIVITIES, OBJECTIVES, REVIEWS, NAMES)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return (
            Handlers(name_handlers(NAMES))
            .on(rv.ReviewStarted, self._review_started)
            .on(ob.ObjectiveDrafted, self._objective_drafted)
            .on(ob.ObjectiveRevised, self._objective_revised)
            .on(
                ob.ObjectiveAssessed,
                lambda b, e: self._objective(b, e, outcome=e.event.outcome.value),
            )
            .on(ob.ObjectiveWithdrawn, lambda b, e: self._objective(b, e, withdrawn=True))
            .on(
                ob.ObjectiveReinstated,
                lambda b, e: self._objective(b, e, withdrawn=False, outcome=None),
            )
            .on(ev.CpdPlanned, self._planned)
            .on(ev.CpdCompleted, self._completed)
            .on(
                ev.CpdReflected,
                lambda b, e: self._activity(
                    b, e, reflection=e.event.reflection, impact=e.event.impact.value
                ),
            )
            .on(
                ev.CpdCancelled,
                lambda b, e: self._activity(b, e, status="cancelled", cancel_reason=e.event.reason),
            )
        )

    def prefetch(self, batch: Batch, events: Sequence[Event]) -> None:
        cpd = ["CpdCompleted", "CpdReflected", "CpdCancelled"]
        batch.rows(ACTIVITIES).load(originators(events, cpd))
        objective_events = ["ObjectiveRevised", "ObjectiveAssessed", "ObjectiveWithdrawn"]
        batch.rows(OBJECTIVES).load(originators(events, objective_events))
        batch.rows(REVIEWS).load(id_text(d.review_id) for d in of_type(events, ob.ObjectiveDrafted))

    def _review_started(self, b: Batch, e: Event[rv.ReviewStarted]) -> None:
        d = e.event
        b.rows(REVIEWS).put(
            {
                "review_id": e.originator_id,
                "trust_id": id_text(d.trust_id),
                "school_id": id_text(d.school_id),
            }
        )

    def _objective_drafted(self, b: Batch, e: Event[ob.ObjectiveDrafted]) -> None:
        d = e.event
        review = b.rows(REVIEWS).get(id_text(d.review_id)) or {}
        b.rows(OBJECTIVES).put(
            {
                "objective_id": e.originator_id,
                "trust_id": review.get("trust_id"),
                "school_id": review.get("school_id"),
                "cycle_id": id_text(d.cycle_id),
                "appraisee_id": id_text(d.appraisee_id),
                "title": d.title,
                "priority_id": text(d.priority_id),
                "outcome": None,
                "withdrawn": False,
            }
        )

    def _objective_revised(self, b: Batch, e: Event[ob.ObjectiveRevised]) -> None:
        changes = {c.field: c.new for c in e.event.changes}
        fields = {k: changes[k] for k in ("title", "priority_id") if k in changes}
        if fields:
            self._objective(b, e, **fields)

    def _completed(self, b: Batch, e: Event[ev.CpdCompleted]) -> None:
        d = e.event
        self._activity(
            b,
            e,
            status="done",
            completed_on=d.completed_on.isoformat(),
            minutes=minutes(d.hours),
            cost_pence=d.cost_pence,
        )

    def _objective(self, b: Batch, e: Event, **fields: Any) -> None:
        rows = b.rows(OBJECTIVES)
        row = rows.get(e.originator_id)
        if row is not None:
            rows.put({**row, **fields})

    def _planned(self, b: Batch, e: Event[ev.CpdPlanned]) -> None:
        d = e.event
        at = when(e)
        b.rows(ACTIVITIES).put(
            {
                "activity_id": e.originator_id,
                "trust_id": id_text(d.trust_id),
                "school_id": id_text(d.school_id),
                "cycle_id": id_text(d.cycle_id),
                "review_id": id_text(d.review_id),
                "staff_id": id_text(d.staff_id),
                "title": d.title,
                "provider": d.provider,
                "kind": d.kind.value,
                "starts_on": d.starts_on.isoformat(),
                "ends_on": d.ends_on.isoformat(),
                "planned_minutes": minutes(d.hours),
                "planned_cost_pence": d.cost_pence,
                "minutes": None,
                "cost_pence": None,
                "status": "planned",
                "completed_on": None,
                "reflection": None,
                "impact": None,
                "cancel_reason": None,
                "objective_ids": [id_text(o) for o in d.objective_ids],
                "development_needs": list(d.development_needs),
                "planned_by": id_text(d.actor_id),
                "created_at": at,
                "updated_at": at,
                "version": e.originator_version,
            }
        )

    def _activity(self, b: Batch, e: Event, **fields: Any) -> None:
        rows = b.rows(ACTIVITIES)
        row = rows.get(e.originator_id)
        if row is not None:
            rows.put({**row, **fields, "updated_at": when(e), "version": e.originator_version})


# ------------------------------------------------------------------------------ queries


def get_activity(db: Database, activity_id: UUID) -> CpdActivityView | None:
    rows = select(db, ACTIVITIES, "activity_id = ?", [("id", activity_id)])
    return as_model(CpdActivityView, rows)[0] if rows else None


def person_log(db: Database, staff_id: UUID, cycle_id: UUID | None = None) -> list[CpdActivityView]:
    """A person's CPD, newest first (one cycle, or all of them)."""
    where = "staff_id = ?"
    params: list[tuple[ColumnType, Any]] = [("id", staff_id)]
    if cycle_id is not None:
        where += " AND cycle_id = ?"
        params.append(("id", cycle_id))
    rows = select(db, ACTIVITIES, where, params, "ORDER BY starts_on DESC, created_at DESC")
    return as_model(CpdActivityView, rows)


def activities_for(db: Database, trust_id: UUID, cycle_id: UUID) -> list[CpdActivityView]:
    rows = select(
        db, ACTIVITIES, "trust_id = ? AND cycle_id = ?", [("id", trust_id), ("id", cycle_id)]
    )
    return as_model(CpdActivityView, rows)


def objectives_for(db: Database, trust_id: UUID, cycle_id: UUID) -> list[LinkedObjective]:
    rows = select(
        db, OBJECTIVES, "trust_id = ? AND cycle_id = ?", [("id", trust_id), ("id", cycle_id)]
    )
    return as_model(LinkedObjective, rows)


def objective_titles(db: Database, ids: Sequence[str]) -> dict[str, str]:
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = select(db, OBJECTIVES, f"objective_id IN ({marks})", [("id", UUID(i)) for i in ids])
    return {str(r["objective_id"]): r["title"] for r in rows}
