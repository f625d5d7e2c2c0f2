"""Events of the Evidence aggregate: a file or a link attached to an objective or observation.

A file's event records its hash, size, sniffed type and name, never its bytes (those live in
the blob store under the evidence id); removing evidence deletes the bytes, the hash stays.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from events.base import DomainEvent, register


class EvidenceSubject(StrEnum):
    OBJECTIVE = "objective"
    OBSERVATION = "observation"


@register("EvidenceFileAttached")
class EvidenceFileAttached(DomainEvent):
    about: ClassVar[str] = "person_id"
    audit_summary: ClassVar[str] = (
        "Evidence file attached: {filename} ({content_type}, {size} bytes)"
    )
    free_text: ClassVar[frozenset[str]] = frozenset({"filename", "title"})

    trust_id: UUID
    school_id: UUID
    person_id: UUID
    subject: EvidenceSubject
    subject_id: UUID
    title: str
    filename: str
    content_type: str
    size: int
    sha256: str


@register("EvidenceLinkAttached")
class EvidenceLinkAttached(DomainEvent):
    about: ClassVar[str] = "person_id"
    audit_summary: ClassVar[str] = "Evidence link attached: {title}"
    free_text: ClassVar[frozenset[str]] = frozenset({"title", "url"})

    trust_id: UUID
    school_id: UUID
    person_id: UUID
    subject: EvidenceSubject
    subject_id: UUID
    title: str
    url: str


@register("EvidenceRemoved")
class EvidenceRemoved(DomainEvent):
    """The evidence is withdrawn; a file's bytes are deleted from the blob store."""

    audit_summary: ClassVar[str] = "Evidence removed: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    reason: str
