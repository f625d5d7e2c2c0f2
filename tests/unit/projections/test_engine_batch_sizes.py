"""Property: the same log processed in batches of 1, 7 or 1,000, or rebuilt in bulk, gives
identical read models (equal checksums of every table)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.catalogue import read_models
from projections.engine import registry
from testkit.synthetic import History, stored


def fresh_checksums(url: str, page_size: int) -> dict[str, str]:
    """Drop every generation, build new live ones incrementally, checksum them."""
    service = read_models(url, page_size=page_size)
    service.ensure()
    with service.db.transaction() as tx:
        for p in service.projections.values():
            for g in registry.generations(tx, p.name):
                registry.drop_generation(tx, p, g.generation)
    service.ensure()
    service.catch_up()
    sums = {name: service.checksum(name) for name in service.names}
    service.close()
    return sums


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    schools=st.integers(1, 3),
    staff=st.integers(1, 6),
    cycles=st.integers(1, 2),
    move_rate=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_batch_size_never_changes_a_read_model(
    seed: int, schools: int, staff: int, cycles: int, move_rate: float
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.db"
        datastore = SQLiteDatastore(str(path))
        recorder = SQLiteApplicationRecorder(datastore, events_table_name="appraisals_events")
        recorder.create_table()
        events = [
            StoredEvent(*stored(e))
            for e in History(seed).events(
                schools=schools, staff_per_school=staff, cycles=cycles, move_rate=move_rate
            )
        ]
        for i in range(0, len(events), 13):
            recorder.insert_events(events[i : i + 13])
        url = f"sqlite:///{path}"

        one, seven, thousand = (fresh_checksums(url, n) for n in (1, 7, 1000))
        assert one == seven == thousand

        service = read_models(url, page_size=64, rebuild_page_size=64)
        service.rebuild()
        assert {name: service.checksum(name) for name in service.names} == thousand
        service.close()
        datastore.close()
