"""Retention: the plan names who is due; a run erases them once; the scheduler's job runs it
on a real APScheduler timer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from appraisals.wiring import Container, build
from commands import messages as m
from config.settings import Settings
from privacy import retention
from projections.audit_log import audit_events
from replay.export import named_entries
from testkit.scenario import Org, build_org


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Container, Org]]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'retention.db'}",
        blob_dir=str(tmp_path / "blobs"),
        audit_anchor_sink="none",
        privacy_retention_interval_seconds=0,
    )
    container = build(settings, run_projections=False)
    try:
        org = build_org(container.commands)
        container.commands.execute(
            m.RecordStaffLeaving(
                staff_id=org.appraisee_id, effective_date=date(2019, 8, 31), reason="moved"
            ),
            org.admin,
        )
        container.commands.execute(
            m.SetRetentionPolicy(trust_id=org.trust_id, erase_after_years=6, reason="schedule"),
            org.admin,
        )
        container.projections.catch_up()
        yield container, org
    finally:
        container.close()


def test_the_dry_run_names_who_is_due_and_erases_nobody(setup: tuple[Container, Org]) -> None:
    container, org = setup
    db = container.projections.db
    assert retention.plan(db, container.commands, today=date(2025, 8, 30)) == []
    head = container.store.recorder.max_notification_id()
    due = retention.plan(db, container.commands, today=date(2025, 8, 31))
    assert [(d.person_id, d.erase_on, d.name) for d in due] == [
        (org.appraisee_id, date(2025, 8, 31), due[0].name)
    ]
    assert due[0].name and due[0].name != "Erased person"
    assert container.store.recorder.max_notification_id() == head


def test_a_run_erases_the_due_once(setup: tuple[Container, Org]) -> None:
    container, org = setup
    assert container.eraser is not None
    db = container.projections.db
    done = retention.run(container.eraser, db, today=date(2026, 1, 1))
    assert [d.person_id for d in done] == [org.appraisee_id]
    container.projections.catch_up()
    assert container.eraser.keyring.is_erased(str(org.appraisee_id))
    assert retention.plan(db, container.commands, today=date(2026, 1, 1)) == []
    head = container.store.recorder.max_notification_id()
    assert retention.run(container.eraser, db, today=date(2026, 1, 1)) == []
    assert container.store.recorder.max_notification_id() == head
    # The audit log names who erased them: the service's retention pass, not an id.
    [entry] = [
        e
        for e in named_entries(db, audit_events(db, event_type="PersonErased", limit=10))
        if e.aggregate_id == org.appraisee_id
    ]
    assert entry.actor_name == "the scheduled retention pass"


def test_the_scheduler_runs_the_pass_on_its_timer(setup: tuple[Container, Org]) -> None:
    container, org = setup
    eraser = container.eraser
    assert eraser is not None
    runs: list[int] = []

    def work() -> None:
        runs.append(len(retention.run(eraser, container.projections.db, today=date(2026, 1, 1))))

    scheduler = retention.RetentionScheduler(work, interval=0.2, first_run=datetime.now(UTC))
    scheduler.start()
    try:
        deadline = time.monotonic() + 30
        while len(runs) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.stop()
    assert runs[:2] == [1, 0], runs
    assert eraser.keyring.is_erased(str(org.appraisee_id))
