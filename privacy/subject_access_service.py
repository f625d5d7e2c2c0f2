"""Producing a subject access export and recording that it was produced, in that order: the
export is built and rendered first, then ``SubjectAccessExported`` is recorded through the
command layer (which authorises it again); if recording is refused nothing is handed over.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from commands import messages as m
from commands.evidence_files import BlobStore
from commands.principal import Principal
from commands.service import CommandService
from privacy.export import SubjectAccessExport, build_export
from privacy.subject_access_render import bundle, render_html, render_pdf
from projections.engine.db import Database

Format = Literal["json", "html", "pdf", "zip"]
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "zip": "application/zip",
}


@dataclass(frozen=True, slots=True)
class Produced:
    export: SubjectAccessExport
    content: bytes
    media_type: str
    filename: str
    # Where ``SubjectAccessExported`` was recorded.
    position: int | None


def render(export: SubjectAccessExport, fmt: Format) -> bytes:
    if fmt == "json":
        return export.json()
    if fmt == "html":
        return render_html(export).encode()
    if fmt == "pdf":
        return render_pdf(export)
    return bundle(export)


def produce(
    db: Database,
    commands: CommandService,
    principal: Principal,
    person_id: UUID,
    fmt: Format,
    *,
    blobs: BlobStore | None = None,
) -> Produced:
    """Build, render and record one export (raises what the command layer raises when the
    principal may not record it, and ``UnknownPerson`` for an id with no staff record)."""
    export = build_export(db, person_id, blobs=blobs if fmt == "zip" else None)
    content = render(export, fmt)
    result = commands.execute(
        m.RecordSubjectAccessExport(
            person_id=person_id,
            format=fmt,
            up_to_position=export.up_to_position,
            event_count=len(export.events),
            row_count=export.row_count,
            file_count=len(export.files),
            sha256=hashlib.sha256(export.json()).hexdigest(),
        ),
        principal,
    )
    return Produced(
        export,
        content,
        MEDIA_TYPES[fmt],
        f"subject-access-{person_id}.{fmt}",
        result.position,
    )
