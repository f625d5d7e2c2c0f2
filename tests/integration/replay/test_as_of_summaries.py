"""As-of summaries equal what the live read models showed at that moment.

The demo's events are fed into a store in steps, as a live system would receive them; after
each step the live school and trust summaries are recorded with the moment of the last event.
Afterwards, with the whole history stored, each summary asked "as of" a recorded moment must
equal what was recorded then — on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from appraisals import demo
from appraisals.demo.summary import DemoSummary
from appraisals.wiring import build_store
from config.settings import Settings
from events import codec
from projections.catalogue import read_models
from projections.cycle_summary.school import school_summary
from projections.cycle_summary.trust import trust_summary
from replay.summaries import AsOf, NotReady, school_summary_as_of, trust_summary_as_of
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration

STEPS = (0.1, 0.25, 0.4, 0.55, 0.7, 0.85)


@dataclass(frozen=True)
class Demo:
    summary: DemoSummary
    events: list[StoredEvent]
    moments: list[datetime]


@pytest.fixture(scope="module")
def staged() -> Demo:
    """A small demo trust (two cycles, moves, appeals), generated once, plain: its events are
    copied into other stores, which hold no keys of this one (docs/privacy.md)."""
    previous = codec.install_keyring(None)
    try:
        staging = build_store(Settings(database_url="sqlite:///:memory:"), own_keys=False)
        summary = demo.generate(staging, schools=3, staff=120, seed=11)
    finally:
        codec.install_keyring(previous)
    head = staging.recorder.max_notification_id() or 0
    notes = staging.recorder.select_notifications(1, head)
    staging.close()
    events = [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in notes]
    moments = [datetime.fromisoformat(orjson.loads(e.state)["timestamp"]) for e in events]
    return Demo(summary, events, moments)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'events.db'}"
    else:
        url = create_database("appraisals_asof")
        yield url
        drop_database(url)


def cuts(moments: list[datetime]) -> list[int]:
    """Points in the log where every earlier event is older than every later one."""
    later = [moments[-1]] * len(moments)
    for i in range(len(moments) - 2, -1, -1):
        later[i] = min(moments[i], later[i + 1])
    out = []
    for fraction in STEPS:
        cut = int(len(moments) * fraction)
        while cut < len(moments) and max(moments[:cut]) >= later[cut]:
            cut += 1
        out.append(cut)
    return out


def test_summaries_as_of_equal_the_live_ones_at_that_moment(staged: Demo, url: str) -> None:
    d = staged.summary
    cycles = [d.previous_cycle.id, d.current_cycle.id]
    store = build_store(Settings(database_url=url))
    live = read_models(url)
    live.ensure()
    recorded: list[tuple[str, UUID, UUID, datetime, Any]] = []
    done = 0
    for cut in [*cuts(staged.moments), len(staged.events)]:
        for i in range(done, cut, 500):
            store.recorder.insert_events(staged.events[i : min(i + 500, cut)])
        done = cut
        live.catch_up()
        moment = max(staged.moments[:cut])
        for cycle in cycles:
            then = trust_summary(live.db, d.trust_id, cycle)
            recorded.append(("trust", d.trust_id, cycle, moment, then))
            for school in d.school_ids:
                recorded.append(
                    ("school", school, cycle, moment, school_summary(live.db, school, cycle))
                )
    assert any(r[4] is not None for r in recorded[:8]) and any(r[4] is None for r in recorded)
    for kind, owner, cycle, moment, then in recorded:
        answer: AsOf[Any]
        if kind == "trust":
            answer = trust_summary_as_of(live.db, owner, cycle, at=moment)
        else:
            answer = school_summary_as_of(live.db, owner, cycle, at=moment)
        assert answer.view == then, (kind, owner, cycle, moment)
        assert 0 < answer.position <= len(staged.events)
    # A moment before any event, and a position beyond what the index has seen.
    assert school_summary_as_of(live.db, d.school_ids[0], cycles[0], position=1).view is None
    with pytest.raises(ValueError):
        school_summary_as_of(live.db, d.school_ids[0], cycles[0])
    live.close()
    store.close()


def test_a_moment_the_event_index_has_not_reached_is_not_ready(staged: Demo, url: str) -> None:
    store = build_store(Settings(database_url=url))
    store.recorder.insert_events(staged.events[:300])
    live = read_models(url)
    live.ensure()
    live.catch_up()
    store.recorder.insert_events(staged.events[300:400])
    d = staged.summary
    with pytest.raises(NotReady):
        school_summary_as_of(live.db, d.school_ids[0], d.previous_cycle.id, at=staged.moments[-1])
    live.catch_up()
    answer = school_summary_as_of(live.db, d.school_ids[0], d.previous_cycle.id, position=400)
    assert answer.position == 400
    live.close()
    store.close()
