"""The demo trust: deterministic for a seed, every kind of event, a log in time order."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypedDict
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import Notification

from aggregates.cycle import CycleStatus
from aggregates.errors import Conflict
from appraisals import demo
from appraisals.wiring import build_store
from commands import messages as m
from commands.service import CommandService
from commands.states import (
    ACCESS,
    CPD,
    CYCLE,
    EVIDENCE,
    FRAMEWORK,
    OBJECTIVE,
    OBSERVATION,
    PAY,
    REVIEW,
    STAFF,
    TRUST,
    Kind,
    load,
)
from commands.store import EventStoreApp
from config.settings import Settings
from events.base import registered_topics
from events.codec import record_hash


class Size(TypedDict, total=False):
    schools: int
    staff: int
    chunk_staff: int


SMALL: Size = {"schools": 2, "staff": 40}
# Four schools in chunks of about 20 staff: the spool-and-merge path.
CHUNKED: Size = {"schools": 4, "staff": 84, "chunk_staff": 20}
KIND_BY_FIRST_TOPIC: dict[str, Kind[Any]] = {
    "appraisals/TrustRegistered": TRUST,
    "appraisals/StaffRegistered": STAFF,
    "appraisals/CycleScheduled": CYCLE,
    "appraisals/ReviewStarted": REVIEW,
    "appraisals/ObjectiveDrafted": OBJECTIVE,
    "appraisals/CpdPlanned": CPD,
    "appraisals/EvidenceFileAttached": EVIDENCE,
    "appraisals/EvidenceLinkAttached": EVIDENCE,
    "appraisals/ObservationRecorded": OBSERVATION,
    "appraisals/PayRecommendationMade": PAY,
    "appraisals/ObjectiveTemplatePublished": FRAMEWORK,
    "appraisals/RoleGranted": ACCESS,
}


def fresh_store() -> EventStoreApp:
    return build_store(Settings(database_url="sqlite:///:memory:"))


def notifications(store: EventStoreApp) -> Sequence[Notification]:
    head = store.recorder.max_notification_id() or 0
    return store.recorder.select_notifications(1, head)


def fingerprint(store: EventStoreApp) -> list[tuple[str, int, bytes]]:
    return [(n.topic, n.originator_version, n.state) for n in notifications(store)]


def states(notes: Sequence[Notification]) -> list[dict[str, Any]]:
    return [orjson.loads(n.state) for n in notes]


def moment(state: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(state["timestamp"])


@pytest.fixture(scope="module")
def small() -> tuple[EventStoreApp, demo.DemoSummary]:
    store = fresh_store()
    return store, demo.generate(store, seed=0, **SMALL)


@pytest.fixture(scope="module")
def chunked() -> tuple[EventStoreApp, demo.DemoSummary]:
    store = fresh_store()
    return store, demo.generate(store, seed=3, **CHUNKED)


def test_the_same_seed_gives_identical_event_streams(
    small: tuple[EventStoreApp, demo.DemoSummary],
) -> None:
    again = fresh_store()
    demo.generate(again, seed=0, **SMALL)
    assert fingerprint(again) == fingerprint(small[0])
    ids = [n.originator_id for n in notifications(again)]
    assert ids == [n.originator_id for n in notifications(small[0])]


def test_a_different_seed_gives_a_different_trust(
    small: tuple[EventStoreApp, demo.DemoSummary],
) -> None:
    other = fresh_store()
    summary = demo.generate(other, seed=1, **SMALL)
    assert summary.trust_id != small[1].trust_id
    assert fingerprint(other) != fingerprint(small[0])


def test_chunked_generation_is_deterministic_too(
    chunked: tuple[EventStoreApp, demo.DemoSummary],
) -> None:
    again = fresh_store()
    summary = demo.generate(again, seed=3, **CHUNKED)
    assert summary.chunks > 1
    assert fingerprint(again) == fingerprint(chunked[0])


def test_every_kind_of_event_occurs_in_a_small_trust(
    small: tuple[EventStoreApp, demo.DemoSummary],
) -> None:
    topics = Counter(n.topic for n in notifications(small[0]))
    # A subject access export is recorded only when one is really produced (it carries the
    # digest of the export), from the read models the demo's staging stores do not have.
    not_in_demo = {"appraisals/SubjectAccessExported"}
    assert set(topics) == set(registered_topics()) - not_in_demo
    for name in (
        "ObjectiveRevised",
        "ObjectiveSetWithoutAgreement",
        "DisagreementRecorded",
        "AppealLodged",
        "AppealDecided",
        "ObjectiveCarriedForward",
        "StaffLeft",
        "ReviewReopened",
        "ObjectiveReinstated",
    ):
        assert topics[f"appraisals/{name}"] >= 1, name


def test_staff_move_school_and_leave(small: tuple[EventStoreApp, demo.DemoSummary]) -> None:
    notes = notifications(small[0])
    moves = [
        s
        for n, s in zip(notes, states(notes), strict=True)
        if n.topic == "appraisals/AssignedToSchool" and s["previous_school_id"] is not None
    ]
    assert moves
    assert all(m["school_id"] != m["previous_school_id"] and m["reason"] for m in moves)
    changes = [n for n in notes if n.topic == "appraisals/AppraiserChanged"]
    assert len(changes) >= len(moves)
    assert any(n.topic == "appraisals/StaffLeft" for n in notes)


def test_appeals_are_upheld_and_dismissed(small: tuple[EventStoreApp, demo.DemoSummary]) -> None:
    notes = notifications(small[0])
    outcomes = {
        s["outcome"]
        for n, s in zip(notes, states(notes), strict=True)
        if n.topic == "appraisals/AppealDecided"
    }
    assert outcomes == {"upheld", "dismissed"}


def test_the_previous_cycle_is_closed_and_the_current_one_open(
    small: tuple[EventStoreApp, demo.DemoSummary],
) -> None:
    store, summary = small
    previous = load(store, CYCLE, summary.previous_cycle.id)
    current = load(store, CYCLE, summary.current_cycle.id)
    assert (previous.name, previous.status) == ("2024-25", CycleStatus.CLOSED)
    assert (current.name, current.status) == ("2025-26", CycleStatus.OPEN)
    closes = [n for n in notifications(store) if n.topic == "appraisals/CycleClosed"]
    assert {n.originator_id for n in closes} == {previous.id}


@pytest.mark.parametrize("which", ["small", "chunked"])
def test_the_log_is_in_time_order(which: str, request: pytest.FixtureRequest) -> None:
    store, _ = request.getfixturevalue(which)
    times = [moment(s) for s in states(notifications(store))]
    assert times == sorted(times)


@pytest.mark.parametrize("which", ["small", "chunked"])
def test_every_aggregate_replays_with_an_unbroken_hash_chain(
    which: str, request: pytest.FixtureRequest
) -> None:
    store, _ = request.getfixturevalue(which)
    history: dict[UUID, list[Notification]] = defaultdict(list)
    for n in notifications(store):
        history[UUID(str(n.originator_id))].append(n)
    for aggregate_id, records in history.items():
        assert [r.originator_version for r in records] == list(range(1, len(records) + 1))
        previous = None
        for r in records:
            assert orjson.loads(r.state).get("prev_hash") == previous
            previous = record_hash(r.topic, r.originator_id, r.originator_version, r.state)
        load(store, KIND_BY_FIRST_TOPIC[records[0].topic], aggregate_id)


def test_appraisal_events_fall_within_their_cycle(
    small: tuple[EventStoreApp, demo.DemoSummary],
) -> None:
    store, summary = small
    cycles = {
        c.id: load(store, CYCLE, c.id).dates
        for c in (summary.previous_cycle, summary.current_cycle)
    }
    cycle_of: dict[str, UUID] = {}
    notes = notifications(store)
    checked = 0
    for n, s in zip(notes, states(notes), strict=True):
        oid = str(n.originator_id)
        if n.topic in ("appraisals/ReviewStarted", "appraisals/ObjectiveDrafted"):
            cycle_of[oid] = UUID(s["cycle_id"])
        if oid not in cycle_of:
            continue
        cycle = UUID(s["to_cycle_id"]) if "to_cycle_id" in s else cycle_of[oid]
        dates = cycles[cycle]
        assert dates.start_date <= moment(s).date() <= dates.end_date, (n.topic, s["timestamp"])
        checked += 1
    assert checked > len(notes) / 2


def test_the_summary_matches_the_log(small: tuple[EventStoreApp, demo.DemoSummary]) -> None:
    store, summary = small
    topics = Counter(n.topic for n in notifications(store))
    assert summary.events == store.recorder.max_notification_id()
    assert summary.staff == topics["appraisals/StaffRegistered"]
    assert summary.reviews == topics["appraisals/ReviewStarted"]
    assert summary.objectives == topics["appraisals/ObjectiveDrafted"]
    assert len(summary.school_ids) == topics["appraisals/SchoolAdded"] == 2
    assert summary.staff >= 40
    assert "2025-26" in summary.describe()


def test_the_sample_people_can_act_as_themselves(
    small: tuple[EventStoreApp, demo.DemoSummary],
) -> None:
    store, summary = small
    member = summary.staff_member
    assert member.review_id is not None
    review = load(store, REVIEW, member.review_id)
    assert review.appraisee_id == member.principal.id
    assert review.appraiser_id == summary.appraiser.principal.id
    staff = load(store, STAFF, member.principal.id)
    assert staff.school_id in summary.school_leader.principal.school_ids
    # A copy of the store, so the module's demo stays as generated.
    copy = fresh_store()
    copy.recorder.insert_events(list(notifications(store)))
    clock = datetime(2026, 3, 30, 10, tzinfo=UTC)
    service = CommandService(copy, clock=lambda: clock)
    objective_id = next(
        o
        for o in review.active_objectives
        if load(copy, OBJECTIVE, o).status.value in ("agreed", "set_without_agreement")
    )
    note = "Spring assessment completed."
    service.execute(
        m.RecordProgress(objective_id=objective_id, percent=70, note=note), member.principal
    )
    service.execute(m.SubmitSelfAssessment(review_id=review.id, text="On track."), member.principal)


def test_too_few_staff_for_the_schools_is_refused() -> None:
    with pytest.raises(ValueError, match="too few"):
        demo.generate(fresh_store(), schools=8, staff=30)


def test_generating_the_same_trust_twice_into_one_store_is_a_conflict(
    small: tuple[EventStoreApp, demo.DemoSummary],
) -> None:
    store, _ = small
    before = store.recorder.max_notification_id()
    with pytest.raises(Conflict):
        demo.generate(store, seed=0, **SMALL)
    assert store.recorder.max_notification_id() == before


def test_progress_is_reported_up_to_the_total() -> None:
    seen: list[int] = []
    summary = demo.generate(fresh_store(), seed=5, progress=seen.append, **CHUNKED)
    assert seen[-1] == summary.events
    assert seen == sorted(seen)


def test_a_demo_loaded_today_reads_as_the_current_academic_year() -> None:
    today = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    store = fresh_store()
    summary = demo.generate(store, seed=0, today=today, **SMALL)
    assert summary.current_cycle.name == "2026-27"
    assert summary.previous_cycle.name == "2025-26"
    notes = notifications(store)
    assert max(moment(s) for s in states(notes)) <= today
    # Planning is done and progress is under way; nothing of the mid-year has happened yet.
    kinds = Counter(
        s.get("kind")
        for n, s in zip(notes, states(notes), strict=True)
        if n.topic == "appraisals/MeetingRecorded" and moment(s) > datetime(2026, 9, 1, tzinfo=UTC)
    )
    assert kinds["planning"] > 0 and kinds["mid_year"] == 0
    assert demo.loaded_year(store, 0) == 2025
    assert demo.loaded_year(store, 1) is None


def test_the_demo_people_can_be_worked_out_again_without_writing() -> None:
    today = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    store = fresh_store()
    loaded = demo.generate(store, seed=0, today=today, **SMALL)
    before = store.recorder.max_notification_id()
    again = demo.generate(store, seed=0, first_year=2025, write=False, today=today, **SMALL)
    assert again.samples == loaded.samples
    assert store.recorder.max_notification_id() == before
