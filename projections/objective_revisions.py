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
from events.base import DomainEvent, topic_of
from projections import objective_fold as fold
from projections.engine.common import (
    as_model,
    assignments_table,
    of_type,
    originators,
    pinned,
    record_assignment,
    school_at,
    select,
    when,
)
from projections.engine.core import Event, Handler, Handlers, Projection, id_text
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
        # A date range pages in time order: one range of these, not a walk of the cycle.
        ("cycle_id", "timestamp", "position", "seq"),
        ("cycle_id", "school_id", "timestamp", "position", "seq"),
        ("cycle_id", "priority_id", "timestamp", "position", "seq"),
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
    # 3: indexes in time order for date ranges.
    # 4: the shared objective fold: reinstating clears agreement and outcome, as the aggregate
    #    does, so the status row after a reinstatement reads "draft".
    schema_version = 4
    rebuild_cost = 2
    tables = (REVISIONS, STATE, REVIEWS, ASSIGNMENTS)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return (
            Handlers()
            .on(rv.ReviewStarted, self._review_started)
            .on(staff.AssignedToSchool, lambda b, e: record_assignment(b.rows(ASSIGNMENTS), e))
            .on(ob.ObjectiveDrafted, self._drafted)
            .on(ob.ObjectiveSetWithoutAgreement, self._changed)
            .on(ob.DisagreementRecorded, self._changed)
            .on(ob.ObjectiveRevised, self._changed)
            .on(ob.ObjectiveAgreed, self._changed)
            .on(ob.ProgressRecorded, self._changed)
            .on(ob.ObjectiveAssessed, self._changed)
            .on(ob.ObjectiveWithdrawn, self._changed)
            .on(ob.ObjectiveReinstated, self._changed)
            .on(ob.ObjectiveCarriedForward, self._changed)
        )

    def prefetch(self, batch: Batch, events: Sequence[Event]) -> None:
        states = batch.rows(STATE)
        states.load(e.originator_id for e in events if e.topic not in _NOT_OBJECTIVE)
        drafted = list(of_type(events, ob.ObjectiveDrafted))
        batch.rows(REVIEWS).load({id_text(d.review_id) for d in drafted})
        people = {id_text(d.appraisee_id) for d in drafted}
        people |= originators(events, ["AssignedToSchool"])
        people |= {s["appraisee_id"] for s in states.loaded()} - {None}
        batch.rows(ASSIGNMENTS).load(people)

    def _review_started(self, b: Batch, e: Event[rv.ReviewStarted]) -> None:
        b.rows(REVIEWS).put({"review_id": e.originator_id, "school_id": id_text(e.event.school_id)})

    def _record(self, b: Batch, e: Event, changes: list[tuple[str, Any, Any]], reason: Any) -> None:
        """Rows for an event's changes, placed by the objective's state after the event."""
        state = b.rows(STATE).get(e.originator_id) or {}
        appraisee = state.get("appraisee_id")
        at = when(e)
        school = None
        if appraisee is not None:
            school = school_at(b.rows(ASSIGNMENTS), appraisee, at[:10], state["start_school_id"])
        add = b.appender(REVISIONS).add
        d = e.event
        actor_id, actor_role = id_text(d.actor_id), d.actor_role.value
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
                actor_id,
                actor_role,
                at,
                e.originator_version,
            )

    def _drafted(self, b: Batch, e: Event[ob.ObjectiveDrafted]) -> None:
        d = e.event
        review_id = id_text(d.review_id)
        review = b.rows(REVIEWS).get(review_id) or {}
        initial = fold.drafted(d)
        state: Row = {
            "objective_id": e.originator_id,
            "review_id": review_id,
            "cycle_id": id_text(d.cycle_id),
            "appraisee_id": id_text(d.appraisee_id),
            "start_school_id": review.get("school_id"),
            **{k: initial[k] for k in _KEPT},  # type: ignore[literal-required]
        }
        b.rows(STATE).put(state)
        # A draft always has success criteria (the command asks for one): an empty list is
        # an erased appraisee's, and keeps its row, as the erasure's scrub does.
        changes: list[tuple[str, Any, Any]] = [
            (f, None, initial[f])  # type: ignore[literal-required]
            for f in _INITIAL_FIELDS
            if initial[f] is not None  # type: ignore[literal-required]
            and (initial[f] != [] or f == "success_criteria")  # type: ignore[literal-required]
        ]
        self._record(b, e, [*changes, ("status", None, initial["status"])], None)

    def _changed(self, b: Batch, e: Event[fold.ObjectiveChange]) -> None:
        """What the event says, as rows, and the status change the shared fold makes."""
        rows = b.rows(STATE)
        state = rows.get(e.originator_id)
        d = e.event
        changes = _said(state or {}, d)
        if state is not None:
            before = fold.status(state)
            new = fold.changes(state, d)
            after = new["status"]  # this state keeps no status: the fold always names it
            if before != after:
                changes.append(("status", before, after))
            for k, v in new.items():
                if k in _KEPT:
                    state[k] = v
            rows.put(state)
        # (Without a state: history before this read model knew the objective.)
        self._record(b, e, changes, _reason(d))


