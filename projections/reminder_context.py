"""reminder_context: what the reminder scheduler needs beside review_status.

Each trust's reminder policy, each person's name, email, school, category, line manager and
reminder preference, each cycle's state, and every "chase now" a leader asked for. The
scheduler (``reminders/``) reads these with one query per page of reviews.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from events import cycle as cy
from events import reminders as rm
from events import staff
from events.base import DomainEvent, topic_of
from projections.engine.common import select, text, when
from projections.engine.core import Event, Handler, Handlers, Projection, id_text
from projections.engine.db import Column, Database, Table, typed
from projections.engine.workset import Batch
from projections.review_status import REVIEWS, ReviewView

POLICIES = Table(
    "reminder_policies",
    (
        Column("trust_id", "id", False),
        Column("policy", "json", False),
        Column("changed_at", "ts", False),
    ),
    key=("trust_id",),
)
PEOPLE = Table(
    "reminder_people",
    (
        Column("staff_id", "id", False),
        Column("trust_id", "id", False),
        Column("name", "text", False),
        Column("email", "text", False),
        Column("category", "text", False),
        Column("school_id", "id"),
        Column("line_manager_id", "id"),
        Column("left_on", "date"),
        Column("frequency", "text", False),
        Column("optional_reminders", "bool", False),
    ),
    key=("staff_id",),
    indexes=(("school_id", "category"),),
)
CYCLES = Table(
    "reminder_cycles",
    (
        Column("cycle_id", "id", False),
        Column("trust_id", "id", False),
        Column("state", "text", False),
    ),
    key=("cycle_id",),
)
CHASES = Table(
    "reminder_chases",
    (
        Column("chase_id", "text", False),
        Column("review_id", "id", False),
        Column("milestone", "text", False),
        Column("recipients", "json", False),
        Column("note", "text", False),
        Column("actor_id", "id", False),
        Column("chased_at", "ts", False),
    ),
    key=("chase_id",),
    # ``review_id``: an erasure finds the chases of the person's reviews by it (their notes
    # are sealed under the appraisee's key; privacy/erasure.py scrubs rows by indexed ids).
    indexes=(("chased_at",), ("review_id",)),
)


class ReminderContext(Projection):
    name = "reminder_context"
    schema_version = 2  # 2: reminder_chases indexed by review_id
    tables = (POLICIES, PEOPLE, CYCLES, CHASES)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return (
            Handlers()
            .on(rm.ReminderPolicyChanged, self._policy)
            .on(staff.StaffRegistered, self._registered)
            .on(
                staff.AssignedToSchool,
                lambda b, e: self._person(b, e, school_id=id_text(e.event.school_id)),
            )
            .on(
                staff.LineManagerChanged,
                lambda b, e: self._person(b, e, line_manager_id=text(e.event.line_manager_id)),
            )
            .on(
                staff.StaffLeft,
                lambda b, e: self._person(b, e, left_on=e.event.effective_date.isoformat()),
            )
            .on(
                rm.ReminderPreferenceChanged,
                lambda b, e: self._person(
                    b,
                    e,
                    frequency=e.event.frequency.value,
                    optional_reminders=e.event.optional_reminders,
                ),
            )
            .on(cy.CycleScheduled, self._cycle_scheduled)
            .on(cy.CycleOpened, lambda b, e: self._cycle(b, e, "open"))
            .on(cy.CycleClosed, lambda b, e: self._cycle(b, e, "closed"))
            .on(cy.CycleReopened, lambda b, e: self._cycle(b, e, "open"))
            .on(rm.ReviewChased, self._chased)
        )

    def prefetch(self, batch: Batch, events: Sequence[Event]) -> None:
        batch.rows(PEOPLE).load({e.originator_id for e in events if e.topic in _PERSON_EVENTS})
        batch.rows(CYCLES).load({e.originator_id for e in events if e.topic in _CYCLE_EVENTS})

    def _policy(self, b: Batch, e: Event[rm.ReminderPolicyChanged]) -> None:
        policy = e.event.policy.model_dump(mode="json")
        b.rows(POLICIES).put({"trust_id": e.originator_id, "policy": policy, "changed_at": when(e)})

    def _registered(self, b: Batch, e: Event[staff.StaffRegistered]) -> None:
        d = e.event
        b.rows(PEOPLE).put(
            {
                "staff_id": e.originator_id,
                "trust_id": id_text(d.trust_id),
                "name": d.name,
                "email": d.email,
                "category": d.category.value,
                "school_id": None,
                "line_manager_id": None,
                "left_on": None,
                "frequency": rm.Frequency.IMMEDIATE.value,
                "optional_reminders": True,
            }
        )

    def _person(self, b: Batch, e: Event, **fields: Any) -> None:
        people = b.rows(PEOPLE)
        row = people.get(e.originator_id)
        if row is not None:
            row.update(fields)
            people.put(row)

    def _cycle_scheduled(self, b: Batch, e: Event[cy.CycleScheduled]) -> None:
        trust_id = id_text(e.event.trust_id)
        b.rows(CYCLES).put(
            {"cycle_id": e.originator_id, "trust_id": trust_id, "state": "scheduled"}
        )

    def _cycle(self, b: Batch, e: Event, state: str) -> None:
        cycles = b.rows(CYCLES)
        row = cycles.get(e.originator_id)
        if row is not None:
            cycles.put({**row, "state": state})

    def _chased(self, b: Batch, e: Event[rm.ReviewChased]) -> None:
        d = e.event
        b.rows(CHASES).put(
            {
                "chase_id": f"{e.originator_id}:{e.originator_version}",
                "review_id": e.originator_id,
                "milestone": d.milestone.value,
                "recipients": [id_text(r) for r in d.recipients],
                "note": d.note,
                "actor_id": id_text(d.actor_id),
                "chased_at": when(e),
            }
        )


_PERSON_EVENTS = frozenset(
    topic_of(c)
    for c in (
        staff.AssignedToSchool,
        staff.LineManagerChanged,
        staff.StaffLeft,
        rm.ReminderPreferenceChanged,
    )
)
_CYCLE_EVENTS = frozenset(topic_of(c) for c in (cy.CycleOpened, cy.CycleClosed, cy.CycleReopened))


# ------------------------------------------------------------------------------ queries


@dataclass(frozen=True, slots=True)
class PersonView:
    staff_id: UUID
    trust_id: UUID
    name: str
    email: str
    category: str
    school_id: UUID | None
    line_manager_id: UUID | None
    left_on: date | None
    frequency: str
    optional_reminders: bool


@dataclass(frozen=True, slots=True)
class ChaseView:
    chase_id: str
    review_id: UUID
    milestone: str
    recipients: list[str]
    note: str
    actor_id: UUID
    chased_at: datetime


def policies(db: Database) -> dict[UUID, dict[str, Any]]:
    """Every trust's stored reminder policy (as JSON); trusts not here use the defaults."""
    return {r["trust_id"]: r["policy"] for r in select(db, POLICIES, "1 = 1")}


