"""objective_revisions.changes_in_cycle: a cycle's changes by school, priority, date and review,
a page at a time; and an outdated live generation replaced by a rebuild."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from events import objective as ob
from events import trust as tr
from events.values import FieldChange
from projections import objective_revisions as orv
from projections.engine.service import Projections
from projections.objective_revisions import Revision, changes_in_cycle, history


def draft(trust: Any, **overrides: Any) -> UUID:
    objective_id = uuid4()
    fields: dict[str, Any] = {
        "review_id": trust.review_id,
        "cycle_id": trust.cycle_id,
        "appraisee_id": trust.appraisee,
        "title": "Improve reading",
        "description": "Year 3 reading ages",
        "success_criteria": ("80% at expected",),
        "priority_id": trust.priority,
        "due_date": date(2026, 7, 1),
        **overrides,
    }
    trust.given(ob.ObjectiveDrafted, objective_id, actor=trust.appraiser, **fields)
    return objective_id


def keys(rows: list[Revision]) -> list[tuple[int, int]]:
    return [(r.position, r.seq) for r in rows]


def test_a_person_who_moves_counts_at_the_old_school_before_and_the_new_school_after(
    trust: Any, project: Any
) -> None:
    trust.start_review()
    oid = draft(trust)
    trust.given(ob.ObjectiveAgreed, oid, by="appraisee")
    trust.move(trust.school_b, date(2026, 1, 5))
    trust.given(ob.ObjectiveAgreed, oid, by="appraiser")
    trust.given(ob.ProgressRecorded, oid, percent=40, note="On track")
    db = project().db

    at_a = changes_in_cycle(db, trust.cycle_id, school_id=trust.school_a)
    at_b = changes_in_cycle(db, trust.cycle_id, school_id=trust.school_b)
    assert {r.event_type for r in at_a} == {"ObjectiveDrafted", "ObjectiveAgreed"}
    assert [(r.event_type, r.field, r.new_value) for r in at_a][-2:] == [
        ("ObjectiveAgreed", "agreed_by_appraisee", True),
        ("ObjectiveAgreed", "status", "awaiting_agreement"),
    ]
    assert [(r.event_type, r.field) for r in at_b] == [
        ("ObjectiveAgreed", "agreed_by_appraiser"),
        ("ObjectiveAgreed", "status"),
        ("ProgressRecorded", "progress_percent"),
    ]
    # Together they are the whole cycle, each change counted once.
    assert sorted(keys(at_a) + keys(at_b)) == keys(changes_in_cycle(db, trust.cycle_id))
    assert {r.school_id for r in history(db, oid)} == {trust.school_a, trust.school_b}


def test_changes_are_filtered_by_the_priority_the_objective_had_at_the_time(
    trust: Any, project: Any
) -> None:
    writing = uuid4()
    trust.given(tr.PriorityAdded, trust.trust_id, priority_id=writing, title="Writing")
    trust.start_review()
    oid = draft(trust)
    other = draft(trust, title="Behaviour", priority_id=None)
    change = FieldChange(field="priority_id", old=str(trust.priority), new=str(writing))
    trust.given(ob.ObjectiveRevised, oid, changes=(change,), reason="New focus")
    trust.given(ob.ProgressRecorded, oid, percent=10, note="Started")
    db = project().db

    reading = changes_in_cycle(db, trust.cycle_id, priority_id=trust.priority)
    assert {r.event_type for r in reading} == {"ObjectiveDrafted"}
    assert {r.objective_id for r in reading} == {oid}
    # The revision that moved it, and what followed, belong to the new priority.
    assert [
        (r.event_type, r.field) for r in changes_in_cycle(db, trust.cycle_id, priority_id=writing)
    ] == [
        ("ObjectiveRevised", "priority_id"),
        ("ProgressRecorded", "progress_percent"),
    ]
    assert {r.priority_id for r in history(db, other)} == {None}
    assert changes_in_cycle(db, uuid4()) == []


def test_changes_are_filtered_by_date_range_and_review(trust: Any, project: Any) -> None:
    trust.start_review()
    oid = draft(trust)
    trust.given(
        ob.ProgressRecorded,
        oid,
        at=datetime(2026, 2, 1, 10, 0, tzinfo=UTC),
        percent=50,
        note="Half way",
    )
    trust.given(
        ob.ObjectiveAssessed,
        oid,
        at=datetime(2026, 7, 10, 10, 0, tzinfo=UTC),
        outcome="met",
        comment="Done",
    )
    db = project().db

    spring = changes_in_cycle(
        db,
        trust.cycle_id,
        since=datetime(2026, 1, 1, tzinfo=UTC),
        until=datetime(2026, 7, 10, 10, 0, tzinfo=UTC),  # until is exclusive
    )
    assert [r.field for r in spring] == ["progress_percent"]
    summer = changes_in_cycle(db, trust.cycle_id, since=datetime(2026, 7, 10, 10, 0, tzinfo=UTC))
    assert [r.field for r in summer] == ["outcome", "status"]
    assert keys(changes_in_cycle(db, trust.cycle_id, review_id=trust.review_id)) == keys(
        changes_in_cycle(db, trust.cycle_id)
    )
    assert changes_in_cycle(db, trust.cycle_id, review_id=uuid4()) == []


def test_a_date_range_pages_in_time_order_by_its_own_cursor(trust: Any, project: Any) -> None:
    trust.start_review()
    oid = draft(trust)
    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    # Recorded out of time order (a clock behind): log order and time order differ.
    for minutes, percent in ((30, 10), (10, 20), (20, 30), (0, 40), (10, 50)):
        trust.given(
            ob.ProgressRecorded,
            oid,
            at=base + timedelta(minutes=minutes),
            percent=percent,
            note="n",
        )
    db = project().db
    since, until = base, base + timedelta(days=7)
    everything = changes_in_cycle(db, trust.cycle_id, since=since, until=until)
    assert [r.new_value for r in everything] == [40, 20, 50, 30, 10]

    pages: list[list[Revision]] = []
    moment, after = None, None
    while page := changes_in_cycle(
        db, trust.cycle_id, since=since, until=until, after_moment=moment, after=after, limit=2
    ):
        pages.append(page)
        moment, after = page[-1].timestamp, (page[-1].position, page[-1].seq)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [r for p in pages for r in p] == everything


def test_pages_follow_the_position_and_seq_cursor_without_gaps_or_repeats(
    trust: Any, project: Any
) -> None:
    trust.start_review()
    for title in ("One", "Two", "Three"):
        # A draft is several rows (one per initial field, and the status).
        draft(trust, title=title, standards=("TS1", "TS2"))
    db = project().db
    everything = changes_in_cycle(db, trust.cycle_id, school_id=trust.school_a)
    assert len(everything) > 12 and len({r.position for r in everything}) == 3

    pages: list[list[Revision]] = []
    cursor: tuple[int, int] | None = None
    while page := changes_in_cycle(
        db, trust.cycle_id, school_id=trust.school_a, after=cursor, limit=4
    ):
        pages.append(page)
        cursor = (page[-1].position, page[-1].seq)
    # Pages cut through events (a draft's rows span pages) and still join up exactly.
    assert [len(p) for p in pages[:-1]] == [4] * (len(pages) - 1)
    assert [r for p in pages for r in p] == everything

    second = everything[len(everything) // 2].position
    assert {r.position for r in changes_in_cycle(db, trust.cycle_id, after_position=second)} == {
        r.position for r in everything if r.position > second
    }


def test_an_outdated_live_version_keeps_answering_and_a_rebuild_replaces_it(
    store: Any, trust: Any
) -> None:
    class SchemaOne(orv.ObjectiveRevisions):
        schema_version = 1
        tables = (
            dataclasses.replace(
                orv.REVISIONS,
                columns=tuple(
                    c for c in orv.REVISIONS.columns if c.name not in ("school_id", "priority_id")
                ),
                indexes=(),
            ),
            orv.STATE,
            orv.REVIEWS,
            orv.ASSIGNMENTS,
        )

    old = Projections(store.url, projections=[SchemaOne()])
    old.ensure()
    old.close()
    trust.start_review()
    oid = draft(trust)
    store.append(trust.given.take())

    service = Projections(store.url, projections=[orv.ObjectiveRevisions()])
    service.ensure()
    assert service.outdated() == ["objective_revisions"]
    assert service.advance("objective_revisions") == 0  # old tables: not written by new code
    assert history(service.db, oid) == []  # the views still answer
    assert [s.state for s in service.status()] == ["outdated"]

    assert service.rebuild_outdated() == {"objective_revisions": 2}
    assert service.outdated() == []
    assert {r.school_id for r in history(service.db, oid)} == {trust.school_a}
    assert [s.state for s in service.status()] == ["current"]
    service.close()
