"""audit_log: every event an audit row with its trust and a summary, filterable by time
without gaps or repeats, an unknown event type still audited."""

from __future__ import annotations

import string
import typing
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

import orjson
from eventsourcing.persistence import StoredEvent

from events import trust as tr
from events.base import registered_topics
from projections.audit_log import _SUMMARIES, audit_events
from projections.event_index import entry_at


def test_every_event_is_an_audit_row_with_its_trust_and_a_summary(trust: Any, project: Any) -> None:
    trust.start_review()
    db = project().db

    rows = audit_events(db, limit=1000)
    assert [r.position for r in rows] == list(range(1, len(rows) + 1))
    assert {r.trust_id for r in rows} == {trust.trust_id}
    assert rows[0].summary == "Trust registered: Northern Lights Trust"
    assert rows[-1].aggregate_type == "review"

    mine = audit_events(db, trust_id=trust.trust_id, aggregate_id=trust.appraisee)
    assert [r.event_type for r in mine] == ["StaffRegistered", "AssignedToSchool"]
    page = audit_events(db, trust_id=trust.trust_id, after_position=rows[2].position, limit=2)
    assert [r.position for r in page] == [rows[3].position, rows[4].position]
    assert audit_events(db, trust_id=uuid4()) == []


def test_a_time_range_pages_in_time_order_without_gaps_or_repeats(trust: Any, project: Any) -> None:
    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    # Recorded out of time order (a clock behind): log order and time order differ.
    for i, minutes in enumerate((30, 10, 20, 0, 40, 10)):
        trust.given(
            tr.PriorityAdded,
            trust.trust_id,
            at=base + timedelta(minutes=minutes),
            priority_id=uuid4(),
            title=f"Priority {i}",
        )
    db = project().db
    week = {"trust_id": trust.trust_id, "since": base, "until": base + timedelta(days=7)}
    everything = audit_events(db, **week)
    assert [r.summary for r in everything] == [
        f"Priority added: Priority {i}" for i in (3, 1, 5, 2, 0, 4)
    ]
    pages: list[list[Any]] = []
    moment, after = None, 0
    while page := audit_events(db, after_moment=moment, after_position=after, limit=4, **week):
        pages.append(page)
        moment, after = page[-1].timestamp, page[-1].position
    assert [len(p) for p in pages] == [4, 2]
    assert [r for p in pages for r in p] == everything
    # A position alone continues after that event's moment; ``upto`` ends at a position.
    assert audit_events(db, after_position=everything[1].position, **week) == everything[2:]
    last = max(r.position for r in everything)
    assert audit_events(db, upto=last - 1, **week) == [r for r in everything if r.position < last]
    # The actor's and the type's indexes give the same range.
    assert audit_events(db, event_type="PriorityAdded", **week) == everything
    assert audit_events(db, actor_id=everything[0].actor_id, **week) == everything


def test_an_event_of_an_unknown_type_is_still_indexed_and_audited(
    store: Any, projections: Any
) -> None:
    state = {
        "timestamp": "2025-09-01T09:00:00+00:00",
        "actor_id": str(uuid4()),
        "actor_role": "admin",
        "_v": 1,
    }
    store.recorder.insert_events(
        [StoredEvent(uuid4(), 1, "appraisals/SomethingNew", orjson.dumps(state))]
    )
    projections.catch_up()

    [row] = audit_events(projections.db)
    assert (row.event_type, row.aggregate_type, row.summary) == (
        "SomethingNew",
        "unknown",
        "SomethingNew",
    )
    assert entry_at(projections.db, 1) is not None


def test_every_audit_summary_names_scalar_fields_so_sql_formats_them_as_python_does() -> None:
    # The SQL rebuild (audit_log.summary_sql) formats fields as str() does only for scalars.
    scalars = (str, int, date, datetime, UUID, Enum)
    classes = {topic.removeprefix("appraisals/"): cls for topic, cls in registered_topics().items()}
    for event_type, template in _SUMMARIES.items():
        for _, field, _, _ in string.Formatter().parse(template):
            if field is None or (event_type, field) == ("ObjectiveRevised", "fields"):
                continue
            annotation = classes[event_type].model_fields[field].annotation
            types = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
            assert all(issubclass(t, scalars) for t in types), (event_type, field)
