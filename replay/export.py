"""The audit log exported as CSV or JSON Lines, streamed page by page in log order.

``audit_export`` yields encoded chunks (one per page of the ``audit_log`` read model), so an
HTTP response or a file can be written in bounded memory however long the log. The export
stops at the log position it started at: it is one consistent cut of the log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import fields
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import orjson

from projections import audit_log
from projections.audit_log import AuditEntry
from projections.db import Database
from projections.engine import EventLog

Format = Literal["csv", "jsonl"]
COLUMNS = tuple(f.name for f in fields(AuditEntry))
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
            yield _encode(mine, fmt)
            if counted is not None:
                counted(len(mine))
        if len(entries) < page or len(mine) < len(entries):
            return
        after = entries[-1].position


def _encode(entries: list[AuditEntry], fmt: Format) -> bytes:
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
