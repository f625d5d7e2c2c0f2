"""The StaffMember aggregate: registration, moves between schools, line managers, leaving."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from aggregates import staff
from aggregates.base import Context
from aggregates.staff import Assignment, StaffMember
from events.base import DomainEvent
from events.staff import (
    AssignedToSchool,
    ErasureBasis,
    JobTitleChanged,
    LineManagerChanged,
    PersonErased,
    StaffLeft,
    StaffRegistered,
    StaffRenamed,
)
from events.values import StaffCategory
from tests.unit.aggregates.gwt import History, accepted, fold, rejected, stamp

TRUST = UUID("20000000-0000-4000-8000-000000000001")
ANN = UUID("20000000-0000-4000-8000-0000000000a1")
BOB = UUID("20000000-0000-4000-8000-0000000000b0")
OAK = UUID("20000000-0000-4000-8000-0000000000c1")
ASH = UUID("20000000-0000-4000-8000-0000000000c2")
STARTED = date(2020, 9, 1)


@pytest.fixture
def ann(history: History) -> list[DomainEvent]:
    """Ann, a teacher at Oak since September 2020."""
    return [
        history(
            StaffRegistered,
            ANN,
            trust_id=TRUST,
            name="Ann Appraisee",
            email="ann@oak.example",
            job_title="Class Teacher",
            category=StaffCategory.TEACHER,
        ),
        history(
            AssignedToSchool, ANN, school_id=OAK, previous_school_id=None, effective_date=STARTED
        ),
    ]


@pytest.fixture
def ann_left(history: History, ann: list[DomainEvent]) -> list[DomainEvent]:
    return [*ann, history(StaffLeft, ANN, effective_date=date(2025, 8, 31), reason="retired")]


# Registering -----------------------------------------------------------------------------------


def test_registering_staff_records_who_they_are_with_a_normalised_email(ctx: Context) -> None:
    state = accepted(
        staff.evolve,
        given=[],
        when=lambda _: staff.register_staff(
            ANN,
            TRUST,
            " Ann Appraisee ",
            " Ann@Oak.Example ",
            " Class Teacher",
            StaffCategory.SUPPORT,
            ctx,
        ),
        then=[
            stamp(
                StaffRegistered,
                ANN,
                1,
                ctx,
                trust_id=TRUST,
                name="Ann Appraisee",
                email="ann@oak.example",
                job_title="Class Teacher",
                category=StaffCategory.SUPPORT,
            )
        ],
    )
    assert state == StaffMember(
        ANN, 1, TRUST, "Ann Appraisee", "ann@oak.example", "Class Teacher", StaffCategory.SUPPORT
    )
    assert state.school_id is None
    assert not state.has_left


@pytest.mark.parametrize(
    ("name", "email", "job_title", "rule"),
    [
        (" ", "ann@oak.example", "Teacher", "staff-name-required"),
        ("Ann", "ann@oak.example", "", "job-title-required"),
        ("Ann", "ann.oak.example", "Teacher", "email-valid"),
        ("Ann", "ann@oak", "Teacher", "email-valid"),
        ("Ann", "ann smith@oak.example", "Teacher", "email-valid"),
    ],
    ids=["blank name", "blank job title", "no at sign", "no domain dot", "space in email"],
)
def test_staff_need_a_name_a_job_title_and_a_valid_email(
    ctx: Context, name: str, email: str, job_title: str, rule: str
) -> None:
    rejected(
        staff.evolve,
        given=[],
        when=lambda _: staff.register_staff(
            ANN, TRUST, name, email, job_title, StaffCategory.TEACHER, ctx
        ),
        rule=rule,
    )


# Schools ---------------------------------------------------------------------------------------


def test_the_first_assignment_to_a_school_needs_no_reason(
    ctx: Context, ann: list[DomainEvent]
) -> None:
    registered = ann[:1]
    state = accepted(
        staff.evolve,
        given=registered,
        when=lambda s: staff.assign_to_school(s, OAK, STARTED, None, ctx),
        then=[
            stamp(
                AssignedToSchool,
                ANN,
                2,
                ctx,
                school_id=OAK,
                previous_school_id=None,
                effective_date=STARTED,
                reason=None,
            )
        ],
    )
    assert state.school_id == OAK


def test_moving_school_records_where_from_when_and_why(
    ctx: Context, history: History, ann: list[DomainEvent]
) -> None:
    moved = date(2026, 1, 5)
    state = accepted(
        staff.evolve,
        given=ann,
        when=lambda s: staff.assign_to_school(s, ASH, moved, " promotion ", ctx),
        then=[
            history.next(
                AssignedToSchool,
                ANN,
                school_id=ASH,
                previous_school_id=OAK,
                effective_date=moved,
                reason="promotion",
            )
        ],
    )
    assert state.assignments == (Assignment(OAK, STARTED), Assignment(ASH, moved))
    assert state.school_id == ASH
    assert state.school_on(date(2025, 12, 31)) == OAK
    assert state.school_on(moved) == ASH
    assert state.school_on(date(2019, 1, 1)) is None


def test_moving_to_the_school_they_are_at_is_refused(ctx: Context, ann: list[DomainEvent]) -> None:
    rejected(
        staff.evolve,
        given=ann,
        when=lambda s: staff.assign_to_school(s, OAK, date(2026, 1, 5), "no move", ctx),
        rule="school-changed",
    )


def test_a_move_cannot_take_effect_before_the_previous_one(
    ctx: Context, ann: list[DomainEvent]
) -> None:
    rejected(
        staff.evolve,
        given=ann,
        when=lambda s: staff.assign_to_school(s, ASH, date(2019, 9, 1), "backdated", ctx),
        rule="assignment-date-order",
    )


def test_moving_school_needs_a_reason(ctx: Context, ann: list[DomainEvent]) -> None:
    rejected(
        staff.evolve,
        given=ann,
        when=lambda s: staff.assign_to_school(s, ASH, date(2026, 1, 5), None, ctx),
        rule="transfer-reason-required",
    )


def test_someone_who_has_left_cannot_move_school(ctx: Context, ann_left: list[DomainEvent]) -> None:
    rejected(
        staff.evolve,
        given=ann_left,
        when=lambda s: staff.assign_to_school(s, ASH, date(2026, 1, 5), "rehired", ctx),
        rule="staff-employed",
    )


# Line managers ---------------------------------------------------------------------------------


def test_changing_the_line_manager_records_the_reason(
    ctx: Context, history: History, ann: list[DomainEvent]
) -> None:
    state = accepted(
        staff.evolve,
        given=ann,
        when=lambda s: staff.change_line_manager(s, BOB, " new phase leader ", ctx),
        then=[
            history.next(LineManagerChanged, ANN, line_manager_id=BOB, reason="new phase leader")
        ],
    )
    assert state.line_manager_id == BOB


def test_a_line_manager_can_be_removed(
    ctx: Context, history: History, ann: list[DomainEvent]
) -> None:
    given = [*ann, history(LineManagerChanged, ANN, line_manager_id=BOB, reason="phase leader")]
    state = accepted(
        staff.evolve,
        given=given,
        when=lambda s: staff.change_line_manager(s, None, "Bob left", ctx),
        then=[history.next(LineManagerChanged, ANN, line_manager_id=None, reason="Bob left")],
    )
    assert state.line_manager_id is None


def test_nobody_is_their_own_line_manager(ctx: Context, ann: list[DomainEvent]) -> None:
    rejected(
        staff.evolve,
        given=ann,
        when=lambda s: staff.change_line_manager(s, ANN, "self-managed", ctx),
        rule="not-own-manager",
    )


def test_setting_the_same_line_manager_again_is_refused(
    ctx: Context, history: History, ann: list[DomainEvent]
) -> None:
    given = [*ann, history(LineManagerChanged, ANN, line_manager_id=BOB, reason="phase leader")]
    rejected(
        staff.evolve,
        given=given,
        when=lambda s: staff.change_line_manager(s, BOB, "again", ctx),
        rule="line-manager-changed",
    )


def test_changing_the_line_manager_needs_a_reason(ctx: Context, ann: list[DomainEvent]) -> None:
    rejected(
        staff.evolve,
        given=ann,
        when=lambda s: staff.change_line_manager(s, BOB, " ", ctx),
        rule="reason-required",
    )


def test_someone_who_has_left_gets_no_new_line_manager(
    ctx: Context, ann_left: list[DomainEvent]
) -> None:
    rejected(
        staff.evolve,
        given=ann_left,
        when=lambda s: staff.change_line_manager(s, BOB, "late change", ctx),
        rule="staff-employed",
    )


# Leaving ---------------------------------------------------------------------------------------


def test_leaving_records_the_date_and_reason(
    ctx: Context, history: History, ann: list[DomainEvent]
) -> None:
    left = date(2026, 8, 31)
    state = accepted(
        staff.evolve,
        given=ann,
        when=lambda s: staff.record_leaving(s, left, " moved abroad ", ctx),
        then=[history.next(StaffLeft, ANN, effective_date=left, reason="moved abroad")],
    )
    assert state.has_left
    assert state.left_on == left


def test_leaving_needs_a_reason(ctx: Context, ann: list[DomainEvent]) -> None:
    rejected(
        staff.evolve,
        given=ann,
        when=lambda s: staff.record_leaving(s, date(2026, 8, 31), "", ctx),
        rule="reason-required",
    )


def test_someone_cannot_leave_twice(ctx: Context, ann_left: list[DomainEvent]) -> None:
    rejected(
        staff.evolve,
        given=ann_left,
        when=lambda s: staff.record_leaving(s, date(2026, 8, 31), "again", ctx),
        rule="staff-employed",
    )


# Erasure ---------------------------------------------------------------------------------------


def test_erasing_a_leaver_records_why_and_forgets_their_name(
    ctx: Context, history: History, ann_left: list[DomainEvent]
) -> None:
    state = accepted(
        staff.evolve,
        given=ann_left,
        when=lambda s: staff.erase(s, basis=ErasureBasis.REQUEST, reason=" asked ", ctx=ctx),
        then=[history.next(PersonErased, ANN, basis=ErasureBasis.REQUEST, reason="asked")],
    )
    assert state.erased
    assert (state.name, state.email) == ("Erased person", "Erased person")


def test_only_a_leaver_is_erased(ctx: Context, ann: list[DomainEvent]) -> None:
    rejected(
        staff.evolve,
        given=ann,
        when=lambda s: staff.erase(s, basis=ErasureBasis.REQUEST, reason="asked", ctx=ctx),
        rule="erase-only-leavers",
    )


def test_a_person_is_erased_once(
    ctx: Context, history: History, ann_left: list[DomainEvent]
) -> None:
    erased = history(PersonErased, ANN, basis=ErasureBasis.RETENTION, reason="policy")
    rejected(
        staff.evolve,
        given=[*ann_left, erased],
        when=lambda s: staff.erase(s, basis=ErasureBasis.REQUEST, reason="again", ctx=ctx),
        rule="not-erased",
    )


def test_erasing_needs_a_reason(ctx: Context, ann_left: list[DomainEvent]) -> None:
    rejected(
        staff.evolve,
        given=ann_left,
        when=lambda s: staff.erase(s, basis=ErasureBasis.REQUEST, reason=" ", ctx=ctx),
        rule="reason-required",
    )


# Replay ----------------------------------------------------------------------------------------


def test_replaying_the_decided_events_rebuilds_the_staff_member(ctx: Context) -> None:
    decisions: list[Callable[[Any], list[DomainEvent]]] = [
        lambda _: staff.register_staff(
            ANN, TRUST, "Ann", "ann@oak.example", "Teacher", StaffCategory.TEACHER, ctx
        ),
        lambda s: staff.assign_to_school(s, OAK, STARTED, None, ctx),
        lambda s: staff.change_line_manager(s, BOB, "phase leader", ctx),
        lambda s: staff.assign_to_school(s, ASH, date(2026, 1, 5), "promotion", ctx),
        lambda s: staff.record_leaving(s, date(2026, 8, 31), "retired", ctx),
    ]
    state: StaffMember | None = None
    decided: list[DomainEvent] = []
    for decide in decisions:
        events = decide(state)
        for event in events:
            state = staff.evolve(state, event)
        decided.extend(events)

    assert (
        fold(staff.evolve, decided)
        == state
        == StaffMember(
            ANN,
            5,
            TRUST,
            "Ann",
            "ann@oak.example",
            "Teacher",
            StaffCategory.TEACHER,
            assignments=(Assignment(OAK, STARTED), Assignment(ASH, date(2026, 1, 5))),
            line_manager_id=BOB,
            left_on=date(2026, 8, 31),
        )
    )


def test_a_history_that_does_not_start_with_registration_is_refused(history: History) -> None:
    with pytest.raises(ValueError, match="before StaffRegistered"):
        fold(staff.evolve, [history(StaffLeft, ANN, effective_date=STARTED, reason="left")])


# Names and job titles ----------------------------------------------------------------------------


def test_a_change_of_name_records_old_and_new_and_the_name_they_go_by(
    ctx: Context, history: History, ann: list[DomainEvent]
) -> None:
    state = accepted(
        staff.evolve,
        given=ann,
        when=lambda s: staff.rename_staff(s, " Ann Married ", "Annie", "married", ctx),
        then=[
            history.next(
                StaffRenamed,
                ANN,
                old_name="Ann Appraisee",
                new_name="Ann Married",
                preferred_name="Annie",
                reason="married",
            )
        ],
    )
    assert (state.name, state.preferred_name) == ("Ann Married", "Annie")


def test_renaming_to_the_same_name_is_refused(ctx: Context, ann: list[DomainEvent]) -> None:
    rejected(
        staff.evolve,
        given=ann,
        when=lambda s: staff.rename_staff(s, "Ann Appraisee", "Ann Appraisee", "typo", ctx),
        rule="name-changed",
    )


def test_a_new_job_title_records_the_old_one(
    ctx: Context, history: History, ann: list[DomainEvent]
) -> None:
    state = accepted(
        staff.evolve,
        given=ann,
        when=lambda s: staff.change_job_title(s, "Phase Leader", "promotion", ctx),
        then=[
            history.next(
                JobTitleChanged,
                ANN,
                old_job_title="Class Teacher",
                new_job_title="Phase Leader",
                reason="promotion",
            )
        ],
    )
    assert state.job_title == "Phase Leader"


def test_the_same_job_title_again_is_refused(ctx: Context, ann: list[DomainEvent]) -> None:
    rejected(
        staff.evolve,
        given=ann,
        when=lambda s: staff.change_job_title(s, "Class Teacher", "again", ctx),
        rule="job-title-changed",
    )
