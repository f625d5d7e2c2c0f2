"""The event contract: stable topics, encode/decode round trips, and stored version-1 events
read (upcast) as the current classes, by the codec and through the real event store."""

from __future__ import annotations

import types
import typing
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any
from uuid import UUID, uuid5

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from pydantic import BaseModel

import events
from aggregates import objective
from aggregates.base import projector
from commands import messages as m
from commands.handling import OBJECTIVE, REVIEW, STAFF, load
from commands.service import CommandService
from commands.store import EventStoreApp
from events.base import DomainEvent, Role, TopicError, registered_topics, resolve, upcast
from events.codec import VERSION_KEY, decode, decode_state, encode
from events.objective import ObjectiveDrafted
from events.reminders import QuietPeriod, ReminderPolicy
from events.staff import AssignedToSchool, StaffRegistered
from events.values import StaffCategory
from testkit.scenario import Org

OBJ = UUID("70000000-0000-4000-8000-0000000000f1")
REVIEW_ID = UUID("70000000-0000-4000-8000-000000000005")
CYCLE_ID = UUID("70000000-0000-4000-8000-000000000003")
ANN = UUID("70000000-0000-4000-8000-0000000000a1")
CAT = UUID("70000000-0000-4000-8000-0000000000c0")
TRUST = UUID("70000000-0000-4000-8000-000000000001")
WHEN = datetime(2024, 9, 20, 10, 0, tzinfo=UTC)

# The stored names of every event. They never change: renaming or moving a class must keep
# its topic, or stored history could no longer be read.
STABLE_TOPICS = {
    "RoleGranted",
    "SubjectAccessExported",
    "RoleRevoked",
    "TrustRegistered",
    "SchoolAdded",
    "SchoolRenamed",
    "PriorityAdded",
    "PriorityRetired",
    "StaffRegistered",
    "AssignedToSchool",
    "LineManagerChanged",
    "StaffRenamed",
    "JobTitleChanged",
    "StaffLeft",
    "CycleScheduled",
    "CycleOpened",
    "CycleClosed",
    "CycleAdded",
    "GovernorAppointed",
    "PanelAppointed",
    "AdviserConsulted",
    "CycleReopened",
    "PolicyChanged",
    "ReviewStarted",
    "AppraiserChanged",
    "ObjectiveLinked",
    "ObjectiveUnlinked",
    "MeetingRecorded",
    "SelfAssessmentSubmitted",
    "AssessmentWritten",
    "ReportIssued",
    "AppraiseeCommented",
    "SignedOff",
    "Moderated",
    "AppealLodged",
    "AppealDecided",
    "ReviewReopened",
    "ObjectiveDrafted",
    "ObjectiveSetWithoutAgreement",
    "DisagreementRecorded",
    "ObjectiveRevised",
    "ObjectiveAgreed",
    "ProgressRecorded",
    "ObjectiveAssessed",
    "ObjectiveWithdrawn",
    "ObjectiveReinstated",
    "ObjectiveCarriedForward",
    "ReminderPolicyChanged",
    "ReminderPreferenceChanged",
    "ReviewChased",
    "CpdPlanned",
    "CpdCompleted",
    "CpdReflected",
    "CpdCancelled",
    "EvidenceFileAttached",
    "EvidenceLinkAttached",
    "EvidenceRemoved",
    "ObservationRecorded",
    "ObservationCommented",
    "PayRecommendationMade",
    "PayDecisionRecorded",
    "ObjectiveTemplatePublished",
    "ObjectiveTemplateRetired",
    "RatingScalePublished",
    "ObservationPolicySet",
}


def event_classes() -> list[type[DomainEvent]]:
    """Every event class defined in the events package."""
    modules = [
        events.access,
        events.cycle,
        events.objective,
        events.review,
        events.staff,
        events.trust,
        events.reminders,
        events.cpd,
        events.evidence,
        events.observation,
        events.pay,
        events.framework,
        events.subject_access,
    ]
    return [
        cls
        for module in modules
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, DomainEvent)
        and cls is not DomainEvent
        and cls.__module__ == module.__name__
    ]


def v1_objective_drafted_state(**overrides: Any) -> dict[str, Any]:
    """What version 1 of ObjectiveDrafted stored: success criteria as one block of text."""
    return {
        "timestamp": WHEN.isoformat(),
        "actor_id": str(ANN),
        "actor_role": "staff",
        "review_id": str(REVIEW_ID),
        "cycle_id": str(CYCLE_ID),
        "appraisee_id": str(ANN),
        "title": "Improve reading",
        "description": "Year 3",
        "success_criteria": "- 80% at ARE\n* Phonics screening 90%\n\n  \n\tReading age +1 ",
        "priority_id": None,
        "standards": ["TS3"],
        "due_date": "2025-07-01",
        VERSION_KEY: 1,
        **overrides,
    }


