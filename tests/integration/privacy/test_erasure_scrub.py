"""The erasure's scrub finds the rows about the person by indexed id columns (index lookups)
and changes exactly the rows the thorough scrub changes (every id column, indexed or not,
and names wherever a text column holds their id: a scan of each table per text column), for
a demo appraiser who also revised and observed others' records (decision 252)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from appraisals import demo
from appraisals.cli_access import OPERATOR
from appraisals.wiring import Container, build, build_blob_store
from commands import messages as m
from config.settings import Settings
from privacy import erasure

pytestmark = pytest.mark.integration


def _settings(path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{path}",
        blob_dir=str(path.parent / "blobs"),
        audit_anchor_sink="none",
        privacy_retention_interval_seconds=0,
    )


@contextmanager
def _container(path: Path) -> Iterator[Container]:
    container = build(_settings(path), run_projections=False)
    try:
        yield container
    finally:
        container.close()


def _rows(path: Path) -> dict[str, set[tuple[Any, ...]]]:
    """Every read-model table's rows, by logical name (``rm_x_v2`` -> ``rm_x``)."""
    with closing(sqlite3.connect(path)) as db:
        names = [
            str(r[0])
            for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if str(r[0]).startswith("rm_") and "_v" in str(r[0])
        ]
        return {n.rsplit("_v", 1)[0]: set(db.execute(f"SELECT * FROM {n}")) for n in names}


def _erase(path: Path, person: UUID, *, thorough: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        if thorough:
            scrub = erasure.Eraser._scrub

            def first_scrub(self: erasure.Eraser, *args: Any, **kwargs: Any) -> int:
                return scrub(self, *args, **kwargs, thorough=True)

            patch.setattr(erasure.Eraser, "_scrub", first_scrub)
        with _container(path) as c:
            c.commands.execute(
                m.RecordStaffLeaving(
                    staff_id=person, effective_date=date(2026, 2, 1), reason="left"
                ),
                OPERATOR,
            )
            assert c.eraser is not None
            c.eraser.erase(person, reason="their request", principal=OPERATOR)
            c.projections.catch_up()


def test_the_scrub_by_indexed_ids_changes_exactly_the_rows_the_thorough_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    targeted, thorough = tmp_path / "a" / "store.db", tmp_path / "b" / "store.db"
    targeted.parent.mkdir()
    with _container(targeted) as c:
        demo.generate(
            c.store,
            schools=2,
            staff=16,
            seed=3,
            blobs=build_blob_store(_settings(targeted)),
            today=datetime(2026, 3, 1, tzinfo=UTC),
        )
        c.projections.catch_up()
        with c.projections.db.transaction(write=False) as tx:
            # An appraiser who revised and observed others' records (seed 3's fourth person).
            (staff_id,) = tx.query(
                "SELECT staff_id FROM rm_directory_people WHERE left_on IS NULL "
                "ORDER BY staff_id LIMIT 1 OFFSET 3"
            )[0]
    person = UUID(str(staff_id))
    shutil.copytree(targeted.parent, thorough.parent)
    before = _rows(targeted)

    _erase(targeted, person, thorough=False, monkeypatch=monkeypatch)
    _erase(thorough, person, thorough=True, monkeypatch=monkeypatch)
    kept, first = _rows(targeted), _rows(thorough)

    # The log's own rows differ (each copy recorded its leaving and erasure at its own time).
    log = {"rm_audit_log", "rm_event_index"}
    assert {t: r for t, r in kept.items() if t not in log} == {
        t: r for t, r in first.items() if t not in log
    }
    scrubbed = {t for t in kept if t not in log and kept[t] != before[t]}
    assert {"rm_objective_current", "rm_directory_people"} <= scrubbed
