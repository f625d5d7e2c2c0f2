"""The consistency oracle as a test helper: catch the read models up and fail on any mismatch."""

from __future__ import annotations

from collections.abc import Sequence

from commands.store import EventStoreApp
from projections.engine.service import Projections
from replay.consistency import Mismatch, verify


def mismatches(
    store: EventStoreApp, projections: Projections, names: Sequence[str] | None = None
) -> list[Mismatch]:
    """Every difference between the (caught-up) read models and the aggregates."""
    head = int(store.recorder.max_notification_id() or 0)
    projections.catch_up()
    return verify(store.recorder, projections.db, names, upto=head)


def assert_consistent(
    store: EventStoreApp, projections: Projections, names: Sequence[str] | None = None
) -> None:
    found = mismatches(store, projections, names)
    assert not found, f"{len(found)} mismatches:\n" + "\n".join(str(m) for m in found[:30])
