"""Names a read model shows beside ids: schools, staff, priorities and cycles.

Each read model that needs names keeps its own copy (a table made by ``names_table``), fed
by ``NAME_HANDLERS``, so it can be rebuilt alone. The trust directory, where there is one,
is the place for names over time; this is the minimum a page needs to show people, not ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID

from events import cycle, staff, trust
from events.base import DomainEvent
from projections.engine.common import select
from projections.engine.core import Event, Handler, Handlers, id_text
from projections.engine.db import Column, Database, Table
from projections.engine.workset import Batch


def names_table(prefix: str) -> Table:
    return Table(
        f"{prefix}_names",
        (Column("id", "id", False), Column("kind", "text", False), Column("name", "text", False)),
        key=("id",),
    )


def name_handlers(table: Table) -> Mapping[type[DomainEvent], Handler]:
    def put(b: Batch, id_: UUID, kind: str, name: str) -> None:
        b.rows(table).put({"id": id_text(id_), "kind": kind, "name": name})

    def put_own(b: Batch, e: Event[DomainEvent], kind: str, name: str) -> None:
        b.rows(table).put({"id": e.originator_id, "kind": kind, "name": name})

    return (
        Handlers()
        .on(trust.SchoolAdded, lambda b, e: put(b, e.event.school_id, "school", e.event.name))
        .on(
            trust.SchoolRenamed,
            lambda b, e: put(b, e.event.school_id, "school", e.event.new_name),
        )
        .on(
            trust.PriorityAdded,
            lambda b, e: put(b, e.event.priority_id, "priority", e.event.title),
        )
        .on(staff.StaffRegistered, lambda b, e: put_own(b, e, "staff", e.event.name))
        .on(cycle.CycleScheduled, lambda b, e: put_own(b, e, "cycle", e.event.name))
    )


def names_of(db: Database, table: Table, ids: Iterable[UUID | None]) -> dict[UUID, str]:
    wanted = sorted({i for i in ids if i is not None}, key=str)
    if not wanted:
        return {}
    found: dict[UUID, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = select(db, table, f"id IN ({marks})", [("id", i) for i in chunk])
        found.update({r["id"]: r["name"] for r in rows})
    return found
