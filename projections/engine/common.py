"""What several read models share: staff assignment history, objective status, query helpers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from projections.engine.core import Event
from projections.engine.db import Column, ColumnType, Database, Table, normalize_ts, typed
from projections.engine.workset import Row, Rows

T = TypeVar("T")


def when(event: Event) -> str:
    """The event's timestamp, normalised (UTC, microseconds)."""
    return normalize_ts(event.data["timestamp"])


def day(event: Event) -> str:
    """The UTC date on which the event happened."""
    return when(event)[:10]


def field_values(events: Iterable[Event], types: Sequence[str], field: str) -> set[Any]:
    """``data[field]`` of the events of the given types (for bulk prefetching)."""
    wanted = set(types)
    return {e.data.get(field) for e in events if e.type in wanted} - {None}


def originators(events: Iterable[Event], types: Sequence[str] | None = None) -> set[str]:
    wanted = None if types is None else set(types)
    return {e.originator_id for e in events if wanted is None or e.type in wanted}


# ----------------------------------------------------------------- assignment history


def assignments_table(prefix: str) -> Table:
    """Where each member of staff worked, from when: one row per person, history as JSON."""
    return Table(
        f"{prefix}_assignments",
        (Column("staff_id", "id", False), Column("history", "json", False)),
        key=("staff_id",),
        public=False,
    )


def record_assignment(rows: Rows, event: Event) -> None:
    """Keep the assignment history of ``AssignedToSchool`` events, ordered by effective date."""
    row = rows.get(event.originator_id) or {"staff_id": event.originator_id, "history": []}
    history = [*row["history"], [event.data["effective_date"], event.data["school_id"]]]
    # Stable sort: two assignments effective the same day keep their log order.
    history.sort(key=lambda entry: entry[0])
    rows.put({**row, "history": history})


def school_at(rows: Rows, staff_id: str, on: str, fallback: str | None = None) -> str | None:
    """The school a member of staff was assigned to on a day (ISO date).

    Before their first assignment takes effect they count at their first school; with no
    assignment recorded at all, at ``fallback`` (e.g. the school their review started in).
    """
    row = rows.get(staff_id)
    if row is None or not row["history"]:
        return fallback
    school: str = row["history"][0][1]
    for effective, school_id in row["history"]:
        if effective > on:
            break
        school = school_id
    return school


# --------------------------------------------------------------------- objective status


def objective_status(row: Row) -> str:
    """One status from an objective's flags: the furthest point it has reached."""
    if row["withdrawn"]:
        return "withdrawn"
    if row["carried_forward_to"]:
        return "carried_forward"
    if row["outcome"]:
        return "assessed"
    if row["agreed_by_appraisee"] and row["agreed_by_appraiser"]:
        return "agreed"
    if row["set_without_agreement"]:
        return "set_without_agreement"
    if row["agreed_by_appraisee"] or row["agreed_by_appraiser"]:
        return "awaiting_agreement"
    return "draft"


# ------------------------------------------------------------------------------ queries


def select(
    db: Database,
    table: Table,
    where: str,
    params: Sequence[tuple[ColumnType, Any]] = (),
    tail: str = "",
) -> list[Row]:
    """Rows of a public table (through its live view), with typed values.

    Parameters come with their column type, so each database gets them in its own form.
    """
    cols = table.column_names
    types = [c.type for c in table.columns]
    with db.transaction(write=False) as tx:
        values = [tx.param(t, v) for t, v in params]
        rows = tx.query(f"SELECT {', '.join(cols)} FROM {table.view} WHERE {where} {tail}", values)
    return [{c: typed(t, v) for c, t, v in zip(cols, types, row, strict=True)} for row in rows]


def as_model(cls: type[T], rows: Iterable[Row]) -> list[T]:
    return [cls(**row) for row in rows]