def v1_staff_registered_state(trust_id: UUID = TRUST) -> dict[str, Any]:
    """What version 1 of StaffRegistered stored: no staff category."""
    return {
        "timestamp": WHEN.isoformat(),
        "actor_id": str(ANN),
        "actor_role": "admin",
        "trust_id": str(trust_id),
        "name": "Cat Legacy",
        "email": "cat@oak.example",
        "job_title": "Class Teacher",
        VERSION_KEY: 1,
    }


# Stable topics -----------------------------------------------------------------------------------


def test_every_event_class_is_registered_under_appraisals_and_its_class_name() -> None:
    classes = event_classes()
    assert {cls.__name__ for cls in classes} == STABLE_TOPICS
    for cls in classes:
        assert cls.topic == f"appraisals/{cls.__name__}"
        assert resolve(cls.topic) is cls
    assert set(registered_topics()) == {f"appraisals/{name}" for name in STABLE_TOPICS}


def test_an_unknown_topic_is_an_error_naming_it() -> None:
    with pytest.raises(TopicError, match="appraisals/ObjectiveInvented"):
        decode("appraisals/ObjectiveInvented", b"{}", OBJ, 1)


def test_a_topic_cannot_be_registered_to_a_second_class() -> None:
    with pytest.raises(ValueError, match="already registered"):

        @events.base.register("ObjectiveDrafted")
        class Impostor(DomainEvent):
            pass


# Round trips -------------------------------------------------------------------------------------


# Values whose validators relate their fields (one rule per milestone), given whole.
WHOLE_SAMPLES: dict[Any, Any] = {
    ReminderPolicy: ReminderPolicy(
        quiet_periods=(
            QuietPeriod(name="Half term", start=date(2026, 2, 16), end=date(2026, 2, 20)),
        ),
        weekly_digest=False,
        digest_weekday=4,
    )
}


