"""A subject access export: everything held about one person, as JSON and as a readable
document (HTML, PDF), or a zip bundle with both and their evidence files.

``build_export`` reads the ledger (``privacy.subject_access``), the current read-model rows
about the person's own records, and their evidence files (listed with their SHA-256; their
bytes go into the bundle, checked against the hash the log recorded). It decides nothing
about who may ask: callers check ``commands.read_policy.may_export_subject_access`` and
record ``SubjectAccessExported`` after it (docs/privacy-subject-access.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson

from blobstore import BlobMissing
from commands.evidence_files import BlobStore, blob_key
from events import facts
from events.codec import forget_erased
from privacy.subject_access import (
    Collected,
    ExportedEvent,
    RecordInfo,
    collect,
    ids_of,
    readable,
    referenced_ids,
    summary_line,
)
from projections.catalogue import all_projections
from projections.directory import Names
from projections.engine.common import select
from projections.engine.db import Database, Table

# Read models whose rows are the log itself (every event as a row): the events section
# already holds what of them is the person's.
_LOG_TABLES = frozenset({"audit_log", "audit_log_scope", "event_index"})
# Columns that say whose a row is.
SUBJECT_COLUMNS = frozenset(
    {"staff_id", "person_id", "appraisee_id", "observed_id", "subject_id", "activity_id"}
)
_CHUNK = 400


class UnknownPerson(LookupError):
    """No staff record with this id (or not one the caller may export)."""


@dataclass(frozen=True, slots=True)
class ExportedFile:
    evidence_id: str
    title: str
    filename: str
    content_type: str
    size: int
    sha256: str
    removed: bool
    # In the bundle: the bytes were read and their hash matched the log's.
    included: bool = False


@dataclass(frozen=True, slots=True)
class ReadModelRows:
    read_model: str
    table: str
    rows: list[dict[str, Any]]


@dataclass(slots=True)
class SubjectAccessExport:
    person_id: str
    person_name: str
    trust_id: str
    produced_at: datetime
    up_to_position: int
    events: list[ExportedEvent]
    rows: list[ReadModelRows]
    files: list[ExportedFile]
    records: dict[str, RecordInfo]
    own_records: list[str]
    names: dict[str, str] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return sum(len(r.rows) for r in self.rows)

    def document(self) -> dict[str, Any]:
        """The JSON document: data with ids, and beside each id its name."""
        return {
            "format": "appraisal-ledger subject access export",
            "version": 1,
            "person": {"id": self.person_id, "name": self.person_name},
            "trust_id": self.trust_id,
            "produced_at": self.produced_at.isoformat(),
            "up_to_position": self.up_to_position,
            "redaction": (
                "Own records in full; organisation records without other people's personal "
                "data or free text; on other people's records only the step (type, time, "
                "who, the people and places named). Withheld fields are listed per event."
            ),
            "names": self.names,
            "records": {
                rid: {"kind": info.kind, "name": self.names.get(rid)}
                for rid, info in sorted(self.records.items())
                if rid in self.own_records
            },
            "events": [
                {
                    "position": e.position,
                    "timestamp": e.timestamp,
                    "record_id": e.record_id,
                    "record_name": self.names.get(e.record_id),
                    "record_version": e.record_version,
                    "event_type": e.event_type,
                    "record": e.record,
                    "relations": list(e.relations),
                    "actor_id": e.actor_id,
                    "actor_name": self.names.get(e.actor_id or ""),
                    "actor_role": e.actor_role,
                    "summary": self.summary(e),
                    "fields": e.fields,
                    "withheld": list(e.withheld),
                }
                for e in self.events
            ],
            "read_models": [
                {"read_model": r.read_model, "table": r.table, "rows": r.rows} for r in self.rows
            ],
            "files": [
                {
                    "evidence_id": f.evidence_id,
                    "title": f.title,
                    "filename": f.filename,
                    "content_type": f.content_type,
                    "size": f.size,
                    "sha256": f.sha256,
                    "removed": f.removed,
                }
                for f in self.files
            ],
        }

    def json(self) -> bytes:
        return orjson.dumps(self.document(), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)

    def summary(self, e: ExportedEvent) -> str:
        cls = facts.event_class(e.event_type)
        template = facts.audit_summary(cls) if cls is not None else e.event_type
        return summary_line(e, template, self.names)

    def readable(self, value: Any) -> str:
        return readable(value, self.names)


def build_export(
    db: Database,
    person_id: UUID,
    *,
    blobs: BlobStore | None = None,
    now: datetime | None = None,
) -> SubjectAccessExport:
    """Everything about ``person_id``; their files' bytes too when ``blobs`` is given."""
    forget_erased()  # an export is handed out: nothing read with a key since erased
    collected = collect(db, person_id)
    me = collected.records.get(str(person_id))
    if me is None or me.kind != "staff record":
        raise UnknownPerson(str(person_id))
    registered = next((e for e in collected.events if e.event_type == "StaffRegistered"), None)
    trust_id = str(registered.fields.get("trust_id")) if registered else ""
    rows = read_model_rows(db, collected)
    files = _files(collected)
    names = _names(db, collected, rows)
    out = SubjectAccessExport(
        person_id=str(person_id),
        person_name=names.get(str(person_id), "this person"),
        trust_id=trust_id,
        produced_at=now or datetime.now(UTC),
        up_to_position=collected.up_to_position,
        events=collected.events,
        rows=rows,
        files=files,
        records=collected.records,
        own_records=collected.own_records,
        names=names,
    )
    if blobs is not None:
        _read_blobs(out, blobs)
    return out


