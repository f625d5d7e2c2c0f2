"""The command service on an in-memory SQLite store: it records a command's events, or nothing.

Bad input, a broken rule, a denied actor, a stale version and a reused idempotency key each
raise their own error and leave the log as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any, cast
from uuid import UUID

import pytest
from pydantic import ValidationError

from aggregates.errors import Conflict, DomainError, Forbidden, NotFound, RuleBroken, StaleVersion
from aggregates.objective import ObjectiveStatus
from commands import messages as m
from commands.handling import CYCLE, OBJECTIVE, REVIEW, STAFF, TRUST, load
from commands.principal import Principal
from commands.service import CommandResult, CommandService, IdempotencyKeyReused
from commands.store import EventStoreApp
from events.base import DomainEvent, Role
from events.objective import ObjectiveAgreed, ObjectiveDrafted
from events.review import ObjectiveLinked
from events.values import Signatory
from testkit.scenario import Org
from tests.unit.support import FixedClock, log_length

DUE = date(2026, 7, 1)


def draft(org: Org, title: str = "Improve reading", **fields: Any) -> m.DraftObjective:
    defaults: dict[str, Any] = {"success_criteria": ["80% at ARE"], "due_date": DUE}
    return m.DraftObjective(review_id=org.review_id, title=title, **{**defaults, **fields})


def agreed_objective(service: CommandService, org: Org) -> UUID:
    objective_id = service.execute(draft(org), org.appraiser).aggregate_id
    service.execute(m.AgreeObjective(objective_id=objective_id), org.appraisee)
    service.execute(m.AgreeObjective(objective_id=objective_id), org.appraiser)
    return objective_id


def rejected_and_nothing_recorded(
    store: EventStoreApp, error: type[Exception], run: Callable[[], object]
) -> Any:
    """Assert ``run`` raises ``error`` and the log did not grow; the error."""
    before = log_length(store)
    with pytest.raises(error) as caught:
        run()
    assert log_length(store) == before
    return caught.value


# Recording ---------------------------------------------------------------------------------------


def test_a_command_records_its_events_stamped_with_who_and_when(
    service: CommandService, event_store: EventStoreApp, org: Org, clock: FixedClock
) -> None:
    before = log_length(event_store)
    clock.advance(days=3)
    result = service.execute(draft(org), org.appraiser)

    assert log_length(event_store) == before + 2  # the objective, and its place on the review
    # The position is the command's last event (the link), so a read at it sees the whole command.
    assert result == CommandResult(result.aggregate_id, 1, before + 2)
    records = event_store.notification_log.select(start=before + 1, limit=10)
    events = [cast(DomainEvent, event_store.mapper.to_domain_event(r)) for r in records]
    assert [type(e) for e in events] == [ObjectiveDrafted, ObjectiveLinked]
    assert {(e.actor_id, e.actor_role, e.timestamp) for e in events} == {
        (org.appraiser_id, Role.STAFF, clock.now)
    }
    assert load(event_store, OBJECTIVE, result.aggregate_id).review_id == org.review_id
    assert result.aggregate_id in load(event_store, REVIEW, org.review_id).active_objectives


def test_who_agrees_follows_from_who_acts(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    objective_id = agreed_objective(service, org)
    stored = [
        event_store.mapper.to_domain_event(r)
        for r in event_store.recorder.select_events(objective_id)
    ]
    assert [(e.by, e.actor_id) for e in stored if isinstance(e, ObjectiveAgreed)] == [
        (Signatory.APPRAISEE, org.appraisee_id),
        (Signatory.APPRAISER, org.appraiser_id),
    ]
    assert load(event_store, OBJECTIVE, objective_id).status is ObjectiveStatus.AGREED


# Bad input ---------------------------------------------------------------------------------------

INVALID: list[tuple[type[m.Command], dict[str, Any], str]] = [
    (m.DraftObjective, {"title": "   "}, "title"),
    (m.DraftObjective, {"title": "x" * 201}, "title"),
    (m.DraftObjective, {"success_criteria": []}, "success_criteria"),
    (m.DraftObjective, {"success_criteria": [" "]}, "success_criteria"),
    (m.DraftObjective, {"due_date": "next July"}, "due_date"),
    (m.DraftObjective, {"review_id": "not-a-uuid"}, "review_id"),
    (m.DraftObjective, {"colour": "red"}, "colour"),
    (m.RecordProgress, {"percent": 101}, "percent"),
    (m.ReviseObjective, {"reason": "ok"}, "reason"),
    (m.ScheduleCycle, {"max_objectives": 11}, "max_objectives"),
    (m.RegisterStaff, {"email": "x"}, "email"),
    (m.RecordMeeting, {"kind": "weekly"}, "kind"),
]

VALID: dict[type[m.Command], Callable[[Org], dict[str, Any]]] = {
    m.DraftObjective: lambda o: {
        "review_id": o.review_id,
        "title": "Improve reading",
        "success_criteria": ["80% at ARE"],
        "due_date": DUE,
    },
    m.RecordProgress: lambda _: {"objective_id": uuid.uuid4(), "percent": 50, "note": "halfway"},
    m.ReviseObjective: lambda _: {"objective_id": uuid.uuid4(), "title": "New title"},
    m.ScheduleCycle: lambda o: {
        "trust_id": o.trust_id,
        "name": "2026-27",
        "start_date": date(2026, 9, 1),
        "end_date": date(2027, 8, 31),
        "objective_setting_deadline": date(2026, 10, 31),
        "mid_year_window_start": date(2027, 2, 1),
        "mid_year_window_end": date(2027, 3, 31),
        "end_year_deadline": date(2027, 7, 15),
    },
    m.RegisterStaff: lambda o: {
        "trust_id": o.trust_id,
        "name": "Cat",
        "email": "cat@oak.example",
        "job_title": "Teacher",
        "school_id": o.school_id,
        "start_date": date(2021, 9, 1),
    },
    m.RecordMeeting: lambda o: {
        "review_id": o.review_id,
        "kind": "planning",
        "held_on": date(2025, 9, 10),
        "notes": "n",
    },
}


@pytest.mark.parametrize(
    ("command", "bad", "field"), INVALID, ids=[f"{c.__name__}.{f}" for c, _, f in INVALID]
)
def test_invalid_input_is_refused_naming_the_field_and_nothing_is_recorded(
    service: CommandService,
    event_store: EventStoreApp,
    org: Org,
    command: type[m.Command],
    bad: dict[str, Any],
    field: str,
) -> None:
    payload = {**VALID[command](org), **bad}
    error = rejected_and_nothing_recorded(
        event_store,
        ValidationError,
        lambda: service.execute(command.model_validate(payload), org.admin),
    )
    assert field in {str(part) for e in error.errors() for part in e["loc"]}
    assert field in str(error)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"reason": "nothing else"}, "must change at least one field"),
        ({"title": None}, "title cannot be null"),
        ({"success_criteria": None}, "success_criteria cannot be null"),
    ],
)
def test_a_revision_must_change_a_field_and_cannot_blank_one(
    event_store: EventStoreApp, payload: dict[str, Any], message: str
) -> None:
    before = log_length(event_store)
    with pytest.raises(ValidationError, match=message):
        m.ReviseObjective.model_validate({"objective_id": uuid.uuid4(), **payload})
    assert log_length(event_store) == before


def test_a_revision_may_unlink_the_priority_with_null() -> None:
    revision = m.ReviseObjective.model_validate({"objective_id": uuid.uuid4(), "priority_id": None})
    assert revision.changed_fields() == {"priority_id"}


# Broken rules ------------------------------------------------------------------------------------


def test_a_broken_rule_names_the_rule_and_records_nothing(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    objective_id = agreed_objective(service, org)
    before = load(event_store, OBJECTIVE, objective_id)
    error = rejected_and_nothing_recorded(
        event_store,
        RuleBroken,
        lambda: service.execute(
            m.ReviseObjective(objective_id=objective_id, title="Better reading"), org.appraisee
        ),
    )
    assert error.rule == "revision-reason-required"
    assert load(event_store, OBJECTIVE, objective_id) == before


def test_a_rule_broken_on_one_aggregate_records_nothing_on_the_other(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    review_before = load(event_store, REVIEW, org.review_id)
    new_id = uuid.uuid4()
    error = rejected_and_nothing_recorded(
        event_store,
        RuleBroken,
        lambda: service.execute(
            draft(org, objective_id=new_id, due_date=date(2027, 1, 1)), org.appraiser
        ),
    )
    assert error.rule == "due-in-cycle"
    assert load(event_store, REVIEW, org.review_id) == review_before
    with pytest.raises(NotFound):
        load(event_store, OBJECTIVE, new_id)


def test_at_most_max_objectives_are_drafted_and_withdrawing_frees_a_place(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    ids = [
        service.execute(draft(org, f"Objective {n}"), org.appraiser).aggregate_id for n in range(3)
    ]
    error = rejected_and_nothing_recorded(
        event_store, RuleBroken, lambda: service.execute(draft(org, "Fourth"), org.appraisee)
    )
    assert error.rule == "max-objectives"

    service.execute(m.WithdrawObjective(objective_id=ids[0], reason="role changed"), org.appraiser)
    fourth = service.execute(draft(org, "Fourth"), org.appraisee).aggregate_id

    review = load(event_store, REVIEW, org.review_id)
    assert review.active_objectives == {ids[1], ids[2], fourth}
    assert load(event_store, OBJECTIVE, ids[0]).status is ObjectiveStatus.WITHDRAWN
    error = rejected_and_nothing_recorded(
        event_store, RuleBroken, lambda: service.execute(draft(org, "Fifth"), org.appraiser)
    )
    assert error.rule == "max-objectives"


def test_a_raised_limit_lets_more_objectives_be_drafted(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    for n in range(3):
        service.execute(draft(org, f"Objective {n}"), org.appraiser)
    service.execute(
        m.ChangeCyclePolicy(
            cycle_id=org.cycle_id, max_objectives=4, appeal_window_days=10, reason="consultation"
        ),
        org.admin,
    )
    service.execute(draft(org, "Fourth"), org.appraiser)
    assert len(load(event_store, REVIEW, org.review_id).active_objectives) == 4
    assert load(event_store, CYCLE, org.cycle_id).policy.max_objectives == 4


def test_an_objective_linked_to_a_priority_of_another_school_is_refused(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    ash_priority = service.execute(
        m.AddPriority(trust_id=org.trust_id, title="Attendance", school_id=org.other_school_id),
        org.admin,
    ).created_id
    error = rejected_and_nothing_recorded(
        event_store,
        RuleBroken,
        lambda: service.execute(draft(org, priority_id=ash_priority), org.appraiser),
    )
    assert error.rule == "priority-applies"

    trust_wide = service.execute(
        m.AddPriority(trust_id=org.trust_id, title="Reading"), org.admin
    ).created_id
    objective_id = service.execute(draft(org, priority_id=trust_wide), org.appraiser).aggregate_id
    assert load(event_store, OBJECTIVE, objective_id).content.priority_id == trust_wide

    service.execute(
        m.RetirePriority(trust_id=org.trust_id, priority_id=trust_wide, reason="achieved"),
        org.admin,
    )
    error = rejected_and_nothing_recorded(
        event_store,
        RuleBroken,
        lambda: service.execute(
            m.ReviseObjective(objective_id=objective_id, priority_id=trust_wide, title="New"),
            org.appraiser,
        ),
    )
    assert error.rule == "priority-applies"


def test_staff_are_registered_and_moved_only_into_schools_of_their_trust(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    elsewhere = uuid.uuid4()
    error = rejected_and_nothing_recorded(
        event_store,
        RuleBroken,
        lambda: service.execute(
            m.RegisterStaff(
                trust_id=org.trust_id,
                name="Cat",
                email="cat@oak.example",
                job_title="Teacher",
                school_id=elsewhere,
                start_date=date(2021, 9, 1),
            ),
            org.admin,
        ),
    )
    assert error.rule == "school-in-trust"
    error = rejected_and_nothing_recorded(
        event_store,
        RuleBroken,
        lambda: service.execute(
            m.TransferStaff(
                staff_id=org.appraisee_id,
                school_id=elsewhere,
                effective_date=date(2026, 1, 5),
                reason="move",
            ),
            org.admin,
        ),
    )
    assert error.rule == "school-in-trust"


def test_a_line_manager_is_a_current_member_of_staff_of_the_same_trust(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    service.execute(
        m.RecordStaffLeaving(
            staff_id=org.appraiser_id, effective_date=date(2025, 12, 31), reason="retired"
        ),
        org.admin,
    )
    error = rejected_and_nothing_recorded(
        event_store,
        RuleBroken,
        lambda: service.execute(
            m.ChangeLineManager(
                staff_id=org.appraisee_id, line_manager_id=org.appraiser_id, reason="new manager"
            ),
            org.admin,
        ),
    )
    assert error.rule == "line-manager-in-trust"


def test_an_objective_is_carried_forward_into_the_same_persons_next_review(
    service: CommandService, event_store: EventStoreApp, org: Org, clock: FixedClock
) -> None:
    objective_id = agreed_objective(service, org)
    service.execute(
        m.AssessObjective(objective_id=objective_id, outcome="partially_met", comment="nearly"),
        org.appraiser,
    )
    next_cycle = service.execute(
        m.ScheduleCycle.model_validate(VALID[m.ScheduleCycle](org)), org.admin
    )
    service.execute(m.OpenCycle(cycle_id=next_cycle.aggregate_id), org.admin)
    clock.advance(days=365)
    anns_next = service.execute(
        m.StartReview(
            cycle_id=next_cycle.aggregate_id,
            appraisee_id=org.appraisee_id,
            appraiser_id=org.appraiser_id,
        ),
        org.school_leader,
    ).aggregate_id
    bobs_next = service.execute(
        m.StartReview(
            cycle_id=next_cycle.aggregate_id,
            appraisee_id=org.appraiser_id,
            appraiser_id=org.appraisee_id,
        ),
        org.school_leader,
    ).aggregate_id

    error = rejected_and_nothing_recorded(
        event_store,
        RuleBroken,
        lambda: service.execute(
            m.CarryForwardObjective(
                objective_id=objective_id, to_review_id=bobs_next, due_date=date(2027, 7, 1)
            ),
            org.appraiser,
        ),
    )
    assert error.rule == "carry-same-appraisee"

    result = service.execute(
        m.CarryForwardObjective(
            objective_id=objective_id, to_review_id=anns_next, due_date=date(2027, 7, 1)
        ),
        org.appraiser,
    )
    assert result.aggregate_id == objective_id
    assert result.created_id is not None
    carried = load(event_store, OBJECTIVE, result.created_id)
    assert carried.carried_forward_from == objective_id
    assert carried.review_id == anns_next
    assert load(event_store, OBJECTIVE, objective_id).carried_forward_to == result.created_id
    assert load(event_store, REVIEW, anns_next).active_objectives == {result.created_id}


# Denied actors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("auditor", Forbidden),
        ("analyst", Forbidden),
        ("unrelated staff", Forbidden),
        ("other school leader", Forbidden),
        ("admin of another trust", NotFound),
    ],
)
def test_a_denied_actor_records_nothing(
    service: CommandService,
    event_store: EventStoreApp,
    org: Org,
    who: str,
    error: type[DomainError],
) -> None:
    principals = {
        "auditor": org.auditor,
        "analyst": org.analyst,
        "unrelated staff": Principal(uuid.uuid4(), Role.STAFF, trust_id=org.trust_id),
        "other school leader": org.other_school_leader,
        "admin of another trust": Principal(uuid.uuid4(), Role.ADMIN, trust_id=uuid.uuid4()),
    }
    review_before = load(event_store, REVIEW, org.review_id)
    rejected_and_nothing_recorded(
        event_store, error, lambda: service.execute(draft(org), principals[who])
    )
    rejected_and_nothing_recorded(
        event_store,
        error,
        lambda: service.execute(
            m.RecordMeeting(
                review_id=org.review_id, kind="planning", held_on=date(2025, 9, 10), notes="n"
            ),
            principals[who],
        ),
    )
    assert load(event_store, REVIEW, org.review_id) == review_before


def test_only_the_appraiser_assesses_an_objective(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    objective_id = agreed_objective(service, org)
    assess = m.AssessObjective(objective_id=objective_id, outcome="met", comment="done")
    rejected_and_nothing_recorded(
        event_store, Forbidden, lambda: service.execute(assess, org.appraisee)
    )
    rejected_and_nothing_recorded(
        event_store, Forbidden, lambda: service.execute(assess, org.school_leader)
    )
    service.execute(assess, org.appraiser)
    assert load(event_store, OBJECTIVE, objective_id).status is ObjectiveStatus.ASSESSED


def test_unknown_ids_and_ids_of_another_kind_are_not_found(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    rejected_and_nothing_recorded(
        event_store,
        NotFound,
        lambda: service.execute(m.AgreeObjective(objective_id=uuid.uuid4()), org.appraisee),
    )
    rejected_and_nothing_recorded(
        event_store,
        NotFound,
        lambda: service.execute(m.AgreeObjective(objective_id=org.review_id), org.appraisee),
    )
    rejected_and_nothing_recorded(
        event_store,
        NotFound,
        lambda: service.execute(m.OpenCycle(cycle_id=org.trust_id), org.admin),
    )


def test_a_second_review_for_the_same_person_and_cycle_is_a_conflict(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    rejected_and_nothing_recorded(
        event_store,
        Conflict,
        lambda: service.execute(
            m.StartReview(
                cycle_id=org.cycle_id, appraisee_id=org.appraisee_id, appraiser_id=org.appraiser_id
            ),
            org.trust_leader,
        ),
    )


def test_a_second_cycle_with_the_same_name_is_a_conflict(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    payload = {**VALID[m.ScheduleCycle](org), "name": " 2025-26 "}
    rejected_and_nothing_recorded(
        event_store,
        Conflict,
        lambda: service.execute(m.ScheduleCycle.model_validate(payload), org.admin),
    )


# Optimistic concurrency --------------------------------------------------------------------------


def test_a_stale_expected_version_is_a_conflict_and_records_nothing(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    meeting = m.RecordMeeting(
        review_id=org.review_id, kind="planning", held_on=date(2025, 9, 10), notes="n"
    )
    version = load(event_store, REVIEW, org.review_id).version
    error = rejected_and_nothing_recorded(
        event_store,
        StaleVersion,
        lambda: service.execute(meeting, org.appraiser, expected_version=version - 1),
    )
    assert (error.expected, error.actual) == (version - 1, version)

    result = service.execute(meeting, org.appraiser, expected_version=version)
    assert result.version == version + 1


def test_a_state_changed_by_another_process_is_reloaded_and_the_rules_checked_again(
    service: CommandService, event_store: EventStoreApp, org: Org, clock: FixedClock
) -> None:
    objective_id = service.execute(draft(org), org.appraiser).aggregate_id
    service.execute(m.AgreeObjective(objective_id=objective_id), org.appraisee)  # now cached
    other_process = CommandService(event_store, clock=clock)
    other_process.execute(
        m.WithdrawObjective(objective_id=objective_id, reason="role changed"), org.appraiser
    )

    error = rejected_and_nothing_recorded(
        event_store,
        RuleBroken,
        lambda: service.execute(m.AgreeObjective(objective_id=objective_id), org.appraiser),
    )
    assert error.rule == "objective-draft"


def test_an_expected_version_another_process_has_passed_is_stale(
    service: CommandService, event_store: EventStoreApp, org: Org, clock: FixedClock
) -> None:
    objective_id = service.execute(draft(org), org.appraiser).aggregate_id
    other_process = CommandService(event_store, clock=clock)
    other_process.execute(m.AgreeObjective(objective_id=objective_id), org.appraisee)

    rejected_and_nothing_recorded(
        event_store,
        StaleVersion,
        lambda: service.execute(
            m.AgreeObjective(objective_id=objective_id), org.appraiser, expected_version=1
        ),
    )
    assert (
        service.execute(
            m.AgreeObjective(objective_id=objective_id), org.appraiser, expected_version=2
        ).version
        == 3
    )


# Idempotency -------------------------------------------------------------------------------------


def test_a_repeated_command_returns_the_first_result_and_records_nothing(
    service: CommandService, event_store: EventStoreApp, org: Org, clock: FixedClock
) -> None:
    first = service.execute(draft(org), org.appraiser, idempotency_key="draft-1")
    before = log_length(event_store)
    clock.advance(minutes=5)
    again = service.execute(draft(org), org.appraiser, idempotency_key="draft-1")

    assert log_length(event_store) == before
    assert again == CommandResult(first.aggregate_id, first.version, first.position, replayed=True)
    assert len(load(event_store, REVIEW, org.review_id).active_objectives) == 1


def test_a_repeat_is_answered_by_another_process_too(
    service: CommandService, event_store: EventStoreApp, org: Org, clock: FixedClock
) -> None:
    first = service.execute(draft(org), org.appraiser, idempotency_key="draft-1")
    before = log_length(event_store)
    again = CommandService(event_store, clock=clock).execute(
        draft(org), org.appraiser, idempotency_key="draft-1"
    )
    assert log_length(event_store) == before
    assert (again.aggregate_id, again.version, again.replayed) == (first.aggregate_id, 1, True)


def test_the_same_key_for_a_different_command_is_refused(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    service.execute(draft(org), org.appraiser, idempotency_key="draft-1")
    rejected_and_nothing_recorded(
        event_store,
        IdempotencyKeyReused,
        lambda: service.execute(draft(org, "Another"), org.appraiser, idempotency_key="draft-1"),
    )


def test_idempotency_keys_belong_to_the_principal(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    objective_id = service.execute(draft(org), org.appraiser).aggregate_id
    agree = m.AgreeObjective(objective_id=objective_id)
    service.execute(agree, org.appraisee, idempotency_key="agree")
    second = service.execute(agree, org.appraiser, idempotency_key="agree")
    assert not second.replayed
    assert load(event_store, OBJECTIVE, objective_id).status is ObjectiveStatus.AGREED


def test_a_rejected_command_does_not_use_up_its_key(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    objective_id = agreed_objective(service, org)
    rejected_and_nothing_recorded(
        event_store,
        RuleBroken,
        lambda: service.execute(
            m.ReviseObjective(objective_id=objective_id, title="Better"),
            org.appraisee,
            idempotency_key="revise",
        ),
    )
    result = service.execute(
        m.ReviseObjective(objective_id=objective_id, title="Better", reason="phonics focus"),
        org.appraisee,
        idempotency_key="revise",
    )
    assert not result.replayed
    assert load(event_store, OBJECTIVE, objective_id).content.title == "Better"


def test_a_repeat_returns_what_the_first_run_created(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    add = m.AddPriority(trust_id=org.trust_id, title="Reading")
    first = service.execute(add, org.admin, idempotency_key="priority")
    again = service.execute(add, org.admin, idempotency_key="priority")
    assert first.created_id is not None
    assert again.created_id == first.created_id
    assert list(load(event_store, TRUST, org.trust_id).priorities) == [first.created_id]


def test_text_with_a_nul_character_is_refused_before_anything_is_decided() -> None:
    import uuid as _uuid

    import pytest as _pytest
    from pydantic import ValidationError

    from commands import messages as _m

    with _pytest.raises(ValidationError, match="NUL"):
        _m.RecordProgress(objective_id=_uuid.uuid4(), percent=10, note="half\x00way")


# Many commands as one -----------------------------------------------------------------------------


def test_commands_run_together_see_each_others_states_and_are_saved_at_once(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    new_id = uuid.uuid4()
    before = log_length(event_store)
    results = service.execute_all(
        [
            m.RegisterStaff(
                trust_id=org.trust_id,
                name="Cara New",
                email="cara@oak.example",
                job_title="Teacher",
                school_id=org.school_id,
                start_date=date(2025, 9, 1),
                staff_id=new_id,
            ),
            # Needs the person registered by the command before it, not yet stored.
            m.ChangeLineManager(
                staff_id=new_id, line_manager_id=org.appraiser_id, reason="phase leader"
            ),
            m.ChangeJobTitle(staff_id=new_id, job_title="Year 2 Teacher", reason="timetable"),
        ],
        org.admin,
    )
    assert [r.aggregate_id for r in results] == [new_id] * 3
    assert [r.version for r in results] == [2, 3, 4]
    assert log_length(event_store) == before + 4


def test_one_broken_rule_among_many_commands_records_none_of_them(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    new_id = uuid.uuid4()
    register = m.RegisterStaff(
        trust_id=org.trust_id,
        name="Dev New",
        email="dev@oak.example",
        job_title="Teacher",
        school_id=org.school_id,
        start_date=date(2025, 9, 1),
        staff_id=new_id,
    )
    same_title = m.ChangeJobTitle(staff_id=new_id, job_title="Teacher", reason="again")
    broken = rejected_and_nothing_recorded(
        event_store, RuleBroken, lambda: service.execute_all([register, same_title], org.admin)
    )
    assert broken.rule == "job-title-changed"
    with pytest.raises(NotFound):
        load(event_store, STAFF, new_id)