def sample(annotation: Any, n: int = 0) -> Any:
    """A non-default value of the annotated type, to fill every field of an event."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return sample(next(a for a in args if a is not type(None)), n)
    if origin is tuple:
        return tuple(sample(args[0], n + i) for i in range(2))
    if origin is list:
        return [sample(args[0], n + i) for i in range(2)]
    if annotation in WHOLE_SAMPLES:
        return WHOLE_SAMPLES[annotation]
    if isinstance(annotation, type):
        if annotation is bool:
            return n % 2 == 1
        if issubclass(annotation, Enum):
            return list(annotation)[-1]
        if issubclass(annotation, BaseModel):
            # nested values (a cycle policy, a field change) with small numbers, within limits
            fields = annotation.model_fields.items()
            return annotation(**{name: sample(field.annotation) for name, field in fields})
        if annotation is UUID:
            return uuid5(OBJ, str(n))
        if annotation is datetime:
            return WHEN
        if annotation is date:
            return date(2026, 1, 1 + n)
        if annotation is int:
            return 3 + n
        if annotation is float:
            return 1.5 + n
        if annotation is bool:
            return True
        if annotation is str:
            return f"text {n}: ünïcode, “quotes” and emoji 📚"
    raise AssertionError(f"no sample for {annotation!r}")


def sample_event(cls: type[DomainEvent]) -> DomainEvent:
    fields = {
        name: sample(field.annotation, i)
        for i, (name, field) in enumerate(cls.model_fields.items())
    }
    fields.update(originator_id=OBJ, originator_version=7, actor_role=Role.SCHOOL_LEADER)
    return cls(**fields)


@pytest.mark.parametrize("cls", event_classes(), ids=lambda c: c.__name__)
def test_every_event_round_trips_through_its_stored_form(cls: type[DomainEvent]) -> None:
    event = sample_event(cls)
    topic, data = encode(event)

    assert topic == f"appraisals/{cls.__name__}"
    stored = orjson.loads(data)
    assert stored[VERSION_KEY] == cls.class_version
    # the store keeps the originator id and version in their own columns
    assert "originator_id" not in stored
    assert "originator_version" not in stored
    assert decode(topic, data, OBJ, 7) == event
    assert decode(topic, data, str(OBJ), 7) == event


# Version 1 read as the current version ----------------------------------------------------------


def test_a_version_1_objective_drafted_reads_with_its_criteria_split_into_a_list() -> None:
    data = orjson.dumps(v1_objective_drafted_state())
    event = decode("appraisals/ObjectiveDrafted", data, OBJ, 1)

    assert isinstance(event, ObjectiveDrafted)
    assert ObjectiveDrafted.class_version == 2
    assert event.success_criteria == ("80% at ARE", "Phonics screening 90%", "Reading age +1")
    assert event.title == "Improve reading"
    assert event.standards == ("TS3",)
    assert event.carried_forward_from is None
    assert (event.originator_id, event.originator_version) == (OBJ, 1)


def test_a_stored_state_without_a_version_is_read_as_version_1() -> None:
    state = v1_objective_drafted_state(success_criteria="one criterion")
    del state[VERSION_KEY]
    event = decode("appraisals/ObjectiveDrafted", orjson.dumps(state), OBJ, 1)
    assert isinstance(event, ObjectiveDrafted)
    assert event.success_criteria == ("one criterion",)


def test_a_version_1_staff_registered_reads_as_a_teacher() -> None:
    data = orjson.dumps(v1_staff_registered_state())
    event = decode("appraisals/StaffRegistered", data, CAT, 1)

    assert isinstance(event, StaffRegistered)
    assert StaffRegistered.class_version == 2
    assert event.category is StaffCategory.TEACHER
    assert event.name == "Cat Legacy"


def test_upcasting_leaves_the_stored_state_untouched() -> None:
    state = v1_objective_drafted_state()
    stored = dict(state)
    cls, current = decode_state("appraisals/ObjectiveDrafted", orjson.dumps(state))
    assert cls is ObjectiveDrafted
    assert isinstance(current["success_criteria"], list)
    assert state == stored


def test_a_stored_version_without_an_upcaster_is_an_error() -> None:
    with pytest.raises(TopicError, match="no upcaster from version 0"):
        upcast(ObjectiveDrafted, {}, 0)


def test_a_current_version_is_not_upcast() -> None:
    event = sample_event(ObjectiveDrafted)
    topic, data = encode(event)
    assert orjson.loads(data)[VERSION_KEY] == 2
    decoded = decode(topic, data, OBJ, 7)
    assert isinstance(decoded, ObjectiveDrafted) and isinstance(event, ObjectiveDrafted)
    assert decoded.success_criteria == event.success_criteria


# Version 1 through the event store ----------------------------------------------------------------


def insert_raw(
    store: EventStoreApp, aggregate_id: UUID, version: int, topic: str, state: Any
) -> None:
    store.recorder.insert_events(
        [StoredEvent(aggregate_id, version, f"appraisals/{topic}", orjson.dumps(state))]
    )


def test_a_stored_version_1_event_is_read_through_the_event_store(
    event_store: EventStoreApp,
) -> None:
    insert_raw(event_store, OBJ, 1, "ObjectiveDrafted", v1_objective_drafted_state())
    criteria = ("80% at ARE", "Phonics screening 90%", "Reading age +1")

    got = event_store.repository.get(OBJ, projector_func=projector(objective.evolve))
    assert isinstance(got, objective.Objective)
    assert got.content.success_criteria == criteria
    assert got.version == 1

    [notification] = event_store.notification_log.select(start=1, limit=10)
    assert notification.topic == "appraisals/ObjectiveDrafted"
    event = event_store.mapper.to_domain_event(notification)
    assert isinstance(event, ObjectiveDrafted)
    assert event.success_criteria == criteria

    assert load(event_store, OBJECTIVE, OBJ) == got


def test_commands_act_on_aggregates_whose_history_starts_at_version_1(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    # Cat was registered before staff categories existed, and an objective of Ann's was
    # drafted before success criteria became a list.
    insert_raw(event_store, CAT, 1, "StaffRegistered", v1_staff_registered_state(org.trust_id))
    assigned = AssignedToSchool(
        originator_id=CAT,
        originator_version=2,
        timestamp=WHEN,
        actor_id=ANN,
        actor_role=Role.ADMIN,
        school_id=org.school_id,
        previous_school_id=None,
        effective_date=date(2024, 9, 1),
    )
    event_store.recorder.insert_events([StoredEvent(CAT, 2, *encode(assigned))])
    old_draft = v1_objective_drafted_state(
        review_id=str(org.review_id),
        cycle_id=str(org.cycle_id),
        appraisee_id=str(org.appraisee_id),
        due_date="2026-07-01",
    )
    insert_raw(event_store, OBJ, 1, "ObjectiveDrafted", old_draft)

    assert load(event_store, STAFF, CAT).category is StaffCategory.TEACHER
    cats_review = service.execute(
        m.StartReview(cycle_id=org.cycle_id, appraisee_id=CAT, appraiser_id=org.appraiser_id),
        org.school_leader,
    ).aggregate_id
    assert load(event_store, REVIEW, cats_review).appraisee_id == CAT

    service.execute(m.AgreeObjective(objective_id=OBJ), org.appraisee)
    revised = service.execute(
        m.ReviseObjective(objective_id=OBJ, success_criteria=["85% at ARE"], reason="raise it"),
        org.appraiser,
    )
    assert revised.version == 3
    assert load(event_store, OBJECTIVE, OBJ).content.success_criteria == ("85% at ARE",)


def test_an_event_stored_by_a_newer_version_of_the_service_is_refused_not_misread() -> None:
    import orjson
    import pytest as _pytest

    from events.base import TopicError
    from events.codec import decode

    state = orjson.dumps({"name": "Oak", "_v": 99})
    with _pytest.raises(TopicError, match="newer"):
        decode("appraisals/TrustRegistered", state, "3f1c2a9e-6b1d-4c55-9f1e-2a7d3c4b5e60", 1)
