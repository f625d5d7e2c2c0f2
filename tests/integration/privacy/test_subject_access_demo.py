"""Subject access on the demo trust: everything about a person, nothing of others' private data.

The expected events are worked out here from the raw stored records (a text search for the
person's id, the actor field, and the records created about them), independently of
``privacy.subject_access``'s walk over decoded fields.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
import pytest
from pypdf import PdfReader

from appraisals import demo
from appraisals.demo.summary import DemoSummary
from appraisals.wiring import Container, build
from config.settings import Settings
from privacy.export import SubjectAccessExport, build_export
from privacy.subject_access_render import bundle, render_html, render_pdf
from privacy.subject_access_service import produce

pytestmark = pytest.mark.integration

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# The field naming whom a record is about, on the event creating it (as the demo writes).
ABOUT = {
    "appraisals/ReviewStarted": "appraisee_id",
    "appraisals/ObjectiveDrafted": "appraisee_id",
    "appraisals/CpdPlanned": "staff_id",
    "appraisals/EvidenceFileAttached": "person_id",
    "appraisals/EvidenceLinkAttached": "person_id",
    "appraisals/ObservationRecorded": "observed_id",
    "appraisals/PayRecommendationMade": "appraisee_id",
    "appraisals/RoleGranted": "person_id",
}


@dataclass(frozen=True)
class Stored:
    position: int
    originator: str
    topic: str
    state: dict[str, Any]
    raw: str


@dataclass(frozen=True)
class Demo:
    container: Container
    summary: DemoSummary
    log: list[Stored]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    where = tmp_path_factory.mktemp("demo")
    settings = Settings(
        database_url=f"sqlite:///{where / 'events.db'}", blob_dir=str(where / "blobs")
    )
    container = build(settings, run_projections=False)
    summary = demo.generate(container, schools=3, staff=120, seed=11)
    container.projections.catch_up()
    head = container.store.recorder.max_notification_id() or 0
    log = [
        Stored(n.id, str(n.originator_id), n.topic, orjson.loads(n.state), n.state.decode())
        for n in container.store.recorder.select_notifications(1, head)
    ]
    yield Demo(container, summary, log)
    container.close()


def expected_positions(log: list[Stored], person: str) -> set[int]:
    own = {person}
    for s in log:
        field = ABOUT.get(s.topic)
        if field and s.state.get(field) == person:
            own.add(s.originator)
    return {
        s.position
        for s in log
        if s.originator in own or s.state.get("actor_id") == person or person in s.raw
    }


def others_private_strings(log: list[Stored], person: str) -> list[str]:
    """Free text and judgements on the records of the people the person appraised or
    observed, that appear nowhere in the person's own records."""
    theirs: set[str] = set()
    own = {person}
    for s in log:
        field = ABOUT.get(s.topic)
        if field and s.state.get(field) == person:
            own.add(s.originator)
        elif field and s.state.get(field) is not None:
            theirs.add(s.originator)
    # Demo texts repeat across people: a phrase in the person's own records is theirs too.
    mine_raw = " ".join(s.raw for s in log if s.originator in own)
    wanted = {
        "appraisals/ObjectiveDrafted": ("title", "description"),
        "appraisals/AssessmentWritten": ("summary",),
        "appraisals/PayRecommendationMade": ("reasons",),
        "appraisals/MeetingRecorded": ("notes",),
        "appraisals/ProgressRecorded": ("note",),
        "appraisals/ObservationRecorded": ("strengths", "areas_to_develop"),
    }
    found: list[str] = []
    for s in log:
        if s.originator not in theirs or (
            person not in s.raw and s.state.get("actor_id") != person
        ):
            continue
        for f in wanted.get(s.topic, ()):
            value = s.state.get(f)
            if isinstance(value, str) and len(value) > 20 and value not in mine_raw:
                found.append(value)
    return sorted(set(found))


@pytest.fixture(scope="module")
def appraiser_export(loaded: Demo) -> SubjectAccessExport:
    person = loaded.summary.appraiser.principal.id
    evidence = loaded.container.evidence
    assert evidence is not None
    return build_export(loaded.container.projections.db, person, blobs=evidence.blobs)


def test_every_event_they_are_subject_actor_or_named_in_is_exported(
    loaded: Demo, appraiser_export: SubjectAccessExport
) -> None:
    person = str(loaded.summary.appraiser.principal.id)
    expected = expected_positions(loaded.log, person)
    assert {e.position for e in appraiser_export.events} == expected
    relations = {r for e in appraiser_export.events for r in e.relations}
    assert relations == {"subject", "actor", "named"}


