"""The engine: positions, ignored events, exactly-once under failure and races, rebuilds."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from events import review as rv
from projections.catalogue import read_models
from projections.engine import registry
from projections.engine.core import Member, PositionConflict
from projections.engine.rebuild import RebuildProgress
from projections.engine.runner import InProcessRunner
from projections.engine.service import Projections
from projections.event_index import EventIndex
from projections.objective_current import ObjectiveCurrent
from projections.review_status import ReviewStatus, get_review


def live_position(service: Projections, name: str) -> int:
    return next(s.position for s in service.status() if s.name == name and s.version)


def test_events_a_projection_ignores_still_move_its_position(store: Any, trust: Any) -> None:
    head = store.append(trust.given.take())  # no review or objective events at all
    service = Projections(store.url, projections=[ObjectiveCurrent()], page_size=3)
    service.ensure()

    assert service.advance("objective_current") == head
    assert live_position(service, "objective_current") == head
    assert service.status()[0].state == "current"


def test_a_batch_that_fails_applies_nothing_and_is_applied_once_on_retry(
    store: Any, trust: Any
) -> None:
    head = store.append(trust.given.take())
    calls: list[int] = []

    def crash_on_second_batch(members: Sequence[Member], end: int) -> None:
        del members
        calls.append(end)
        if len(calls) == 2:
            raise RuntimeError("power cut")

    service = Projections(
        store.url, projections=[EventIndex()], page_size=4, before_commit=crash_on_second_batch
    )
    service.ensure()
    with pytest.raises(RuntimeError):
        service.advance("event_index")
    assert live_position(service, "event_index") == 4

    service.catch_up()
    with sqlite3.connect(store.url.removeprefix("sqlite:///")) as conn:
        positions = [r[0] for r in conn.execute("SELECT position FROM rm_event_index ORDER BY 1")]
    assert positions == list(range(1, head + 1))


def test_a_batch_that_lost_a_race_rolls_back(store: Any, trust: Any) -> None:
    store.append(trust.given.take())
    service = Projections(store.url, projections=[EventIndex()], page_size=4)
    service.ensure()

    def rival(members: Sequence[Member], end: int) -> None:
        # Another worker moved the position while this batch was being applied.
        del members, end
        raise PositionConflict("moved")

    service.engine.before_commit = rival
    assert service.advance("event_index") == 0
    assert live_position(service, "event_index") == 0


def test_a_projection_held_by_another_worker_is_skipped(store: Any, trust: Any) -> None:
    store.append(trust.given.take())
    service = Projections(store.url, projections=[EventIndex()])
    service.ensure()
    with service.db.locked("appraisals:projection:event_index:v1") as got:
        assert got
        assert service.advance("event_index") is None


def test_a_rebuild_builds_beside_the_live_version_and_switches(
    store: Any, trust: Any, given: Any
) -> None:
    r = trust.start_review()
    given(rv.MeetingRecorded, r, kind="planning", held_on=date(2025, 9, 20), notes="Plan")
    head = store.append(given.take())
    service = Projections(store.url, projections=[ReviewStatus(), EventIndex()], page_size=5)
    service.catch_up()
    before = service.checksum("review_status")
    seen: list[RebuildProgress] = []

    def watch(p: RebuildProgress) -> None:
        seen.append(p)
        # Queries keep answering from the live version while the new one is built.
        assert get_review(service.db, r) is not None

    assert service.rebuild(progress=watch) == {"review_status": 2, "event_index": 2}
    assert service.checksum("review_status") == before
    assert seen[-1].phase == "done" and seen[-1].position == head
    assert {s.phase for s in seen} >= {"building", "indexing", "switching", "done"}
    with service.db.transaction(write=False) as tx:
        assert [g.generation for g in registry.generations(tx, "review_status")] == [2]
        old = tx.query("SELECT name FROM sqlite_master WHERE name = 'rm_review_status_v1'")
    assert old == []
    assert [s.version for s in service.status()] == [2, 2]


def test_status_reports_lag_and_the_runner_catches_up_when_notified(store: Any, trust: Any) -> None:
    service = read_models(store.url, page_size=10)
    service.ensure()
    head = store.append(trust.given.take())
    assert {s.lag for s in service.status()} == {head}
    assert {s.state for s in service.status()} == {"catching_up"}

    with InProcessRunner(service, poll_interval=30.0) as runner:
        runner.notify()
        assert service.wait_for(head, timeout=10.0)
    assert {(s.lag, s.state) for s in service.status()} == {(0, "current")}
