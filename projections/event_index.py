"""event_index: log position <-> timestamp <-> aggregate version, for as-of queries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from events.base import DomainEvent
from projections.engine.common import as_model, select
from projections.engine.core import TOPIC_PREFIX_LEN, Event, Handler, Projection
from projections.engine.db import Column, ColumnType, Database, Table, Tx
from projections.engine.workset import Batch

EVENT_INDEX = Table(
    "event_index",
    (
        Column("position", "int", False),
        Column("timestamp", "ts", False),
        Column("aggregate_id", "id", False),
        Column("aggregate_version", "int", False),
        Column("event_type", "text", False),
    ),
    key=("position",),
    indexes=(("timestamp", "position"), ("aggregate_id", "aggregate_version")),
)


@dataclass(frozen=True, slots=True)
class IndexEntry:
    position: int
    timestamp: datetime
    aggregate_id: UUID
    aggregate_version: int
    event_type: str


class EventIndex(Projection):
    """One row per event in the log, whatever its type."""

    name = "event_index"
    tables = (EVENT_INDEX,)
    all_topics = True
    sql_bulk = True

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return {}

    def apply(self, batch: Batch, events: Sequence[Event]) -> None:
        add = batch.appender(EVENT_INDEX).add
        for e in events:
            add(
                e.position,
                e.at,
                e.originator_id,
                e.originator_version,
                e.type,
            )

    def apply_sql(self, tx: Tx, generation: int, log: str, after: int, upto: int) -> None:
        tx.execute(
            f"INSERT INTO {EVENT_INDEX.physical(generation)} "
            "(position, timestamp, aggregate_id, aggregate_version, event_type) "
            "SELECT notification_id, "
            "(convert_from(state, 'UTF8')::jsonb ->> 'timestamp')::timestamptz, "
            f"originator_id, originator_version, substr(topic, {TOPIC_PREFIX_LEN + 1}) "
            f"FROM {log} WHERE notification_id > ? AND notification_id <= ?",
            [after, upto],
        )


def position_at(db: Database, moment: datetime) -> int:
    """The log position of the latest event recorded at or before ``moment`` (0: none)."""
    rows = select(
        db,
        EVENT_INDEX,
        "timestamp <= ?",
        [("ts", moment)],
        "ORDER BY timestamp DESC, position DESC LIMIT 1",
    )
    return int(rows[0]["position"]) if rows else 0


def entry_at(db: Database, position: int) -> IndexEntry | None:
    """The event at a log position."""
    rows = select(db, EVENT_INDEX, "position = ?", [("int", position)])
    return as_model(IndexEntry, rows)[0] if rows else None


def aggregate_events(
    db: Database, aggregate_id: UUID, *, until_position: int | None = None
) -> list[IndexEntry]:
    """An aggregate's events in version order, optionally only those up to a log position."""
    where = "aggregate_id = ?"
    params: list[tuple[ColumnType, object]] = [("id", aggregate_id)]
    if until_position is not None:
        where += " AND position <= ?"
        params.append(("int", until_position))
    return as_model(
        IndexEntry, select(db, EVENT_INDEX, where, params, "ORDER BY aggregate_version")
    )


def version_at(db: Database, aggregate_id: UUID, moment: datetime) -> int | None:
    """The aggregate's version as of ``moment`` (None: it did not exist yet)."""
    rows = select(
        db,
        EVENT_INDEX,
        "aggregate_id = ? AND timestamp <= ?",
        [("id", aggregate_id), ("ts", moment)],
        "ORDER BY aggregate_version DESC LIMIT 1",
    )
    return int(rows[0]["aggregate_version"]) if rows else None