def test_their_read_model_rows_are_exported(
    loaded: Demo, appraiser_export: SubjectAccessExport
) -> None:
    person = str(loaded.summary.appraiser.principal.id)
    own_reviews = {
        s.originator
        for s in loaded.log
        if s.topic == "appraisals/ReviewStarted" and s.state["appraisee_id"] == person
    }
    own_objectives = {
        s.originator
        for s in loaded.log
        if s.topic == "appraisals/ObjectiveDrafted" and s.state["appraisee_id"] == person
    }
    by_table = {r.table: r.rows for r in appraiser_export.rows}
    assert {r["review_id"] for r in by_table["review_status"]} == own_reviews
    assert {r["objective_id"] for r in by_table["objective_current"]} == own_objectives
    assert [r["staff_id"] for r in by_table["directory_people"]] == [person]
    # Rows about the people they appraise are not theirs.
    assert all(r["appraisee_id"] == person for r in by_table["objective_current"])


def test_their_files_are_listed_with_hashes_and_bundled(
    loaded: Demo, appraiser_export: SubjectAccessExport
) -> None:
    person = str(loaded.summary.appraiser.principal.id)
    attached = {
        s.originator: s.state["sha256"]
        for s in loaded.log
        if s.topic == "appraisals/EvidenceFileAttached" and s.state["person_id"] == person
    }
    assert {f.evidence_id: f.sha256 for f in appraiser_export.files} == attached
    with zipfile.ZipFile(io.BytesIO(bundle(appraiser_export))) as z:
        manifest = orjson.loads(z.read("manifest.json"))
        held = {
            name.split("/", 1)[1][:36]: hashlib.sha256(z.read(name)).hexdigest()
            for name in z.namelist()
            if name.startswith("files/")
        }
        for name, digest in manifest.items():
            assert hashlib.sha256(z.read(name)).hexdigest() == digest
    kept = {f.evidence_id: f.sha256 for f in appraiser_export.files if not f.removed}
    assert held == kept


def test_other_peoples_private_data_is_absent_from_json_html_and_pdf(
    loaded: Demo, appraiser_export: SubjectAccessExport
) -> None:
    person = str(loaded.summary.appraiser.principal.id)
    private = others_private_strings(loaded.log, person)
    assert len(private) >= 5, "the demo appraiser's appraisees have objectives and notes"
    text_json = appraiser_export.json().decode()
    text_html = render_html(appraiser_export)
    pdf = render_pdf(appraiser_export)
    text_pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    flat_pdf = re.sub(r"\s+", " ", text_pdf)
    for secret in private:
        assert secret not in text_json
        assert secret not in text_html
        assert re.sub(r"\s+", " ", secret) not in flat_pdf
    # ...while the events on those records are there, as steps.
    others = [e for e in appraiser_export.events if e.record == "other"]
    assert others
    assert any("title" in e.withheld for e in others if e.event_type == "ObjectiveDrafted")


def test_the_readable_document_shows_names_not_ids(
    loaded: Demo, appraiser_export: SubjectAccessExport
) -> None:
    text_html = render_html(appraiser_export)
    assert UUID_TEXT.findall(text_html) == []
    assert loaded.summary.appraiser.name in text_html
    assert loaded.summary.trust_name in text_html
    appraisees = {
        appraiser_export.names[e.fields["appraisee_id"]]
        for e in appraiser_export.events
        if e.event_type == "ReviewStarted" and e.record == "other"
    }
    assert appraisees and all(name in text_html for name in appraisees)


def test_producing_an_export_is_recorded_without_its_data(loaded: Demo) -> None:
    c = loaded.container
    person = loaded.summary.staff_member.principal.id
    produced = produce(
        c.projections.db, c.commands, loaded.summary.trust_admin.principal, person, "json"
    )
    assert produced.position is not None
    c.projections.catch_up()
    notes = c.store.recorder.select_notifications(produced.position, 1)
    assert notes[0].topic == "appraisals/SubjectAccessExported"
    recorded = orjson.loads(notes[0].state)
    assert recorded["person_id"] == str(person)
    assert recorded["actor_id"] == str(loaded.summary.trust_admin.principal.id)
    assert recorded["sha256"] == hashlib.sha256(produced.content).hexdigest()
    assert recorded["event_count"] == len(produced.export.events)
    # The record holds counts and a digest, never what was exported.
    assert loaded.summary.staff_member.name not in notes[0].state.decode()
    again = build_export(c.projections.db, UUID(str(person)))
    assert again.events[-1].event_type == "SubjectAccessExported"
    assert again.events[-1].record == "own"
