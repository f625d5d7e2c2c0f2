"""The Evidence aggregate: a file or a link that shows progress on an objective or backs an
observation.

A file is described by facts the command layer measured (its sniffed type, size and hash);
the bytes never enter an event. The rules here decide which files are acceptable: a type on
the allowed list, not empty, within the size limit, and named as what it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from urllib.parse import urlsplit
from uuid import UUID

from aggregates.base import Context, first_event, next_event, require, require_text
from events.base import DomainEvent
from events.evidence import (
    EvidenceFileAttached,
    EvidenceLinkAttached,
    EvidenceRemoved,
    EvidenceSubject,
)

MAX_FILENAME = 200

# The types a trust accepts as evidence and the file name extensions each may carry.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "application/vnd.oasis.opendocument.presentation": (".odp",),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.ms-powerpoint": (".ppt",),
}


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What the command layer measured of an uploaded file."""

    filename: str
    sniffed_type: str | None
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """Whose record the evidence belongs to, and what it is evidence for."""

    trust_id: UUID
    school_id: UUID
    person_id: UUID
    subject: EvidenceSubject
    subject_id: UUID


@dataclass(frozen=True, slots=True)
class Evidence:
    id: UUID
    version: int
    attachment: Attachment
    title: str
    is_file: bool
    sha256: str | None = None
    removed: bool = False


def check_file(facts: FileFacts, *, max_bytes: int) -> None:
    """The file rules alone: the command layer checks them before it stores any bytes."""
    require(facts.size > 0, "evidence-file-not-empty", "the file is empty")
    require(
        facts.size <= max_bytes,
        "evidence-file-size",
        f"the file is {facts.size:,} bytes; the limit is {max_bytes:,} bytes",
    )
    require_text(facts.filename, "filename", rule="evidence-filename-required")
    require(
        len(facts.filename) <= MAX_FILENAME and "/" not in facts.filename,
        "evidence-filename",
        f"a file name is at most {MAX_FILENAME} characters, without folders",
    )
    require(
        facts.sniffed_type in ALLOWED_TYPES,
        "evidence-file-type",
        f"the file's content is {facts.sniffed_type or 'of no recognised type'}; evidence "
        "files are PDF, images (PNG, JPEG, GIF, WebP) or office documents",
    )
    assert facts.sniffed_type is not None
    suffix = PurePosixPath(facts.filename).suffix.lower()
    allowed = ALLOWED_TYPES[facts.sniffed_type]
    require(
        suffix in allowed,
        "evidence-file-type-matches-name",
        f"the file is named {facts.filename!r} but its content is {facts.sniffed_type} "
        f"(expected a name ending {' or '.join(allowed)})",
    )
    require(
        len(facts.sha256) == 64 and all(c in "0123456789abcdef" for c in facts.sha256),
        "evidence-file-hash",
        "the file's hash must be a SHA-256 hex digest",
    )


def attach_file(
    evidence_id: UUID,
    *,
    attachment: Attachment,
    title: str,
    facts: FileFacts,
    max_bytes: int,
    ctx: Context,
) -> list[DomainEvent]:
    check_file(facts, max_bytes=max_bytes)
    assert facts.sniffed_type is not None
    return [
        first_event(
            EvidenceFileAttached,
            evidence_id,
            ctx,
            **_attachment_fields(attachment),
            title=title.strip() or facts.filename,
            filename=facts.filename,
            content_type=facts.sniffed_type,
            size=facts.size,
            sha256=facts.sha256,
        )
    ]


def attach_link(
    evidence_id: UUID, *, attachment: Attachment, title: str, url: str, ctx: Context
) -> list[DomainEvent]:
    require_text(title, "title", rule="evidence-title-required")
    parts = urlsplit(url.strip())
    require(
        parts.scheme in ("https", "http") and bool(parts.netloc),
        "evidence-link-scheme",
        "a link is a full http or https address",
    )
    return [
        first_event(
            EvidenceLinkAttached,
            evidence_id,
            ctx,
            **_attachment_fields(attachment),
            title=title.strip(),
            url=url.strip(),
        )
    ]


def _attachment_fields(a: Attachment) -> dict[str, object]:
    return {
        "trust_id": a.trust_id,
        "school_id": a.school_id,
        "person_id": a.person_id,
        "subject": a.subject,
        "subject_id": a.subject_id,
    }


def remove_evidence(evidence: Evidence, *, reason: str, ctx: Context) -> list[DomainEvent]:
    require(not evidence.removed, "evidence-removed-once", "this evidence is already removed")
    require_text(reason, "reason", rule="evidence-removal-reason-required")
    return [next_event(EvidenceRemoved, evidence, ctx, reason=reason.strip())]


def evolve(state: Evidence | None, event: DomainEvent) -> Evidence:
    if isinstance(event, EvidenceFileAttached | EvidenceLinkAttached):
        attachment = Attachment(
            trust_id=event.trust_id,
            school_id=event.school_id,
            person_id=event.person_id,
            subject=event.subject,
            subject_id=event.subject_id,
        )
        is_file = isinstance(event, EvidenceFileAttached)
        return Evidence(
            id=event.originator_id,
            version=event.originator_version,
            attachment=attachment,
            title=event.title,
            is_file=is_file,
            sha256=event.sha256 if isinstance(event, EvidenceFileAttached) else None,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before the evidence was attached")
    s = replace(state, version=event.originator_version)
    match event:
        case EvidenceRemoved():
            return replace(s, removed=True)
    return s
