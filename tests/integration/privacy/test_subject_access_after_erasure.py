"""A subject access export of a person who has been erased (crypto-shredded): it is produced in
every format, shows the placeholders where their data was, and holds none of it."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import get_args

import orjson
import pytest
from pypdf import PdfReader

from appraisals.wiring import Container, build
from commands import messages as m
from config.settings import Settings
from events.evidence import EvidenceSubject
from events.sealing import ERASED_PERSON, ERASED_TEXT
from privacy.subject_access_service import Format, produce
from testkit.scenario import Org, build_org

pytestmark = pytest.mark.integration

TITLE = "Lead the Year 8 oracy pilot with Quillon's debate club"
NOTE = "Quillon ran three debates; pupils' talk scores rose by a fifth"
FILE_TEXT = b"%PDF-1.4 Quillon evidence\n%%EOF\n"


@dataclass
class Erased:
    container: Container
    org: Org
    name: str


@pytest.fixture
def erased(tmp_path: Path) -> Iterator[Erased]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'events.db'}",
        blob_dir=str(tmp_path / "blobs"),
        audit_anchor_sink="none",
        privacy_retention_interval_seconds=0,
    )
    container = build(settings, run_projections=False)
    try:
        org = build_org(container.commands, name="Quill Trust")
        svc = container.commands
        objective = svc.execute(
            m.DraftObjective(
                review_id=org.review_id,
                title=TITLE,
                success_criteria=["Talk scores up by a tenth"],
                due_date=date(2026, 6, 30),
            ),
            org.appraisee,
        ).aggregate_id
        svc.execute(m.AgreeObjective(objective_id=objective), org.appraisee)
        svc.execute(m.AgreeObjective(objective_id=objective), org.appraiser)
        svc.execute(m.RecordProgress(objective_id=objective, percent=40, note=NOTE), org.appraisee)
        assert container.evidence is not None
        container.evidence.attach(
            org.appraisee,
            subject=EvidenceSubject.OBJECTIVE,
            subject_id=objective,
            filename="oracy.pdf",
            data=FILE_TEXT,
            title="Debate scores",
        )
        container.projections.catch_up()
        before = produce(container.projections.db, svc, org.admin, org.appraisee_id, "json").export
        name = before.person_name
        # Before erasure the export opens the seals: their name and free text are in it.
        text = before.json().decode()
        assert name and name != ERASED_PERSON
        assert name in text and TITLE in text and NOTE in text
        svc.execute(
            m.RecordStaffLeaving(
                staff_id=org.appraisee_id, effective_date=date(2026, 2, 1), reason="left"
            ),
            org.admin,
        )
        assert container.eraser is not None
        container.eraser.erase(org.appraisee_id, reason="their request", principal=org.admin)
        container.projections.catch_up()
        yield Erased(container, org, name)
    finally:
        container.close()


def _text(fmt: str, content: bytes) -> str:
    if fmt == "pdf":
        pages = PdfReader(io.BytesIO(content)).pages
        return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pages))
    if fmt == "zip":
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return " ".join(z.read(n).decode(errors="replace") for n in z.namelist())
    return content.decode()


@pytest.mark.parametrize("fmt", get_args(Format))
def test_an_erased_persons_export_shows_placeholders_and_none_of_their_data(
    erased: Erased, fmt: Format
) -> None:
    c, org = erased.container, erased.org
    evidence = c.evidence
    assert evidence is not None
    produced = produce(
        c.projections.db, c.commands, org.admin, org.appraisee_id, fmt, blobs=evidence.blobs
    )
    assert produced.position is not None
    export = produced.export
    assert export.person_name == ERASED_PERSON
    assert [e.event_type for e in export.events][-1] == "PersonErased"
    text = _text(fmt, produced.content)
    for gone in (erased.name, TITLE, NOTE, "Quillon"):
        assert gone not in text, (fmt, gone)
    assert ERASED_PERSON in text
    document = orjson.loads(export.json())
    assert document["person"]["name"] == ERASED_PERSON
    drafted = next(e for e in export.events if e.event_type == "ObjectiveDrafted")
    assert drafted.fields["title"] == ERASED_TEXT
    # Their file was deleted with their key: listed, not bundled.
    assert [f.included for f in export.files] == [False]
