"""An erasure finds the person's seals through the personal_seals read model and the log
beyond its position: a read model that lags, or that does not exist yet (a store upgraded
to this release, a read model being built from scratch), never makes it miss one."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from appraisals.wiring import Container, build
from commands import messages as m
from config.settings import Settings
from privacy.erasure import sealed_events
from projections.engine.core import EVENTS_TABLE
from projections.personal_seals import owners, sealed_positions
from testkit.scenario import Org, build_org
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration

TITLE = "Coach the Year 6 choir with Quillon's songbook"
EARLY = "Quillon's choir sang at the spring fair"
LATE = "Quillon's choir recorded an album after the index stopped"


@dataclass
class World:
    container: Container
    url: str
    org: Org
    objective: UUID


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    url = (
        f"sqlite:///{tmp_path / 'index.db'}"
        if request.param == "sqlite"
        else create_database("issue18_erasure_index")
    )
    settings = Settings(
        database_url=url,
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
                success_criteria=["Two concerts"],
                due_date=date(2026, 6, 30),
            ),
            org.appraisee,
        ).aggregate_id
        svc.execute(m.AgreeObjective(objective_id=objective), org.appraisee)
        svc.execute(m.AgreeObjective(objective_id=objective), org.appraiser)
        svc.execute(m.RecordProgress(objective_id=objective, percent=30, note=EARLY), org.appraisee)
        container.projections.catch_up()
        yield World(container, url, org, objective)
    finally:
        container.close()
        if request.param == "postgresql":
            drop_database(url)


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return conn.execute(sql).fetchall()
    with psycopg.connect(url) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def _sealed_in_log(url: str, person: UUID) -> int:
    """How many stored events hold a seal of ``person``: every record read."""
    states = _query(url, f"SELECT state FROM {EVENTS_TABLE}")
    return sum(1 for (state,) in states if str(person) in owners(_bytes(state)))


def _bytes(value: object) -> bytes:
    assert isinstance(value, bytes | memoryview)
    return bytes(value)


def _readable(url: str, needle: str) -> list[str]:
    """The read-model columns whose text still holds ``needle``."""
    if url.startswith("sqlite"):
        names = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rm_%'"
        of = "SELECT name FROM pragma_table_info('{t}')"
        cast = "CAST({c} AS TEXT)"
    else:
        names = (
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name LIKE 'rm%'"
        )
        of = "SELECT column_name FROM information_schema.columns WHERE table_name = '{t}'"
        cast = "{c}::text"
    found = []
    for (table,) in _query(url, names):
        for (column,) in _query(url, of.format(t=table)):
            where = f"{cast.format(c=column)} LIKE '%{needle}%'"
            if _query(url, f"SELECT count(*) FROM {table} WHERE {where}")[0][0]:
                found.append(f"{table}.{column}")
    return found


@pytest.mark.parametrize("index", ["lagging", "absent"])
def test_an_erasure_finds_every_seal_whatever_the_read_models_position(
    world: World, index: str
) -> None:
    w = world
    svc, person = w.container.commands, w.org.appraisee_id
    others = [n for n in w.container.projections.names if n != "personal_seals"]
    if index == "absent":
        # As in a store upgraded to this release before the read model was first built.
        live = "FROM rm_registry WHERE name = 'personal_seals'"
        ((generation,),) = _query(w.url, f"SELECT generation {live}")
        _query(w.url, f"DELETE {live}")
        _query(w.url, f"DROP TABLE rm_personal_seals_v{generation}")
    # Written after the index's position: only the scan of the log's tail finds it.
    svc.execute(m.RecordProgress(objective_id=w.objective, percent=60, note=LATE), w.org.appraisee)
    svc.execute(
        m.RecordStaffLeaving(staff_id=person, effective_date=date(2026, 2, 1), reason="left"),
        w.org.admin,
    )
    w.container.projections.catch_up(others)
    expected = _sealed_in_log(w.url, person)
    db = w.container.projections.db
    with db.transaction() as tx:
        upto, listed = sealed_positions(tx, str(person))
    if index == "lagging":
        assert 0 < len(listed) < expected and upto < w.container.projections.head()
    else:
        assert (upto, listed) == (0, [])
    assert len(sealed_events(db, EVENTS_TABLE, str(person))) == expected
    assert _readable(w.url, "Quillon")
    if index == "absent":
        # Created now, empty, at position 0 (as when first deployed): the erasure scans it all.
        w.container.projections.ensure()

    eraser = w.container.eraser
    assert eraser is not None
    done = eraser.erase(person, reason="their request", principal=w.org.admin)
    w.container.projections.catch_up()

    assert done.sealed_events == expected
    assert _readable(w.url, "Quillon") == []