def _said(state: Row, d: fold.ObjectiveChange) -> list[tuple[str, Any, Any]]:
    """The (field, old, new) rows an event records besides the status."""
    match d:
        case ob.ObjectiveRevised():
            return [(c.field, c.old, c.new) for c in d.changes]
        case ob.DisagreementRecorded():
            return [("disagreement", None, d.statement)]
        case ob.ObjectiveAgreed():
            flag = f"agreed_by_{d.by.value}"
            return [(flag, bool(state.get(flag)), True)]
        case ob.ProgressRecorded():
            return [("progress_percent", state.get("progress_percent"), d.percent)]
        case ob.ObjectiveAssessed():
            return [("outcome", state.get("outcome"), d.outcome.value)]
        case ob.ObjectiveCarriedForward():
            return [("carried_forward_to", None, id_text(d.to_objective_id))]
        case _:
            return []


# The fold's fields this read model keeps (what its status and its rows' placing need).
_KEPT = frozenset(
    {
        "priority_id",
        "agreed_by_appraisee",
        "agreed_by_appraiser",
        "set_without_agreement",
        "withdrawn",
        "outcome",
        "carried_forward_to",
        "progress_percent",
    }
)


def _reason(d: fold.ObjectiveChange) -> str | None:
    """The words that come with a change, if any (the reason, the note, the comment)."""
    match d:
        case (
            ob.ObjectiveRevised()
            | ob.ObjectiveSetWithoutAgreement()
            | ob.ObjectiveWithdrawn()
            | ob.ObjectiveReinstated()
        ):
            return d.reason
        case ob.DisagreementRecorded():
            return d.statement
        case ob.ProgressRecorded():
            return d.note
        case ob.ObjectiveAssessed():
            return d.comment
        case _:
            return None


_NOT_OBJECTIVE = frozenset(topic_of(c) for c in (rv.ReviewStarted, staff.AssignedToSchool))


# ------------------------------------------------------------------------------ queries


def history(db: Database, objective_id: UUID) -> list[Revision]:
    """Every change to an objective, oldest first."""
    rows = select(
        db,
        REVISIONS,
        "objective_id = ?",
        [("id", objective_id)],
        "ORDER BY objective_id, position, seq",
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
    after_moment: datetime | None = None,
    after_position: int = 0,
    limit: int = 500,
) -> list[Revision]:
    """How objectives changed over a cycle, a page at a time.

    Filters: the school the appraisee was at on the day of the change, the objective's
    priority once the change was made, ``since <= timestamp < until``, one review. Without a
    date range the page is in log order: the next starts after the last row's
    ``(position, seq)`` (``after``); ``after_position`` skips every row of the positions up
    to it. With a date range it is in time order (ties in log order), so that the range is
    one range of a ``(cycle_id, .., timestamp, position, seq)`` index: the next page starts
    after the last row's ``(timestamp, position, seq)`` (``after_moment`` and ``after``).
    """
    # Led by the filtered columns of the index meant to serve the page, the first pinned
    # (the same order for these rows; why: ``common.pinned``).
    if review_id is not None:
        leading = ["review_id"]
    elif school_id is not None:
        leading = ["cycle_id", "school_id"]
    elif priority_id is not None:
        leading = ["cycle_id", "priority_id"]
    else:
        leading = ["cycle_id"]
    lead = "".join(f"{c}, " for c in leading)
    where: list[str] = []
    params: list[tuple[ColumnType, Any]] = []
    for column, value in (
        ("cycle_id", cycle_id),
        ("school_id", school_id),
        ("priority_id", priority_id),
        ("review_id", review_id),
    ):
        if value is not None:
            where.append(pinned(db, column, "id") if column == leading[0] else f"{column} = ?")
            params.append(("id", value))
    if since is not None:
        where.append("timestamp >= ?")
        params.append(("ts", since))
    if until is not None:
        where.append("timestamp < ?")
        params.append(("ts", until))
    position, seq = max(after or (0, -1), (after_position, 1 << 30))
    if since is None and until is None:
        # A row-value comparison: both databases read it as one range of the
        # (.., position, seq) index.
        where.append("(position, seq) > (?, ?)")
        params += [("int", position), ("int", seq)]
        order = "position, seq"
    else:
        if after_moment is not None:
            where.append("(timestamp, position, seq) > (?, ?, ?)")
            params += [("ts", after_moment), ("int", position), ("int", seq)]
        order = "timestamp, position, seq"
    rows = select(
        db,
        REVISIONS,
        " AND ".join(where),
        params,
        f"ORDER BY {lead}{order} LIMIT {max(int(limit), 0)}",
    )
    return as_model(Revision, rows)
