"""objective_revisions: every change to every objective (field, old, new, reason, actor, time).

Drafting records each initial field (old value none), so an objective's fields at any point
can be read from its revisions alone. Status changes are rows too (field ``status``). Each row
also keeps where it belongs at the time of the change: the appraisee's school on that day (from
the assignment history, as known at that point of the log) and the objective's priority once
the change was made, so a cycle's changes can be read per school or per priority.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from events import objective as ob
from events import review as rv
from events import staff
from events.base import DomainEvent
from projections.engine.common import (
    as_model,
    assignments_table,
    day,
    field_values,
    objective_status,
    originators,
    record_assignment,
    school_at,
    select,
    when,
)
from projections.engine.core import Event, Handler, Projection
from projections.engine.db import Column, ColumnType, Database, Table
from projections.engine.workset import Batch, Row

REVISIONS = Table(
    "objective_revisions",
    (
        Column("position", "int", False),
        Column("seq", "int", False),
        Column("objective_id", "id", False),
        Column("review_id", "id"),
        Column("cycle_id", "id"),
        Column("school_id", "id"),
        Column("priority_id", "id"),
        Column("event_type", "text", False),
        Column("field", "text", False),
        Column("old_value", "json"),
        Column("new_value", "json"),
        Column("reason", "text"),
        Column("actor_id", "id"),
        Column("actor_role", "text"),
        Column("timestamp", "ts", False),
        Column("version", "int", False),
    ),
    key=("position", "seq"),
    # One per query, each ending in the page order so a page is one index range.
    indexes=(
        ("objective_id", "position", "seq"),
        ("cycle_id", "position", "seq"),
        ("cycle_id", "school_id", "position", "seq"),
        ("cycle_id", "priority_id", "position", "seq"),
        ("review_id", "position", "seq"),
    ),
)
STATE = Table(
    "objective_revisions_state",
    (
        Column("objective_id", "id", False),
        Column("review_id", "id"),
        Column("cycle_id", "id"),
        Column("appraisee_id", "id"),
        Column("start_school_id", "id"),
        Column("priority_id", "id"),
        Column("agreed_by_appraisee", "bool", False),
        Column("agreed_by_appraiser", "bool", False),
        Column("set_without_agreement", "bool", False),
        Column("withdrawn", "bool", False),
        Column("outcome", "text"),
        Column("carried_forward_to", "id"),
        Column("progress_percent", "int"),
    ),
    key=("objective_id",),
    public=False,
)
# The school each review started in: where its objectives count before any assignment.
REVIEWS = Table(
    "objective_revisions_reviews",
    (Column("review_id", "id", False), Column("school_id", "id")),
    key=("review_id",),
    public=False,
)
ASSIGNMENTS = assignments_table("objective_revisions")
_INITIAL_FIELDS = (
    "title",
    "description",
    "success_criteria",
    "standards",
    "priority_id",
    "due_date",
)


@dataclass(frozen=True, slots=True)
class Revision:
    position: int
    seq: int
    objective_id: UUID
    review_id: UUID | None
    cycle_id: UUID | None
    school_id: UUID | None
    priority_id: UUID | None
    event_type: str
    field: str
    old_value: Any
    new_value: Any
    reason: str | None
    actor_id: UUID | None
    actor_role: str | None
    timestamp: datetime
    version: int


class ObjectiveRevisions(Projection):
    name = "objective_revisions"
    # 2: rows carry school_id and priority_id.
    schema_version = 2
    rebuild_cost = 2
    tables = (REVISIONS, STATE, REVIEWS, ASSIGNMENTS)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return {
            rv.ReviewStarted: self._review_started,
            staff.AssignedToSchool: lambda b, e: record_assignment(b.rows(ASSIGNMENTS), e),
            ob.ObjectiveDrafted: self._drafted,
            ob.ObjectiveSetWithoutAgreement: self._flags("set_without_agreement", "reason"),
            ob.DisagreementRecorded: self._disagreement,
            ob.ObjectiveRevised: self._revised,
            ob.ObjectiveAgreed: self._agreed,
            ob.ProgressRecorded: self._progress,
            ob.ObjectiveAssessed: self._assessed,
            ob.ObjectiveWithdrawn: self._flags("withdrawn", "reason"),
            ob.ObjectiveReinstated: self._reinstated,
            ob.ObjectiveCarriedForward: self._carried_forward,
        }

    def prefetch(self, batch: Batch, events: Sequence[Event]) -> None:
        states = batch.rows(STATE)
        states.load(e.originator_id for e in events if e.type not in _NOT_OBJECTIVE)
        batch.rows(REVIEWS).load(field_values(events, ["ObjectiveDrafted"], "review_id"))
        people = field_values(events, ["ObjectiveDrafted"], "appraisee_id")
        people |= originators(events, ["AssignedToSchool"])
        people |= {s["appraisee_id"] for s in states.loaded()} - {None}
        batch.rows(ASSIGNMENTS).load(people)

    def _review_started(self, b: Batch, e: Event) -> None:
        b.rows(REVIEWS).put({"review_id": e.originator_id, "school_id": e.data["school_id"]})

    def _record(self, b: Batch, e: Event, changes: list[tuple[str, Any, Any]], reason: Any) -> None:
        """Rows for an event's changes, placed by the objective's state after the event."""
        state = b.rows(STATE).get(e.originator_id) or {}
        appraisee = state.get("appraisee_id")
        school = None
        if appraisee is not None:
            school = school_at(b.rows(ASSIGNMENTS), appraisee, day(e), state["start_school_id"])
        add = b.appender(REVISIONS).add
        at = when(e)
        for seq, (field, old, new) in enumerate(changes):
            add(
                e.position,
                seq,
                e.originator_id,
                state.get("review_id"),
                state.get("cycle_id"),
                school,
                state.get("priority_id"),
                e.type,
                field,
                old,
                new,
                reason,
                e.data.get("actor_id"),
                e.data.get("actor_role"),
                at,
                e.originator_version,
            )

    def _update(self, b: Batch, e: Event, **fields: Any) -> list[tuple[str, Any, Any]]:
        """Change the objective's state; the status change it makes, if any."""
        rows = b.rows(STATE)
        state = rows.get(e.originator_id)
        if state is None:
            return []
        before = _status(state)
        state.update(fields)
        rows.put(state)
        after = _status(state)
        return [] if before == after else [("status", before, after)]

    def _drafted(self, b: Batch, e: Event) -> None:
        d = e.data
        review = b.rows(REVIEWS).get(d["review_id"]) or {}
        state: Row = {
            "objective_id": e.originator_id,
            "review_id": d["review_id"],
            "cycle_id": d["cycle_id"],
            "appraisee_id": d["appraisee_id"],
            "start_school_id": review.get("school_id"),
            "priority_id": d.get("priority_id"),
            "agreed_by_appraisee": False,
            "agreed_by_appraiser": False,
            "set_without_agreement": False,
            "withdrawn": False,
            "outcome": None,
            "carried_forward_to": None,
            "progress_percent": None,
        }
        b.rows(STATE).put(state)
        changes = [(f, None, d.get(f)) for f in _INITIAL_FIELDS if d.get(f) not in (None, [])]
        self._record(b, e, [*changes, ("status", None, _status(state))], None)

    def _flags(self, flag: str, reason_field: str) -> Handler:
        def handle(b: Batch, e: Event) -> None:
            self._record(b, e, self._update(b, e, **{flag: True}), e.data.get(reason_field))

        return handle

    def _disagreement(self, b: Batch, e: Event) -> None:
        self._record(b, e, [("disagreement", None, e.data["statement"])], e.data["statement"])

    def _revised(self, b: Batch, e: Event) -> None:
        changes = [(c["field"], c["old"], c["new"]) for c in e.data["changes"]]
        priority = {c["field"]: c["new"] for c in e.data["changes"] if c["field"] == "priority_id"}
        # Revising clears agreement: both must agree again.
        changes += self._update(
            b,
            e,
            **priority,
            agreed_by_appraisee=False,
            agreed_by_appraiser=False,
            set_without_agreement=False,
        )
        self._record(b, e, changes, e.data.get("reason"))

    def _agreed(self, b: Batch, e: Event) -> None:
        flag = f"agreed_by_{e.data['by']}"
        state = b.rows(STATE).get(e.originator_id) or {}
        changes = [(flag, bool(state.get(flag)), True)]
        self._record(b, e, changes + self._update(b, e, **{flag: True}), None)

    def _progress(self, b: Batch, e: Event) -> None:
        state = b.rows(STATE).get(e.originator_id) or {}
        old = state.get("progress_percent")
        self._update(b, e, progress_percent=e.data["percent"])
        self._record(b, e, [("progress_percent", old, e.data["percent"])], e.data.get("note"))

    def _assessed(self, b: Batch, e: Event) -> None:
        state = b.rows(STATE).get(e.originator_id) or {}
        changes = [("outcome", state.get("outcome"), e.data["outcome"])]
        changes += self._update(b, e, outcome=e.data["outcome"])
        self._record(b, e, changes, e.data.get("comment"))

    def _reinstated(self, b: Batch, e: Event) -> None:
        self._record(b, e, self._update(b, e, withdrawn=False), e.data.get("reason"))

    def _carried_forward(self, b: Batch, e: Event) -> None:
        to = e.data["to_objective_id"]
        changes = [("carried_forward_to", None, to), *self._update(b, e, carried_forward_to=to)]
        self._record(b, e, changes, None)


