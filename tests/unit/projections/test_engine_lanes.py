"""A rebuild's lanes: each projection's cost is recorded by one rebuild and splits the next."""

from __future__ import annotations

from typing import Any

import pytest

from projections.cycle_summary.school import SchoolCycleSummary
from projections.cycle_summary.trust import TrustCycleSummary
from projections.engine import registry
from projections.engine.core import Member
from projections.engine.rebuild import _Estimates, _estimates, _lanes, _split
from projections.engine.service import Projections
from projections.event_index import EventIndex
from projections.objective_current import ObjectiveCurrent
from projections.objective_revisions import ObjectiveRevisions
from projections.review_status import ReviewStatus


def lane_names(lanes: list[list[Member]]) -> list[list[str]]:
    return [[m.projection.name for m in lane] for lane in lanes]


def test_a_rebuild_records_what_each_projection_cost(store: Any, trust: Any) -> None:
    head = store.append(trust.given.take())
    service = Projections(store.url, projections=[ReviewStatus(), EventIndex()], page_size=5)
    service.catch_up()

    service.rebuild()

    with service.db.transaction(write=False) as tx:
        rows = tx.query(f"SELECT name, positions, seconds FROM {registry.COSTS} ORDER BY name")
    assert [(name, positions) for name, positions, _ in rows] == [
        ("event_index", head),
        ("review_status", head),
    ]
    assert all(seconds > 0 for _, _, seconds in rows)


def test_a_short_tail_leaves_a_measurement_of_more_positions_and_a_new_one_is_averaged(
    store: Any,
) -> None:
    service = Projections(store.url, projections=[ReviewStatus()])
    service.ensure()
    with service.db.transaction() as tx:
        registry.record_costs(tx, {"review_status": (1000, 10.0)})
        registry.record_costs(tx, {"review_status": (10, 5.0)})  # a resumed rebuild's tail
        assert registry.costs(tx) == {"review_status": 0.01}
        registry.record_costs(tx, {"review_status": (2000, 10.0)})  # the log grew
        assert registry.costs(tx) == {"review_status": pytest.approx((0.01 + 0.005) / 2)}


def test_lanes_follow_the_measured_costs_not_the_declared_ones(store: Any) -> None:
    chosen = [
        ObjectiveCurrent(),  # declared 3
        ObjectiveRevisions(),  # declared 2
        ReviewStatus(),  # declared 1
        SchoolCycleSummary(),  # declared 3, twin of the trust summary
        TrustCycleSummary(),
    ]
    service = Projections(store.url, projections=chosen)
    service.ensure()
    members = [Member(p, 1) for p in chosen]

    declared = _split(members, _estimates(service, members))
    assert lane_names(declared) == [
        ["objective_current", "objective_revisions"],
        ["school_cycle_summary", "trust_cycle_summary", "review_status"],
    ]

    # Measured: review_status costs as much as both objective models together.
    with service.db.transaction() as tx:
        registry.record_costs(
            tx,
            {
                "objective_current": (1000, 3.0),
                "objective_revisions": (1000, 3.0),
                "review_status": (1000, 6.0),
                "school_cycle_summary": (1000, 5.0),
                "trust_cycle_summary": (1000, 0.5),  # it copied its twin's tables
            },
        )
    measured = _split(members, _estimates(service, members))
    assert lane_names(measured) == [
        ["review_status", "objective_revisions"],
        ["school_cycle_summary", "trust_cycle_summary", "objective_current"],
    ]


def test_a_measured_split_barely_shorter_than_the_declared_one_is_not_taken(store: Any) -> None:
    chosen = [ObjectiveCurrent(), ObjectiveRevisions(), ReviewStatus(), SchoolCycleSummary()]
    service = Projections(store.url, projections=chosen)
    service.ensure()
    members = [Member(p, 1) for p in chosen]
    with service.db.transaction() as tx:
        registry.record_costs(
            tx,
            {
                "objective_current": (1000, 3.0),
                "objective_revisions": (1000, 2.8),
                "review_status": (1000, 3.3),
                "school_cycle_summary": (1000, 3.0),
            },
        )
    cost = _estimates(service, members)
    # Greedy on these: 6.1 s in the longer lane, against 6.3 s for the declared split.
    assert lane_names(_lanes(members, cost)) == [
        ["review_status", "objective_revisions"],
        ["objective_current", "school_cycle_summary"],
    ]

    assert lane_names(_split(members, cost)) == [
        ["objective_current", "objective_revisions"],
        ["school_cycle_summary", "review_status"],
    ]


def test_a_projection_never_measured_is_reckoned_by_its_declared_cost_to_scale(
    store: Any,
) -> None:
    chosen = [ObjectiveCurrent(), ObjectiveRevisions(), ReviewStatus()]
    service = Projections(store.url, projections=chosen)
    service.ensure()
    members = [Member(p, 1) for p in chosen]
    with service.db.transaction() as tx:
        # 2 s per unit of declared cost for both measured ones: review_status (1) is 2 s.
        registry.record_costs(
            tx, {"objective_current": (1000, 6.0), "objective_revisions": (1000, 4.0)}
        )

    cost = _estimates(service, members).own

    assert {m.projection.name: round(c / cost[members[2]], 6) for m, c in cost.items()} == {
        "objective_current": 3.0,
        "objective_revisions": 2.0,
        "review_status": 1.0,
    }


def test_projections_reading_the_same_events_share_a_lane_when_reading_them_costs() -> None:
    current, revisions, status = ObjectiveCurrent(), ObjectiveRevisions(), ReviewStatus()
    oc, orv, rs = (Member(p, 1) for p in (current, revisions, status))
    assert current.topics is not None and revisions.topics is not None
    assert status.topics is not None
    objective_events = revisions.topics - status.topics
    review_events = status.topics - current.topics
    own = {oc: 5.0, rs: 4.8, orv: 1.0}

    # Own work alone: the least loaded lane takes objective_revisions.
    assert lane_names(_lanes([oc, orv, rs], _Estimates(own, {}))) == [
        ["objective_current"],
        ["review_status", "objective_revisions"],
    ]

    # Reading the objective events costs 2 s per lane that reads them: read them once.
    reading = {t: 2.0 / len(objective_events) for t in objective_events}
    reading |= {t: 0.5 / len(review_events) for t in review_events}
    assert lane_names(_lanes([oc, orv, rs], _Estimates(own, reading))) == [
        ["objective_current", "objective_revisions"],
        ["review_status"],
    ]
