"""Evidence files: measure an upload, keep its bytes in the blob store, record the facts.

The bytes go to the blob store under ``evidence/<evidence id>`` and only their hash, size,
sniffed type and name go into the event. A file is checked against the evidence rules
before any byte is stored; if the command is then refused, the stored bytes are deleted
again, so a rejected command leaves neither an event nor a file. Removing evidence records
``EvidenceRemoved`` and then deletes the bytes (the hash stays in the log).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID, uuid4, uuid5

import filetype

from aggregates.errors import DomainError
from aggregates.evidence import FileFacts, check_file
from commands.development_messages import AttachEvidenceFile, RemoveEvidence
from commands.principal import Principal
from commands.service import CommandResult, CommandService
from events.evidence import EvidenceSubject

log = logging.getLogger(__name__)

_IDEMPOTENT_IDS = UUID("6f1d0c52-5a57-4c0e-9d55-0b6f3f0f7e11")


class BlobStore(Protocol):
    """What the evidence service needs of a blob store (``blobstore`` implements it)."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class EvidenceCorrupted(DomainError):
    """The stored bytes no longer match the hash the event recorded."""

    kind = "evidence-corrupted"


def blob_key(evidence_id: UUID) -> str:
    return f"evidence/{evidence_id}"


def sniff(data: bytes) -> str | None:
    """The content type read from the bytes themselves (magic numbers), never the name."""
    kind = filetype.guess(data)
    return None if kind is None else str(kind.mime)


def measure(filename: str, data: bytes) -> FileFacts:
    return FileFacts(
        filename=filename.strip(),
        sniffed_type=sniff(data) if data else None,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


@dataclass
class EvidenceFiles:
    commands: CommandService
    blobs: BlobStore
    max_bytes: int

    def attach(
        self,
        principal: Principal,
        *,
        subject: EvidenceSubject,
        subject_id: UUID,
        filename: str,
        data: bytes,
        title: str = "",
        idempotency_key: str | None = None,
    ) -> CommandResult:
        facts = measure(filename, data)
        check_file(facts, max_bytes=self.max_bytes)
        assert facts.sniffed_type is not None
        # A retry with the same key names the same evidence (and so the same blob).
        evidence_id = (
            uuid5(_IDEMPOTENT_IDS, f"{principal.id}:{idempotency_key}")
            if idempotency_key
            else uuid4()
        )
        command = AttachEvidenceFile(
            subject=subject,
            subject_id=subject_id,
            title=title,
            filename=facts.filename,
            sniffed_type=facts.sniffed_type,
            size=facts.size,
            sha256=facts.sha256,
            evidence_id=evidence_id,
            max_bytes=self.max_bytes,
        )
        key = blob_key(evidence_id)
        self.blobs.put(key, data, facts.sniffed_type)
        recorded = False
        try:
            result = self.commands.execute(command, principal, idempotency_key=idempotency_key)
            recorded = True
        finally:
            if not recorded:
                self.blobs.delete(key)
        return result

    def remove(
        self,
        principal: Principal,
        evidence_id: UUID,
        reason: str,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        result = self.commands.execute(
            RemoveEvidence(evidence_id=evidence_id, reason=reason),
            principal,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
        )
        self.blobs.delete(blob_key(evidence_id))
        return result

    def read(self, evidence_id: UUID, sha256: str) -> bytes:
        """The file's bytes, checked against the hash its event recorded."""
        data = self.blobs.get(blob_key(evidence_id))
        if hashlib.sha256(data).hexdigest() != sha256:
            log.error("evidence %s: stored bytes do not match the recorded hash", evidence_id)
            raise EvidenceCorrupted("the stored file does not match the hash that was recorded")
        return data