def read_model_rows(db: Database, collected: Collected) -> list[ReadModelRows]:
    """The current rows of every read model about the person's own records: rows keyed by
    one of them, or whose subject column names the person or one of them."""
    own = collected.own_records
    out: list[ReadModelRows] = []
    for projection in all_projections():
        for table in projection.tables:
            if not table.public or table.name in _LOG_TABLES:
                continue
            columns = _owner_columns(table)
            if not columns or not own:
                continue
            found = _rows(db, table, columns, own)
            if found:
                out.append(ReadModelRows(projection.name, table.name, found))
    return out


def _owner_columns(table: Table) -> list[str]:
    return [
        c.name
        for c in table.columns
        if c.type == "id" and (c.name in table.key or c.name in SUBJECT_COLUMNS)
    ]


def _rows(
    db: Database, table: Table, columns: Sequence[str], own: Sequence[str]
) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for column in columns:
        for start in range(0, len(own), _CHUNK):
            chunk = own[start : start + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for row in select(db, table, f"{column} IN ({marks})", [("id", i) for i in chunk]):
                plain = orjson.loads(orjson.dumps(row, option=orjson.OPT_NON_STR_KEYS))
                seen[orjson.dumps(plain, option=orjson.OPT_SORT_KEYS).decode()] = plain
    return [seen[k] for k in sorted(seen)]


def _files(collected: Collected) -> list[ExportedFile]:
    removed = {e.record_id for e in collected.events if e.event_type == "EvidenceRemoved"}
    return [
        ExportedFile(
            evidence_id=e.record_id,
            title=str(e.fields.get("title", "")),
            filename=str(e.fields.get("filename", "")),
            content_type=str(e.fields.get("content_type", "")),
            size=int(e.fields.get("size", 0)),
            sha256=str(e.fields.get("sha256", "")),
            removed=e.record_id in removed,
        )
        for e in collected.events
        if e.event_type == "EvidenceFileAttached" and e.record == "own"
    ]


def _read_blobs(out: SubjectAccessExport, blobs: BlobStore) -> None:
    """Each file's bytes, when still held and matching the hash the log recorded."""
    files = []
    for f in out.files:
        data: bytes | None = None
        if not f.removed:
            try:
                data = blobs.get(blob_key(UUID(f.evidence_id)))
            except BlobMissing:
                data = None
        ok = data is not None and hashlib.sha256(data).hexdigest() == f.sha256
        if ok and data is not None:
            out.blobs[f.evidence_id] = data
        files.append(replace(f, included=ok))
    out.files = files


def _names(db: Database, collected: Collected, rows: list[ReadModelRows]) -> dict[str, str]:
    """A name for every id the export mentions: people, schools, cycles and priorities from
    the directory; the person's own records by their titles; other people's by whose."""
    wanted = ids_of(collected.events)
    for r in rows:
        wanted.update(referenced_ids(r.rows))
    wanted.update(collected.records)
    directory = Names(db).now(wanted)
    names: dict[str, str] = dict(directory)
    for rid, info in collected.records.items():
        if rid in names or rid not in wanted:
            continue
        names[rid] = record_name(rid, info, collected, directory)
    return {k: names[k] for k in sorted(names) if k in wanted}


def record_name(rid: str, info: RecordInfo, collected: Collected, directory: dict[str, str]) -> str:
    whose = directory.get(info.subject_id or "", "another person")
    cycle = directory.get(info.cycle_id or "")
    during = f" ({cycle})" if cycle else ""
    if rid in collected.own and info.title and info.kind == "staff record":
        return info.title
    if rid in collected.own and info.title:
        return f"“{info.title}”{during}"
    return f"{info.kind.capitalize()} of {whose}{during}"
