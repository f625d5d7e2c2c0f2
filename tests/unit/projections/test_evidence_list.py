"""evidence_list: evidence rows, and the hash kept after the evidence is removed."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from events import evidence as ev
from projections import evidence_list
from tests.unit.projections.test_objective_current import draft


def test_evidence_rows_keep_the_hash_after_removal(trust: Any, project: Any) -> None:
    trust.start_review()
    oid = draft(trust)
    evidence_id = uuid4()
    trust.given(
        ev.EvidenceFileAttached,
        evidence_id,
        actor=trust.appraisee,
        trust_id=trust.trust_id,
        school_id=trust.school_a,
        person_id=trust.appraisee,
        subject="objective",
        subject_id=oid,
        title="Data",
        filename="data.pdf",
        content_type="application/pdf",
        size=1234,
        sha256="ab" * 32,
    )
    trust.given(ev.EvidenceRemoved, evidence_id, reason="Wrong file")
    [row] = evidence_list.evidence_for(project().db, oid)
    assert row.removed and row.sha256 == "ab" * 32 and row.removal_reason == "Wrong file"
