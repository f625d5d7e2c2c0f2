"""What several read models share: staff assignment history, typed-event helpers, queries."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast
from uuid import UUID

from events.base import DomainEvent
from events.staff import AssignedToSchool
from projections.engine.core import Event, id_text
from projections.engine.db import Column, ColumnType, Database, Table, normalize_ts, typed
from projections.engine.workset import Row, Rows

T = TypeVar("T")
E = TypeVar("E", bound=DomainEvent)
_ZERO = timedelta(0)


def when(event: Event) -> str:
    """The event's timestamp, normalised (UTC, microseconds; worked out once per event)."""
    return event.at


def utc_text(at: datetime) -> str:
    """A timestamp as a row keeps it (``normalize_ts``), with a fast path for UTC."""
    if at.utcoffset() == _ZERO:
        return at.isoformat(timespec="microseconds")
    return normalize_ts(at)


def text(value: object) -> str | None:
    """A row value of an optional id (or date): its text, or None."""
    if value is None:
        return None
    return id_text(value) if isinstance(value, UUID) else str(value)


def of_type(events: Iterable[Event], cls: type[E]) -> Iterator[E]:
    """The typed events of one class among a batch's envelopes (for bulk prefetching)."""
    topic = cls.topic
    for e in events:
        if e.topic == topic:
            yield cast(E, e.event)


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


def record_assignment(rows: Rows, event: Event[AssignedToSchool]) -> None:
    """Keep the assignment history of ``AssignedToSchool`` events, ordered by effective date."""
    row = rows.get(event.originator_id) or {"staff_id": event.originator_id, "history": []}
    e = event.event
    history = [*row["history"], [e.effective_date.isoformat(), id_text(e.school_id)]]
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


def pinned(db: Database, column: str, type_: ColumnType) -> str:
    """``column = ?`` for the first column of the index meant to serve a page, written so that
    the page's ``ORDER BY column, ..`` is one only that index gives without a sort.

    PostgreSQL drops a column equal to a constant from the order; it could then walk another
    index in the remaining order (the log's, by position) and filter, betting that matches
    are spread evenly: a bet lost when they lie late in the log (a trust that joined last
    year). ``= ANY(ARRAY[?])`` is estimated as an equality but keeps the column in the order.
    """
    if db.dialect == "postgresql":
        return f"{column} = ANY(ARRAY[?]::{db.ddl_type(type_)}[])"
    return f"{column} = ?"


def as_model(cls: type[T], rows: Iterable[Row]) -> list[T]:
    return [cls(**row) for row in rows]
