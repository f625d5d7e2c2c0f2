"""Events of subject access: a copy of everything held about a person was produced.

Recorded on the person's own staff record, so the next export shows it too. It says who
produced which export, for whom and when, and a digest of what was handed over; never the
exported data itself.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from events.base import DomainEvent, register


@register("SubjectAccessExported")
class SubjectAccessExported(DomainEvent):
    audit_summary: ClassVar[str] = (
        "Subject access export for {person_id} ({format}): {event_count} events, "
        "{row_count} read-model rows, {file_count} files, up to log position {up_to_position}"
    )

    trust_id: UUID
    person_id: UUID
    # json, html, pdf or zip: what was handed over.
    format: str
    # The log position the export read up to, and what it held (counts only).
    up_to_position: int
    event_count: int
    row_count: int
    file_count: int
    # SHA-256 of the export's JSON document: which export this was, without its content.
    sha256: str
