"""evidence_list: the evidence attached to each objective and observation, files and links.

A file's row holds what its event recorded (hash, size, type, name), never its bytes;
removed evidence keeps its row (and hash) marked removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from events import evidence as ev
from events.base import DomainEvent
from projections.engine.common import as_model, select, when
from projections.engine.core import Event, Handler, Projection
from projections.engine.db import Column, Database, Table
from projections.engine.workset import Batch

EVIDENCE = Table(
    "evidence_list",
    (
        Column("evidence_id", "id", False),
        Column("trust_id", "id", False),
        Column("school_id", "id", False),
        Column("person_id", "id", False),
        Column("subject", "text", False),
        Column("subject_id", "id", False),
        Column("title", "text", False),
        Column("is_file", "bool", False),
        Column("filename", "text"),
        Column("content_type", "text"),
        Column("size", "int"),
        Column("sha256", "text"),
        Column("url", "text"),
        Column("added_by", "id", False),
        Column("added_at", "ts", False),
        Column("removed", "bool", False),
        Column("removal_reason", "text"),
        Column("removed_at", "ts"),
        Column("version", "int", False),
    ),
    key=("evidence_id",),
    indexes=(("subject_id",), ("person_id",)),
)


@dataclass(frozen=True, slots=True)
class EvidenceView:
    evidence_id: UUID
    trust_id: UUID
    school_id: UUID
    person_id: UUID
    subject: str
    subject_id: UUID
    title: str
    is_file: bool
    filename: str | None
    content_type: str | None
    size: int | None
    sha256: str | None
    url: str | None
    added_by: UUID
    added_at: datetime
    removed: bool
    removal_reason: str | None
    removed_at: datetime | None
    version: int


class EvidenceList(Projection):
    name = "evidence_list"
    tables = (EVIDENCE,)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return {
            ev.EvidenceFileAttached: self._attached,
            ev.EvidenceLinkAttached: self._attached,
            ev.EvidenceRemoved: self._removed,
        }

    def _attached(self, b: Batch, e: Event) -> None:
        d = e.data
        is_file = e.type == "EvidenceFileAttached"
        b.rows(EVIDENCE).put(
            {
                "evidence_id": e.originator_id,
                "trust_id": d["trust_id"],
                "school_id": d["school_id"],
                "person_id": d["person_id"],
                "subject": d["subject"],
                "subject_id": d["subject_id"],
                "title": d["title"],
                "is_file": is_file,
                "filename": d.get("filename"),
                "content_type": d.get("content_type"),
                "size": d.get("size"),
                "sha256": d.get("sha256"),
                "url": d.get("url"),
                "added_by": d["actor_id"],
                "added_at": when(e),
                "removed": False,
                "removal_reason": None,
                "removed_at": None,
                "version": e.originator_version,
            }
        )

    def _removed(self, b: Batch, e: Event) -> None:
        rows = b.rows(EVIDENCE)
        row = rows.get(e.originator_id)
        if row is not None:
            rows.put(
                {
                    **row,
                    "removed": True,
                    "removal_reason": e.data["reason"],
                    "removed_at": when(e),
                    "version": e.originator_version,
                }
            )


def get_evidence(db: Database, evidence_id: UUID) -> EvidenceView | None:
    rows = select(db, EVIDENCE, "evidence_id = ?", [("id", evidence_id)])
    return as_model(EvidenceView, rows)[0] if rows else None


def evidence_for(db: Database, subject_id: UUID) -> list[EvidenceView]:
    rows = select(db, EVIDENCE, "subject_id = ?", [("id", subject_id)], "ORDER BY added_at")
    return as_model(EvidenceView, rows)
