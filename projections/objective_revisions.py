"""objective_revisions: every change to every objective (field, old, new, reason, actor, time).

Drafting records each initial field (old value none), so an objective's fields at any point
can be read from its revisions alone. Status changes are rows too (field ``status``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from events import objective as ob
from events.base import DomainEvent
from projections.common import as_model, objective_status, select, when
from projections.db import Column, ColumnType, Database, Table
from projections.engine import Event, Handler, Projection
from projections.workset import Batch, Row

REVISIONS = Table(
    "objective_revisions",
    (
        Column("position", "int", False),
        Column("seq", "int", False),
        Column("objective_id", "id", False),
        Column("review_id", "id"),
        Column("cycle_id", "id"),
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
    indexes=(("objective_id", "position"), ("cycle_id", "position"), ("review_id", "position")),
)
STATE = Table(
    "objective_revisions_state",
    (
        Column("objective_id", "id", False),
        Column("review_id", "id"),
        Column("cycle_id", "id"),
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
    rebuild_cost = 2
    tables = (REVISIONS, STATE)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return {
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
        batch.rows(STATE).load(e.originator_id for e in events)

    def _record(self, b: Batch, e: Event, changes: list[tuple[str, Any, Any]], reason: Any) -> None:
        state = b.rows(STATE).get(e.originator_id) or {}
        add = b.appender(REVISIONS).add
        at = when(e)
        for seq, (field, old, new) in enumerate(changes):
            add(
                e.position,
                seq,
                e.originator_id,
                state.get("review_id"),
                state.get("cycle_id"),
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
        state: Row = {
            "objective_id": e.originator_id,
            "review_id": d["review_id"],
            "cycle_id": d["cycle_id"],
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
        # Revising clears agreement: both must agree again.
        changes += self._update(
            b,
            e,
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
    review_id: UUID | None = None,
    after_position: int = 0,
    limit: int = 500,
) -> list[Revision]:
    """How objectives changed over a cycle (or one review), a page at a time in log order."""
    column, value = ("review_id", review_id) if review_id is not None else ("cycle_id", cycle_id)
    params: list[tuple[ColumnType, Any]] = [("id", value), ("int", after_position)]
    where = f"{column} = ? AND position > ?"
    if review_id is not None:
        where += " AND cycle_id = ?"
        params.append(("id", cycle_id))
    rows = select(db, REVISIONS, where, params, f"ORDER BY position, seq LIMIT {int(limit)}")
    return as_model(Revision, rows)
