"""The Evidence aggregate: files described by their measured facts, links, and removal."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest

from aggregates import evidence
from aggregates.base import Context
from aggregates.evidence import Attachment, FileFacts
from events.base import DomainEvent
from events.evidence import (
    EvidenceFileAttached,
    EvidenceLinkAttached,
    EvidenceRemoved,
    EvidenceSubject,
)
from tests.unit.aggregates.gwt import Decision, History, accepted, rejected

EV = UUID("42000000-0000-4000-8000-0000000000e1")
ATTACHMENT = Attachment(
    trust_id=UUID("42000000-0000-4000-8000-000000000001"),
    school_id=UUID("42000000-0000-4000-8000-000000000002"),
    person_id=UUID("42000000-0000-4000-8000-0000000000a1"),
    subject=EvidenceSubject.OBJECTIVE,
    subject_id=UUID("42000000-0000-4000-8000-0000000000f1"),
)
PDF = FileFacts("reading-data.pdf", "application/pdf", 48_213, "ab" * 32)
LIMIT = 10 * 1024 * 1024


def attach(ctx: Context, facts: FileFacts = PDF, max_bytes: int = LIMIT):  # type: ignore[no-untyped-def]
    return lambda _: evidence.attach_file(
        EV, attachment=ATTACHMENT, title="Autumn data", facts=facts, max_bytes=max_bytes, ctx=ctx
    )


def where() -> dict[str, Any]:
    return {
        "trust_id": ATTACHMENT.trust_id,
        "school_id": ATTACHMENT.school_id,
        "person_id": ATTACHMENT.person_id,
        "subject": ATTACHMENT.subject,
        "subject_id": ATTACHMENT.subject_id,
    }


@pytest.fixture
def attached(history: History) -> list[DomainEvent]:
    return [
        history(
            EvidenceFileAttached,
            EV,
            **where(),
            title="Autumn data",
            filename=PDF.filename,
            content_type="application/pdf",
            size=PDF.size,
            sha256=PDF.sha256,
        )
    ]


def test_a_file_is_recorded_by_its_hash_size_type_and_name_never_its_bytes(
    ctx: Context, history: History
) -> None:
    expected = history.next(
        EvidenceFileAttached,
        EV,
        **where(),
        title="Autumn data",
        filename=PDF.filename,
        content_type="application/pdf",
        size=PDF.size,
        sha256=PDF.sha256,
    )
    state = accepted(evidence.evolve, given=[], when=attach(ctx), then=[expected])
    assert state.is_file and state.sha256 == PDF.sha256
    assert not {"data", "content", "bytes"} & set(EvidenceFileAttached.model_fields)


@pytest.mark.parametrize(
    ("facts", "rule"),
    [
        (replace(PDF, size=0), "evidence-file-not-empty"),
        (replace(PDF, size=LIMIT + 1), "evidence-file-size"),
        (replace(PDF, sniffed_type=None, filename="notes.pdf"), "evidence-file-type"),
        (replace(PDF, sniffed_type="application/x-msdownload"), "evidence-file-type"),
        (replace(PDF, filename="holiday.jpg"), "evidence-file-type-matches-name"),
        (replace(PDF, filename=" "), "evidence-filename-required"),
        (replace(PDF, filename="a/b.pdf"), "evidence-filename"),
        (replace(PDF, sha256="not-a-hash"), "evidence-file-hash"),
    ],
)
def test_files_that_are_empty_oversized_or_mislabelled_are_refused(
    ctx: Context, facts: FileFacts, rule: str
) -> None:
    broken = rejected(evidence.evolve, given=[], when=attach(ctx, facts), rule=rule)
    if rule == "evidence-file-size":
        assert f"{LIMIT:,}" in broken.message  # the problem names the limit


def test_a_link_is_a_full_web_address(ctx: Context, history: History) -> None:
    def link(url: str) -> Decision:
        return lambda _: evidence.attach_link(
            EV, attachment=ATTACHMENT, title="Padlet board", url=url, ctx=ctx
        )

    rejected(
        evidence.evolve, given=[], when=link("javascript:alert(1)"), rule="evidence-link-scheme"
    )
    accepted(
        evidence.evolve,
        given=[],
        when=link("https://padlet.example/board"),
        then=[
            history.next(
                EvidenceLinkAttached,
                EV,
                **where(),
                title="Padlet board",
                url="https://padlet.example/board",
            )
        ],
    )
    rejected(
        evidence.evolve,
        given=[],
        when=lambda _: evidence.attach_link(
            EV, attachment=ATTACHMENT, title=" ", url="https://x.example", ctx=ctx
        ),
        rule="evidence-title-required",
    )


def test_removal_is_an_event_with_a_reason_and_happens_once(
    ctx: Context, history: History, attached: list[DomainEvent]
) -> None:
    rejected(
        evidence.evolve,
        given=attached,
        when=lambda e: evidence.remove_evidence(e, reason="", ctx=ctx),
        rule="evidence-removal-reason-required",
    )
    state = accepted(
        evidence.evolve,
        given=attached,
        when=lambda e: evidence.remove_evidence(e, reason="Wrong class's data", ctx=ctx),
        then=[history.next(EvidenceRemoved, EV, reason="Wrong class's data")],
    )
    assert state.removed and state.sha256 == PDF.sha256  # the hash stays
    rejected(
        evidence.evolve,
        given=[*attached, history(EvidenceRemoved, EV, reason="gone")],
        when=lambda e: evidence.remove_evidence(e, reason="again", ctx=ctx),
        rule="evidence-removed-once",
    )
