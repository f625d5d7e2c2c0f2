"""The audit log exported as CSV or JSON Lines, streamed page by page in log order.

``audit_export`` yields encoded chunks (one per page of the ``audit_log`` read model), so an
HTTP response or a file can be written in bounded memory however long the log. The export
stops at the log position it started at: it is one consistent cut of the log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import orjson

from projections import audit_log
from projections.audit_log import AuditEntry
from projections.directory import ids_in_text, label_then, named_text
from projections.engine.core import EventLog
from projections.engine.db import Database

Format = Literal["csv", "jsonl"]


@dataclass(frozen=True, slots=True)
class NamedAuditEntry:
    """An audit-log entry as a person reads it: the actor's and the aggregate's names, and the
    summary with the names of the people and things it mentions, as they were at the time."""

    position: int
    timestamp: datetime
    trust_id: UUID | None
    aggregate_type: str
    aggregate_id: UUID
    aggregate_name: str | None
    aggregate_version: int
    event_type: str
    actor_id: UUID | None
    actor_name: str | None
    actor_role: str | None
    summary: str


def named_entries(db: Database, entries: list[AuditEntry]) -> list[NamedAuditEntry]:
    """Entries with names as they were when each event happened (one lookup per page)."""
    wanted = [
        (e.position, [str(e.aggregate_id), *([str(e.actor_id)] if e.actor_id else [])])
        for e in entries
    ]
    then = label_then(
        db,
        [(p, [*ids, *ids_in_text(e.summary)]) for (p, ids), e in zip(wanted, entries, strict=True)],
    )
    out = []
    for e in entries:
        names = then.get(e.position, {})
        out.append(
            NamedAuditEntry(
                position=e.position,
                timestamp=e.timestamp,
                trust_id=e.trust_id,
                aggregate_type=e.aggregate_type,
                aggregate_id=e.aggregate_id,
                aggregate_name=names.get(str(e.aggregate_id)),
                aggregate_version=e.aggregate_version,
                event_type=e.event_type,
                actor_id=e.actor_id,
                actor_name=names.get(str(e.actor_id)) if e.actor_id else None,
                actor_role=e.actor_role,
                summary=named_text(e.summary, names),
            )
        )
    return out


COLUMNS = tuple(f.name for f in fields(NamedAuditEntry))
MEDIA_TYPES: dict[str, str] = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
PAGE = 2000
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def audit_export(
    db: Database,
    fmt: Format,
    *,
    trust_id: UUID | None = None,
    aggregate_id: UUID | None = None,
    actor_id: UUID | None = None,
    event_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = PAGE,
    counted: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """Every audit-log entry matching the filters, up to the log's head when it starts."""
    with db.transaction(write=False) as tx:
        upto = EventLog().head(tx)
    if fmt == "csv":
        yield _csv_line(COLUMNS)
    after = 0
    while True:
        entries = audit_log.audit_events(
            db,
            trust_id=trust_id,
            aggregate_id=aggregate_id,
            actor_id=actor_id,
            event_type=event_type,
            since=since,
            until=until,
            after_position=after,
            limit=page,
        )
        mine = [e for e in entries if e.position <= upto]
        if mine:
            yield _encode(named_entries(db, mine), fmt)
            if counted is not None:
                counted(len(mine))
        if len(entries) < page or len(mine) < len(entries):
            return
        after = entries[-1].position


def _encode(entries: list[NamedAuditEntry], fmt: Format) -> bytes:
    if fmt == "jsonl":
        return b"".join(orjson.dumps(e) + b"\n" for e in entries)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for e in entries:
        writer.writerow([_cell(getattr(e, c)) for c in COLUMNS])
    return out.getvalue().encode()


def _csv_line(values: tuple[str, ...]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue().encode()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text
