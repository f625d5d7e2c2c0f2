"""event_index: log positions, aggregate versions and times, to answer as-of questions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from projections.event_index import aggregate_events, entry_at, position_at, version_at


def test_positions_versions_and_times_answer_as_of_questions(trust: Any, project: Any) -> None:
    db = project().db
    first = entry_at(db, 1)
    assert first is not None and first.event_type == "TrustRegistered"
    history = aggregate_events(db, trust.trust_id)
    assert [e.aggregate_version for e in history] == [1, 2, 3, 4]

    assert position_at(db, datetime(2020, 1, 1, tzinfo=UTC)) == 0
    assert position_at(db, history[1].timestamp) == history[1].position
    assert version_at(db, trust.trust_id, history[2].timestamp) == 3
    assert version_at(db, trust.trust_id, datetime(2020, 1, 1, tzinfo=UTC)) is None