def policy_for(db: Database, trust_id: UUID) -> dict[str, Any] | None:
    rows = select(db, POLICIES, "trust_id = ?", [("id", trust_id)])
    return rows[0]["policy"] if rows else None


def people(db: Database, ids: Iterable[UUID]) -> dict[UUID, PersonView]:
    """The people with these ids (one query per 5,000 on PostgreSQL, per 500 on SQLite)."""
    wanted = sorted({str(i) for i in ids})
    chunk_size = 5000 if db.dialect == "postgresql" else 500
    cols = PEOPLE.column_names
    types = [c.type for c in PEOPLE.columns]
    found: dict[UUID, PersonView] = {}
    with db.transaction(write=False) as tx:
        for start in range(0, len(wanted), chunk_size):
            where, params = tx.in_list("staff_id", "id", wanted[start : start + chunk_size])
            rows = tx.query(f"SELECT {', '.join(cols)} FROM {PEOPLE.view} WHERE {where}", params)
            for row in rows:
                person = (
                    PersonView(*row)
                    if tx.dialect == "postgresql"
                    else PersonView(*(typed(t, v) for t, v in zip(types, row, strict=True)))
                )
                found[person.staff_id] = person
    return found


def school_leaders(db: Database, school_ids: Iterable[UUID]) -> dict[UUID, list[PersonView]]:
    """The headteachers now at each school (who is told when something stays overdue)."""
    wanted = sorted({str(i) for i in school_ids})
    found: dict[UUID, list[PersonView]] = {}
    if not wanted:
        return found
    marks = ",".join("?" * len(wanted))
    rows = select(
        db,
        PEOPLE,
        f"category = 'headteacher' AND left_on IS NULL AND school_id IN ({marks})",
        [("id", i) for i in wanted],
        "ORDER BY name",
    )
    for row in rows:
        found.setdefault(row["school_id"], []).append(PersonView(**row))
    return found


def open_cycles(db: Database) -> set[UUID]:
    return {r["cycle_id"] for r in select(db, CYCLES, "state = 'open'")}


def chases_since(db: Database, since: datetime) -> list[ChaseView]:
    rows = select(db, CHASES, "chased_at >= ?", [("ts", since)], "ORDER BY chased_at")
    return [ChaseView(**r) for r in rows]


def reviews_page(
    db: Database, cycle_ids: Sequence[UUID], after: UUID | None, limit: int
) -> list[ReviewView]:
    """One keyset page of ``review_status`` for these cycles, in review id order.

    PostgreSQL's driver already returns UUIDs, dates and booleans, so rows become views
    without converting each value (this is the scan the reminder planner pages through).
    """
    cols = REVIEWS.column_names
    with db.transaction(write=False) as tx:
        where, params = tx.in_list("cycle_id", "id", [str(c) for c in cycle_ids])
        if after is not None:
            where += " AND review_id > ?"
            params.append(tx.param("id", after))
        rows = tx.query(
            f"SELECT {', '.join(cols)} FROM {REVIEWS.view} WHERE {where} "
            f"ORDER BY review_id LIMIT {int(limit)}",
            params,
        )
    if db.dialect == "postgresql":
        return [ReviewView(*row) for row in rows]
    types = [c.type for c in REVIEWS.columns]
    return [ReviewView(*(typed(t, v) for t, v in zip(types, row, strict=True))) for row in rows]
