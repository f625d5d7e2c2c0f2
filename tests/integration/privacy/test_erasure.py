"""Erasing a demo person on SQLite and PostgreSQL: no trace of them anywhere, the log still
verifies, proof packs still verify, read models keep their counts."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from appraisals import demo
from appraisals.wiring import Container, build, build_blob_store
from commands import messages as m
from commands.principal import Principal
from config.settings import Settings
from events.evidence import EvidenceSubject
from privacy import retention
from privacy.keys import WrongMasterKey
from replay.audit_keys import public_keys, signing_key
from replay.chain import seal
from replay.pack import build_pack, review_documents
from replay.proof import verify_pack
from replay.verify import verify
from testkit.scenario import Org, build_org
from tests.conftest import create_database, drop_database

TITLE = "Lead the Year 8 oracy pilot with Zephyrine's debate club"
NOTE = "Zephyrine ran three debates; pupils' talk scores rose by a fifth"
SELF = "My self-assessment: the oracy pilot worked, Zephyrine"
FILE_TEXT = b"%PDF-1.4 Zephyrine evidence\n%%EOF\n"
COUNTED = ("rm_objective_current", "rm_review_status", "rm_audit_log", "rm_directory_people")


@dataclass
class World:
    container: Container
    settings: Settings
    url: str
    org: Org
    person: UUID
    name: str
    email: str
    blob_dir: Path


def _settings(url: str, tmp: Path) -> Settings:
    return Settings(
        database_url=url,
        blob_dir=str(tmp / "blobs"),
        audit_anchor_sink="none",
        privacy_retention_interval_seconds=0,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    url = (
        f"sqlite:///{tmp_path / 'erasure.db'}"
        if request.param == "sqlite"
        else create_database("issue18c_erasure")
    )
    settings = _settings(url, tmp_path)
    container = build(settings, run_projections=False)
    try:
        demo.generate(
            container.store,
            schools=2,
            staff=16,
            seed=3,
            blobs=build_blob_store(settings),
            today=datetime(2026, 3, 1, tzinfo=UTC),
        )
        org = build_org(container.commands, name="Zephyr Trust")
        person = org.appraisee_id
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
        row = _rows(url, "SELECT name, email FROM rm_directory_people WHERE staff_id = ?", person)
        name, email = row[0]
        yield World(
            container, settings, url, org, person, str(name), str(email), tmp_path / "blobs"
        )
    finally:
        container.close()
        if request.param == "postgresql":
            drop_database(url)


def _rows(url: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return conn.execute(sql, [str(p) for p in params]).fetchall()
    with psycopg.connect(url) as conn:
        return conn.execute(sql.replace("?", "%s"), params).fetchall()


def _tables(url: str) -> list[str]:
    if url.startswith("sqlite"):
        return [str(r[0]) for r in _rows(url, "SELECT name FROM sqlite_master WHERE type='table'")]
    return [
        str(r[0])
        for r in _rows(
            url,
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
    ]


def _traces(url: str, needles: list[str]) -> list[str]:
    """Every table and column holding any needle, every column cast to text."""
    found = []
    for table in _tables(url):
        if url.startswith("sqlite"):
            cols = [str(r[1]) for r in _rows(url, f'PRAGMA table_info("{table}")')]
            cast = 'CAST("{c}" AS TEXT)'
        else:
            cols = [
                str(r[0])
                for r in _rows(
                    url,
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                    table,
                )
            ]
            cast = '"{c}"::text'
        for c in cols:
            for needle in needles:
                find = "instr" if url.startswith("sqlite") else "strpos"
                hits = _rows(
                    url,
                    f'SELECT count(*) FROM "{table}" '
                    f"WHERE {find}(lower({cast.format(c=c)}), lower(?)) > 0",
                    needle,
                )
                if hits[0][0]:
                    found.append(f"{table}.{c}: {needle!r}")
    return found


def _counts(url: str) -> dict[str, int]:
    return {t: int(str(_rows(url, f"SELECT count(*) FROM {t}")[0][0])) for t in COUNTED}


def _pack_verifies(w: World, tmp: Path) -> list[str]:
    db = w.container.projections.db
    key = signing_key(w.settings)
    seal(db, key)
    pack = build_pack(
        db,
        w.org.review_id,
        key=key,
        keys=public_keys(w.settings),
        documents=review_documents(db, w.org.review_id),
        now=datetime.now(UTC),
    )
    path = tmp / f"pack-{datetime.now(UTC).timestamp()}.zip"
    path.write_bytes(pack.data)
    return verify_pack(str(path)).problems


def test_erasing_a_person_leaves_no_trace_and_the_proof_intact(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    w = world
    needles = [w.name, w.email, TITLE, NOTE]
    assert _traces(w.url, needles), "the person is readable before erasure"
    assert not _pack_verifies(w, tmp_path)
    before = _counts(w.url)
    admin = w.org.admin
    w.container.commands.execute(
        m.RecordStaffLeaving(staff_id=w.person, effective_date=date(2026, 2, 1), reason="left"),
        admin,
    )
    caplog.set_level(logging.DEBUG)
    done = w.container.eraser.erase(  # type: ignore[union-attr]
        w.person, reason="their request of 1 March", principal=admin
    )
    w.container.projections.catch_up()
    assert done.sealed_events >= 4 and done.files_removed == 1

    assert _traces(w.url, needles) == []
    files = [p.read_bytes() for p in w.blob_dir.rglob("*") if p.is_file()]
    assert not any(b"Zephyrine" in f for f in files)
    assert not any(n.lower() in caplog.text.lower() for n in needles)
    after = _counts(w.url)
    # The erasure adds two events (leaving, erasure) to the audit log; nothing else moves.
    assert after == {**before, "rm_audit_log": before["rm_audit_log"] + 2}
    shown = _rows(
        w.url, "SELECT display_name FROM rm_directory_people WHERE staff_id = ?", w.person
    )
    assert shown == [("Erased person",)]

    report = verify(w.container.projections.db, public_keys(w.settings))
    assert report.intact, report.describe()
    assert _pack_verifies(w, tmp_path) == []

    # A full rebuild from the log derives the same (erased) rows: no name comes back.
    w.container.projections.rebuild(w.container.projections.names)
    assert _traces(w.url, needles) == []
    assert _counts(w.url) == after


def test_an_erasure_recorded_but_not_carried_out_is_finished_by_the_next_retention_pass(
    world: World,
) -> None:
    """A process that stops between recording ``PersonErased`` and deleting the key (a crash,
    a deploy) leaves the person readable; the retention pass finishes it, once."""
    w = world
    admin = w.org.admin
    w.container.commands.execute(
        m.RecordStaffLeaving(staff_id=w.person, effective_date=date(2026, 2, 1), reason="left"),
        admin,
    )
    # The event alone, as if the process stopped right after it.
    w.container.commands.execute(
        m.ErasePerson(staff_id=w.person, reason="their request of 1 March"), admin
    )
    w.container.projections.catch_up()
    eraser = w.container.eraser
    assert eraser is not None
    assert not eraser.keyring.is_erased(str(w.person))

    retention.run(eraser, w.container.projections.db, today=date(2026, 3, 2))
    w.container.projections.catch_up()
    assert eraser.keyring.is_erased(str(w.person))
    assert _traces(w.url, [w.name, w.email, TITLE, NOTE]) == []
    assert eraser.finish_interrupted() == []  # nothing left to finish


def test_a_rejected_erasure_records_nothing_and_erases_nothing(world: World) -> None:
    from aggregates.errors import RuleBroken

    w = world
    head = w.container.store.recorder.max_notification_id()
    with pytest.raises(RuleBroken, match="has not left"):
        w.container.eraser.erase(  # type: ignore[union-attr]
            w.person, reason="asked", principal=w.org.admin
        )
    assert w.container.store.recorder.max_notification_id() == head
    assert _traces(w.url, [w.name])


def test_the_wrong_master_key_refuses_to_start(world: World, tmp_path: Path) -> None:
    wrong = _settings(world.url, tmp_path).model_copy(
        update={"privacy_master_key": world.settings.privacy_master_key.__class__("x" * 48)}
    )
    with pytest.raises(WrongMasterKey, match="APPRAISALS_PRIVACY_MASTER_KEY does not open"):
        build(wrong, run_projections=False)
    # The right key still opens them (the refusal changed nothing).
    build(world.settings, run_projections=False).close()


def test_a_master_key_rewrap_keeps_every_key_readable(world: World, tmp_path: Path) -> None:
    keyring = world.container.eraser.keyring  # type: ignore[union-attr]
    new = "n" * 48
    assert keyring.rewrap(new) > 0
    moved = _settings(world.url, tmp_path).model_copy(
        update={"privacy_master_key": world.settings.privacy_master_key.__class__(new)}
    )
    with pytest.raises(WrongMasterKey):
        build(world.settings, run_projections=False)
    again = build(moved, run_projections=False)
    try:
        again.projections.rebuild(["directory"])
        rows = _rows(
            world.url, "SELECT name FROM rm_directory_people WHERE staff_id = ?", world.person
        )
        assert rows == [(world.name,)]
    finally:
        again.close()


def test_a_principal_of_another_role_may_not_erase(world: World) -> None:
    from aggregates.errors import Forbidden, NotFound

    w = world
    w.container.commands.execute(
        m.RecordStaffLeaving(staff_id=w.person, effective_date=date(2026, 2, 1), reason="left"),
        w.org.admin,
    )
    head = w.container.store.recorder.max_notification_id()
    for who in (w.org.trust_leader, w.org.appraiser, Principal(w.person, w.org.appraisee.role)):
        with pytest.raises((Forbidden, NotFound)):
            w.container.eraser.erase(w.person, reason="asked", principal=who)  # type: ignore[union-attr]
    assert w.container.store.recorder.max_notification_id() == head


def test_one_word_reasons_do_not_overwrite_the_read_models_codes(world: World) -> None:
    """A reason "Withdrawn" and a comment "met" are the appraisee's free text, sealed under
    their key; the objective's status ``withdrawn`` and an outcome ``met`` are codes of the
    read models. Erasing them leaves every status, outcome and count as it was, and a
    rebuild agrees (decision 265)."""
    w = world
    svc = w.container.commands
    objective = svc.execute(
        m.DraftObjective(
            review_id=w.org.review_id,
            title="Run the Year 7 spelling bee with the English team",
            success_criteria=["Every Year 7 form enters"],
            due_date=date(2026, 6, 30),
        ),
        w.org.appraisee,
    ).aggregate_id
    svc.execute(m.AgreeObjective(objective_id=objective), w.org.appraisee)
    svc.execute(m.AgreeObjective(objective_id=objective), w.org.appraiser)
    svc.execute(m.WithdrawObjective(objective_id=objective, reason="Withdrawn"), w.org.appraiser)
    svc.execute(
        m.RecordStaffLeaving(staff_id=w.person, effective_date=date(2026, 2, 1), reason="left"),
        w.org.admin,
    )
    w.container.projections.catch_up()
    statuses = "SELECT status, count(*) FROM rm_objective_current GROUP BY status ORDER BY status"
    before = _rows(w.url, statuses)
    assert ("withdrawn", 1) in [(str(s), int(str(n))) for s, n in before]
    w.container.eraser.erase(w.person, reason="their request", principal=w.org.admin)  # type: ignore[union-attr]
    w.container.projections.catch_up()
    assert _rows(w.url, statuses) == before
    w.container.projections.rebuild(w.container.projections.names)
    assert _rows(w.url, statuses) == before