def _status(state: Row) -> str:
    return objective_status(state)


_NOT_OBJECTIVE = frozenset({"ReviewStarted", "AssignedToSchool"})


# ------------------------------------------------------------------------------ queries


def history(db: Database, objective_id: UUID) -> list[Revision]:
    """Every change to an objective, oldest first."""
    rows = select(
        db, REVISIONS, "objective_id = ?", [("id", objective_id)], "ORDER BY position, seq"
    )
    return as_model(Revision, rows)


def changes_in_cycle(
    db: Database,
    cycle_id: UUID,
    *,
    school_id: UUID | None = None,
    priority_id: UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    review_id: UUID | None = None,
    after: tuple[int, int] | None = None,
    after_position: int = 0,
    limit: int = 500,
) -> list[Revision]:
    """How objectives changed over a cycle, a page at a time in log order.

    Filters: the school the appraisee was at on the day of the change, the objective's
    priority once the change was made, ``since <= timestamp < until``, one review. The next
    page starts after the last row's ``(position, seq)`` (``after``); ``after_position``
    skips every row of the positions up to it.
    """
    where = ["cycle_id = ?"]
    params: list[tuple[ColumnType, Any]] = [("id", cycle_id)]
    for column, value in (
        ("school_id", school_id),
        ("priority_id", priority_id),
        ("review_id", review_id),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(("id", value))
    if since is not None:
        where.append("timestamp >= ?")
        params.append(("ts", since))
    if until is not None:
        where.append("timestamp < ?")
        params.append(("ts", until))
    position, seq = max(after or (0, -1), (after_position, 1 << 30))
    # A row-value comparison: both databases read it as one range of the (.., position, seq)
    # index.
    where.append("(position, seq) > (?, ?)")
    params += [("int", position), ("int", seq)]
    rows = select(
        db,
        REVISIONS,
        " AND ".join(where),
        params,
        f"ORDER BY position, seq LIMIT {max(int(limit), 0)}",
    )
    return as_model(Revision, rows)
