"""objective_current: one row per objective with its current fields, status and people.

The school is the appraisee's school on the day the objective was drafted (from the
assignment history), so staff who move later still count where they were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from events import objective as ob
from events import review as rv
from events import staff, trust
from events.base import DomainEvent, topic_of
from projections import objective_fold as fold
from projections.engine.common import (
    as_model,
    assignments_table,
    of_type,
    originators,
    record_assignment,
    school_at,
    select,
    when,
)
from projections.engine.core import Event, Handler, Handlers, Projection, id_text
from projections.engine.db import Column, Database, Table, typed
from projections.engine.workset import Batch, Row, Rows

OBJECTIVES = Table(
    "objective_current",
    (
        Column("objective_id", "id", False),
        Column("review_id", "id", False),
        Column("cycle_id", "id", False),
        Column("trust_id", "id"),
        Column("school_id", "id"),
        Column("appraisee_id", "id", False),
        Column("appraiser_id", "id"),
        Column("title", "text", False),
        Column("description", "text", False),
        Column("success_criteria", "json", False),
        Column("standards", "json", False),
        Column("priority_id", "id"),
        Column("priority_title", "text"),
        Column("due_date", "date"),
        Column("status", "text", False),
        Column("agreed_by_appraisee", "bool", False),
        Column("agreed_by_appraiser", "bool", False),
        Column("set_without_agreement", "bool", False),
        Column("disagreement", "text"),
        Column("progress_percent", "int"),
        Column("progress_note", "text"),
        Column("outcome", "text"),
        Column("assessment_comment", "text"),
        Column("withdrawn", "bool", False),
        Column("withdrawal_reason", "text"),
        Column("carried_forward_from", "id"),
        Column("carried_forward_to", "id"),
        Column("revisions", "int", False),
        Column("created_at", "ts", False),
        Column("updated_at", "ts", False),
        Column("version", "int", False),
    ),
    key=("objective_id",),
    indexes=(
        ("review_id",),
        ("appraisee_id", "cycle_id"),
        ("appraiser_id", "cycle_id"),
        ("school_id", "cycle_id", "status"),
        ("priority_id",),
    ),
)
REVIEWS = Table(
    "objective_current_reviews",
    (
        Column("review_id", "id", False),
        Column("trust_id", "id"),
        Column("school_id", "id"),
        Column("appraiser_id", "id"),
    ),
    key=("review_id",),
    public=False,
)
PRIORITIES = Table(
    "objective_current_priorities",
    (Column("priority_id", "id", False), Column("title", "text", False)),
    key=("priority_id",),
    public=False,
)
ASSIGNMENTS = assignments_table("objective_current")


@dataclass(frozen=True, slots=True)
class ObjectiveView:
    objective_id: UUID
    review_id: UUID
    cycle_id: UUID
    trust_id: UUID | None
    school_id: UUID | None
    appraisee_id: UUID
    appraiser_id: UUID | None
    title: str
    description: str
    success_criteria: list[str]
    standards: list[str]
    priority_id: UUID | None
    priority_title: str | None
    due_date: date | None
    status: str
    agreed_by_appraisee: bool
    agreed_by_appraiser: bool
    set_without_agreement: bool
    disagreement: str | None
    progress_percent: int | None
    progress_note: str | None
    outcome: str | None
    assessment_comment: str | None
    withdrawn: bool
    withdrawal_reason: str | None
    carried_forward_from: UUID | None
    carried_forward_to: UUID | None
    revisions: int
    created_at: datetime
    updated_at: datetime
    version: int


class ObjectiveCurrent(Projection):
    name = "objective_current"
    # 2: reinstating and revising clear what the aggregate clears (consistency oracle).
    schema_version = 2
    rebuild_cost = 3
    tables = (OBJECTIVES, REVIEWS, PRIORITIES, ASSIGNMENTS)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return (
            Handlers()
            .on(rv.ReviewStarted, self._review_started)
            .on(rv.AppraiserChanged, self._appraiser_changed)
            .on(staff.AssignedToSchool, lambda b, e: record_assignment(b.rows(ASSIGNMENTS), e))
            .on(trust.PriorityAdded, self._priority_added)
            .on(ob.ObjectiveDrafted, self._drafted)
            .on(ob.ObjectiveRevised, self._revised)
            .on(ob.ObjectiveAgreed, self._changed)
            .on(ob.ObjectiveSetWithoutAgreement, self._changed)
            .on(ob.DisagreementRecorded, self._changed)
            .on(ob.ProgressRecorded, self._changed)
            .on(ob.ObjectiveAssessed, self._changed)
            .on(ob.ObjectiveWithdrawn, self._changed)
            .on(ob.ObjectiveReinstated, self._changed)
            .on(ob.ObjectiveCarriedForward, self._changed)
        )

    def prefetch(self, batch: Batch, events: Sequence[Event]) -> None:
        _objectives(batch).load(e.originator_id for e in events if e.topic not in _NOT_OBJECTIVE)
        drafted = list(of_type(events, ob.ObjectiveDrafted))
        batch.rows(REVIEWS).load({id_text(d.review_id) for d in drafted})
        batch.rows(ASSIGNMENTS).load({id_text(d.appraisee_id) for d in drafted})
        batch.rows(ASSIGNMENTS).load(originators(events, ["AssignedToSchool"]))
        batch.rows(PRIORITIES).load({id_text(d.priority_id) for d in drafted if d.priority_id})

    # ------------------------------------------------------------ other aggregates

    def _review_started(self, b: Batch, e: Event[rv.ReviewStarted]) -> None:
        d = e.event
        b.rows(REVIEWS).put(
            {
                "review_id": e.originator_id,
                "trust_id": id_text(d.trust_id),
                "school_id": id_text(d.school_id),
                "appraiser_id": id_text(d.appraiser_id),
            }
        )

    def _appraiser_changed(self, b: Batch, e: Event[rv.AppraiserChanged]) -> None:
        appraiser = id_text(e.event.appraiser_id)
        reviews = b.rows(REVIEWS)
        review = reviews.get(e.originator_id)
        if review is not None:
            reviews.put({**review, "appraiser_id": appraiser})
        objectives = _objectives(b)
        for row in objectives.find("review_id", e.originator_id):
            row["appraiser_id"] = appraiser
            objectives.put(row)

    def _priority_added(self, b: Batch, e: Event[trust.PriorityAdded]) -> None:
        d = e.event
        b.rows(PRIORITIES).put({"priority_id": id_text(d.priority_id), "title": d.title})

    def _priority_title(self, b: Batch, priority_id: str | None) -> str | None:
        row = None if priority_id is None else b.rows(PRIORITIES).get(priority_id)
        return None if row is None else str(row["title"])

    # ------------------------------------------------------------------ objectives

    def _drafted(self, b: Batch, e: Event[ob.ObjectiveDrafted]) -> None:
        d = e.event
        review_id, appraisee_id = id_text(d.review_id), id_text(d.appraisee_id)
        review = b.rows(REVIEWS).get(review_id) or {}
        at = when(e)
        state = fold.drafted(d)
        row: Row = {
            "objective_id": e.originator_id,
            "review_id": review_id,
            "cycle_id": id_text(d.cycle_id),
            "trust_id": review.get("trust_id"),
            "school_id": school_at(
                b.rows(ASSIGNMENTS), appraisee_id, at[:10], review.get("school_id")
            ),
            "appraisee_id": appraisee_id,
            "appraiser_id": review.get("appraiser_id"),
            **state,
            "priority_title": self._priority_title(b, state["priority_id"]),
            "created_at": at,
            "updated_at": at,
            "version": e.originator_version,
        }
        _objectives(b).put(row)

    def _changed(self, b: Batch, e: Event[fold.ObjectiveChange]) -> None:
        """Any change after drafting: the shared fold says what it changes."""
        objectives = _objectives(b)
        row = objectives.get(e.originator_id)
        if row is None:  # history before this read model knew the objective: nothing to change
            return
        row.update(fold.changes(row, e.event))
        row["updated_at"] = when(e)
        row["version"] = e.originator_version
        objectives.put(row)

    def _revised(self, b: Batch, e: Event[ob.ObjectiveRevised]) -> None:
        self._changed(b, e)
        row = _objectives(b).get(e.originator_id)
        if row is not None and "priority_id" in fold.revised_fields(e.event):
            row["priority_title"] = self._priority_title(b, row["priority_id"])


def _objectives(b: Batch) -> Rows:
    return b.rows(OBJECTIVES, index_on=("review_id",))


_NOT_OBJECTIVE = frozenset(
    topic_of(c)
    for c in (rv.ReviewStarted, rv.AppraiserChanged, staff.AssignedToSchool, trust.PriorityAdded)
)


# ------------------------------------------------------------------------------ queries


def get_objective(db: Database, objective_id: UUID) -> ObjectiveView | None:
    rows = select(db, OBJECTIVES, "objective_id = ?", [("id", objective_id)])
    return as_model(ObjectiveView, rows)[0] if rows else None


def objectives_for_review(db: Database, review_id: UUID) -> list[ObjectiveView]:
    rows = select(db, OBJECTIVES, "review_id = ?", [("id", review_id)], "ORDER BY created_at")
    return as_model(ObjectiveView, rows)


def objectives_for_appraisee(
    db: Database, appraisee_id: UUID, cycle_id: UUID
) -> list[ObjectiveView]:
    rows = select(
        db,
        OBJECTIVES,
        "appraisee_id = ? AND cycle_id = ?",
        [("id", appraisee_id), ("id", cycle_id)],
        "ORDER BY created_at",
    )
    return as_model(ObjectiveView, rows)


def objectives_for_appraiser(
    db: Database, appraiser_id: UUID, cycle_id: UUID
) -> list[ObjectiveView]:
    rows = select(
        db,
        OBJECTIVES,
        "appraiser_id = ? AND cycle_id = ?",
        [("id", appraiser_id), ("id", cycle_id)],
        "ORDER BY appraisee_id, created_at",
    )
    return as_model(ObjectiveView, rows)


def objectives_for_school(
    db: Database,
    school_id: UUID,
    cycle_id: UUID,
    status: str | None = None,
    *,
    after: tuple[UUID, datetime, UUID] | None = None,
    limit: int | None = None,
) -> list[ObjectiveView]:
    """Objectives counted at a school (where the appraisee was when they were drafted), by
    appraisee then creation: all of them, or a page of ``limit`` after the objective whose
    ``(appraisee_id, created_at, objective_id)`` is ``after`` (a school's cycle holds hundreds:
    building them all is most of the time the query takes)."""
    where = "school_id = ? AND cycle_id = ?"
    params: list[tuple[Any, Any]] = [("id", school_id), ("id", cycle_id)]
    if status is not None:
        where += " AND status = ?"
        params.append(("text", status))
    if after is not None:
        where += " AND (appraisee_id, created_at, objective_id) > (?, ?, ?)"
        params += [("id", after[0]), ("ts", after[1]), ("id", after[2])]
    tail = "ORDER BY appraisee_id, created_at, objective_id"
    if limit is not None:
        tail += f" LIMIT {int(limit)}"
    rows = select(db, OBJECTIVES, where, params, tail)
    return as_model(ObjectiveView, rows)


def priority_coverage(
    db: Database, school_ids: Sequence[UUID], cycle_id: UUID
) -> dict[tuple[UUID, UUID], int]:
    """How many objectives (not withdrawn) of the cycle each school links to each priority:
    ``{(school_id, priority_id): count}``, one grouped query on the (school, cycle) index."""
    if not school_ids:
        return {}
    marks = ",".join("?" * len(school_ids))
    with db.transaction(write=False) as tx:
        params = [tx.param("id", cycle_id), tx.param("bool", False)]
        params += [tx.param("id", s) for s in school_ids]
        rows = tx.query(
            f"SELECT school_id, priority_id, COUNT(*) FROM {OBJECTIVES.view} "
            f"WHERE cycle_id = ? AND withdrawn = ? AND priority_id IS NOT NULL "
            f"AND school_id IN ({marks}) GROUP BY school_id, priority_id",
            params,
        )
    return {(typed("id", s), typed("id", p)): int(n) for s, p, n in rows}
