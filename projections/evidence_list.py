"""evidence_list: the evidence attached to each objective and observation, files and links.

A file's row holds what its event recorded (hash, size, type, name), never its bytes;
removed evidence keeps its row (and hash) marked removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from events import evidence as ev
from events.base import DomainEvent
from projections.engine.common import as_model, select, when
from projections.engine.core import Event, Handler, Handlers, Projection, id_text
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


# The two ways evidence is attached: the fields both carry.
Attached = ev.EvidenceFileAttached | ev.EvidenceLinkAttached


class EvidenceList(Projection):
    name = "evidence_list"
    tables = (EVIDENCE,)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return (
            Handlers()
            .on(ev.EvidenceFileAttached, self._file)
            .on(ev.EvidenceLinkAttached, self._link)
            .on(ev.EvidenceRemoved, self._removed)
        )

    def _file(self, b: Batch, e: Event[ev.EvidenceFileAttached]) -> None:
        d = e.event
        self._attached(
            b,
            e,
            is_file=True,
            filename=d.filename,
            content_type=d.content_type,
            size=d.size,
            sha256=d.sha256,
            url=None,
        )

    def _link(self, b: Batch, e: Event[ev.EvidenceLinkAttached]) -> None:
        self._attached(
            b,
            e,
            is_file=False,
            filename=None,
            content_type=None,
            size=None,
            sha256=None,
            url=e.event.url,
        )

    def _attached(self, b: Batch, e: Event[Attached], **kind: Any) -> None:
        d = e.event
        b.rows(EVIDENCE).put(
            {
                "evidence_id": e.originator_id,
                "trust_id": id_text(d.trust_id),
                "school_id": id_text(d.school_id),
                "person_id": id_text(d.person_id),
                "subject": d.subject.value,
                "subject_id": id_text(d.subject_id),
                "title": d.title,
                **kind,
                "added_by": id_text(d.actor_id),
                "added_at": when(e),
                "removed": False,
                "removal_reason": None,
                "removed_at": None,
                "version": e.originator_version,
            }
        )

    def _removed(self, b: Batch, e: Event[ev.EvidenceRemoved]) -> None:
        rows = b.rows(EVIDENCE)
        row = rows.get(e.originator_id)
        if row is not None:
            rows.put(
                {
                    **row,
                    "removed": True,
                    "removal_reason": e.event.reason,
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
