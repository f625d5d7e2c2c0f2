"""The Review aggregate: one person's appraisal in one cycle, from planning to appeal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from functools import partial
from typing import Any
from uuid import UUID

import pytest

from aggregates import review
from aggregates.base import Context
from aggregates.cycle import AppraisalCycle, CycleDates, CycleStatus
from aggregates.review import AppealState, Review, review_id_for
from aggregates.staff import Assignment, StaffMember
from events.base import DomainEvent
from events.review import (
    AppealDecided,
    AppealLodged,
    AppraiseeCommented,
    AppraiserChanged,
    AssessmentWritten,
    MeetingRecorded,
    Moderated,
    ObjectiveLinked,
    ObjectiveUnlinked,
    ReportIssued,
    ReviewReopened,
    ReviewStarted,
    SelfAssessmentSubmitted,
    SignedOff,
)
from events.values import (
    AppealOutcome,
    CyclePolicy,
    MeetingKind,
    ModerationOutcome,
    ObjectiveNote,
    OverallJudgement,
    Signatory,
    StaffCategory,
)
from tests.unit.aggregates.gwt import History, accepted, fold, on, rejected, stamp

# Write the assessment of a review with one objective in force (agreed or set).
assess = partial(review.write_assessment, objectives_in_force=1)

TRUST = UUID("50000000-0000-4000-8000-000000000001")
OTHER_TRUST = UUID("50000000-0000-4000-8000-000000000009")
SCHOOL = UUID("50000000-0000-4000-8000-000000000002")
CYCLE = UUID("50000000-0000-4000-8000-000000000003")
ANN = UUID("50000000-0000-4000-8000-0000000000a1")
BOB = UUID("50000000-0000-4000-8000-0000000000b0")
CAT = UUID("50000000-0000-4000-8000-0000000000c0")
REVIEW = review_id_for(CYCLE, ANN)
OBJ1 = UUID("50000000-0000-4000-8000-0000000000f1")
OBJ2 = UUID("50000000-0000-4000-8000-0000000000f2")
OBJ3 = UUID("50000000-0000-4000-8000-0000000000f3")

PLANNING_DAY = date(2025, 9, 10)
MID_YEAR_DAY = date(2026, 2, 10)
END_YEAR_DAY = date(2026, 7, 1)
ISSUED_DAY = date(2026, 7, 5)

OPEN_CYCLE = AppraisalCycle(
    id=CYCLE,
    version=2,
    trust_id=TRUST,
    name="2025-26",
    dates=CycleDates(
        start_date=date(2025, 9, 1),
        end_date=date(2026, 8, 31),
        objective_setting_deadline=date(2025, 10, 31),
        mid_year_window_start=date(2026, 2, 1),
        mid_year_window_end=date(2026, 3, 31),
        end_year_deadline=date(2026, 7, 15),
    ),
    policy=CyclePolicy(max_objectives=2, appeal_window_days=10),
    status=CycleStatus.OPEN,
)
CLOSED_CYCLE = replace(OPEN_CYCLE, version=3, status=CycleStatus.CLOSED)


def member(staff_id: UUID, name: str, **changes: Any) -> StaffMember:
    person = StaffMember(
        id=staff_id,
        version=2,
        trust_id=TRUST,
        name=name,
        email=f"{name.lower()}@oak.example",
        job_title="Teacher",
        category=StaffCategory.TEACHER,
        assignments=(Assignment(SCHOOL, date(2020, 9, 1)),),
    )
    return replace(person, **changes)


ANN_STAFF = member(ANN, "Ann")
BOB_STAFF = member(BOB, "Bob")
CAT_STAFF = member(CAT, "Cat")


def later(ctx: Context, day: date = date(2026, 7, 10)) -> Context:
    return on(ctx, day)


# Histories -------------------------------------------------------------------------------------


@pytest.fixture
def started(history: History) -> list[DomainEvent]:
    return [
        history(
            ReviewStarted,
            REVIEW,
            cycle_id=CYCLE,
            trust_id=TRUST,
            school_id=SCHOOL,
            appraisee_id=ANN,
            appraiser_id=BOB,
        )
    ]


@pytest.fixture
def planned(history: History, started: list[DomainEvent]) -> list[DomainEvent]:
    return [
        *started,
        history(
            MeetingRecorded, REVIEW, kind=MeetingKind.PLANNING, held_on=PLANNING_DAY, notes="n"
        ),
    ]


@pytest.fixture
def year_ended(history: History, planned: list[DomainEvent]) -> list[DomainEvent]:
    return [
        *planned,
        history(
            MeetingRecorded, REVIEW, kind=MeetingKind.MID_YEAR, held_on=MID_YEAR_DAY, notes="n"
        ),
        history(
            MeetingRecorded, REVIEW, kind=MeetingKind.END_YEAR, held_on=END_YEAR_DAY, notes="n"
        ),
    ]


@pytest.fixture
def assessed(history: History, year_ended: list[DomainEvent]) -> list[DomainEvent]:
    return [
        *year_ended,
        history(AssessmentWritten, REVIEW, overall=OverallJudgement.MEETS, summary="a good year"),
    ]


@pytest.fixture
def issued(history: History, assessed: list[DomainEvent]) -> list[DomainEvent]:
    return [*assessed, history(ReportIssued, REVIEW, issued_on=ISSUED_DAY)]


@pytest.fixture
def signed(history: History, issued: list[DomainEvent]) -> list[DomainEvent]:
    return [
        *issued,
        history(SignedOff, REVIEW, by=Signatory.APPRAISEE),
        history(SignedOff, REVIEW, by=Signatory.APPRAISER),
    ]


@pytest.fixture
def appealed(history: History, issued: list[DomainEvent]) -> list[DomainEvent]:
    return [*issued, history(AppealLodged, REVIEW, grounds="the judgement ignores my data")]


@pytest.fixture
def reopened(history: History, issued: list[DomainEvent]) -> list[DomainEvent]:
    return [*issued, history(ReviewReopened, REVIEW, reason="moderation")]


# Starting --------------------------------------------------------------------------------------


def test_starting_a_review_gives_one_review_per_person_per_cycle(ctx: Context) -> None:
    state = accepted(
        review.evolve,
        given=[],
        when=lambda _: review.start_review(OPEN_CYCLE, ANN_STAFF, BOB_STAFF, ctx),
        then=[
            stamp(
                ReviewStarted,
                REVIEW,
                1,
                ctx,
                cycle_id=CYCLE,
                trust_id=TRUST,
                school_id=SCHOOL,
                appraisee_id=ANN,
                appraiser_id=BOB,
            )
        ],
    )
    assert state == Review(REVIEW, 1, CYCLE, TRUST, SCHOOL, ANN, BOB)
    assert review_id_for(CYCLE, ANN) == REVIEW != review_id_for(CYCLE, BOB)


@pytest.mark.parametrize(
    ("appraisee", "appraiser", "rule"),
    [
        (ANN_STAFF, ANN_STAFF, "appraiser-differs"),
        (replace(ANN_STAFF, left_on=date(2025, 8, 31)), BOB_STAFF, "staff-employed"),
        (ANN_STAFF, replace(BOB_STAFF, left_on=date(2025, 8, 31)), "staff-employed"),
        (ANN_STAFF, replace(BOB_STAFF, trust_id=OTHER_TRUST), "same-trust"),
        (replace(ANN_STAFF, trust_id=OTHER_TRUST), BOB_STAFF, "same-trust"),
        (replace(ANN_STAFF, assignments=()), BOB_STAFF, "staff-assigned"),
    ],
    ids=[
        "appraising oneself",
        "appraisee has left",
        "appraiser has left",
        "appraiser of another trust",
        "appraisee of another trust",
        "appraisee in no school",
    ],
)
def test_a_review_needs_two_current_members_of_the_cycles_trust_the_appraisee_in_a_school(
    ctx: Context, appraisee: StaffMember, appraiser: StaffMember, rule: str
) -> None:
    rejected(
        review.evolve,
        given=[],
        when=lambda _: review.start_review(OPEN_CYCLE, appraisee, appraiser, ctx),
        rule=rule,
    )


def test_the_review_records_the_school_the_appraisee_is_at_now(ctx: Context) -> None:
    moved = replace(
        ANN_STAFF,
        assignments=(*ANN_STAFF.assignments, Assignment(UUID(int=5), date(2025, 9, 1))),
    )
    [event] = review.start_review(OPEN_CYCLE, moved, BOB_STAFF, ctx)
    assert isinstance(event, ReviewStarted)
    assert event.school_id == UUID(int=5)


# Every decision needs the cycle open ----------------------------------------------------------

DECISIONS_ON_A_REVIEW: dict[str, Callable[[Review, AppraisalCycle, Context], list[DomainEvent]]] = {
    "change appraiser": lambda r, c, x: review.change_appraiser(
        r, c, ANN_STAFF, CAT_STAFF, "Bob is on leave", x
    ),
    "link objective": lambda r, c, x: review.link_objective(r, c, OBJ1, x),
    "record meeting": lambda r, c, x: review.record_meeting(
        r, c, MeetingKind.PLANNING, PLANNING_DAY, "n", x
    ),
    "self-assessment": lambda r, c, x: review.submit_self_assessment(r, c, "my year", x),
    "write assessment": lambda r, c, x: assess(r, c, OverallJudgement.MEETS, "s", (), (), "", x),
    "issue report": lambda r, c, x: review.issue_report(r, c, x),
    "comment": lambda r, c, x: review.comment_on_report(r, c, "thanks", x),
    "sign off": lambda r, c, x: review.sign_off(r, c, Signatory.APPRAISEE, x),
    "moderate": lambda r, c, x: review.moderate(r, c, ModerationOutcome.CONFIRMED, "", x),
    "lodge appeal": lambda r, c, x: review.lodge_appeal(r, c, "grounds", x),
    "decide appeal": lambda r, c, x: review.decide_appeal(r, c, AppealOutcome.DISMISSED, "n", x),
    "reopen": lambda r, c, x: review.reopen_review(r, c, "reason", x),
}


def test_no_review_starts_in_a_cycle_that_is_not_open(ctx: Context) -> None:
    rejected(
        review.evolve,
        given=[],
        when=lambda _: review.start_review(CLOSED_CYCLE, ANN_STAFF, BOB_STAFF, ctx),
        rule="cycle-open",
    )


@pytest.mark.parametrize("decision", list(DECISIONS_ON_A_REVIEW))
def test_nothing_is_decided_on_a_review_whose_cycle_is_not_open(
    ctx: Context, appealed: list[DomainEvent], decision: str
) -> None:
    decide = DECISIONS_ON_A_REVIEW[decision]
    rejected(
        review.evolve,
        given=appealed,
        when=lambda r: decide(r, CLOSED_CYCLE, later(ctx)),
        rule="cycle-open",
    )


# Changing the appraiser ------------------------------------------------------------------------


def test_changing_the_appraiser_records_who_before_and_why(
    ctx: Context, history: History, planned: list[DomainEvent]
) -> None:
    state = accepted(
        review.evolve,
        given=planned,
        when=lambda r: review.change_appraiser(
            r, OPEN_CYCLE, ANN_STAFF, CAT_STAFF, " Bob on leave ", ctx
        ),
        then=[
            history.next(
                AppraiserChanged,
                REVIEW,
                previous_appraiser_id=BOB,
                appraiser_id=CAT,
                reason="Bob on leave",
            )
        ],
    )
    assert state.appraiser_id == CAT


@pytest.mark.parametrize(
    ("appraiser", "rule"),
    [
        (ANN_STAFF, "appraiser-differs"),
        (BOB_STAFF, "appraiser-changed"),
        (replace(CAT_STAFF, left_on=date(2025, 12, 31)), "staff-employed"),
        (replace(CAT_STAFF, trust_id=OTHER_TRUST), "same-trust"),
    ],
    ids=["the appraisee", "the same appraiser", "someone who has left", "another trust"],
)
def test_the_new_appraiser_must_be_someone_else_who_can_appraise(
    ctx: Context, started: list[DomainEvent], appraiser: StaffMember, rule: str
) -> None:
    rejected(
        review.evolve,
        given=started,
        when=lambda r: review.change_appraiser(r, OPEN_CYCLE, ANN_STAFF, appraiser, "why", ctx),
        rule=rule,
    )


def test_the_appraiser_is_not_changed_after_the_report_is_issued(
    ctx: Context, issued: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.change_appraiser(
            r, OPEN_CYCLE, ANN_STAFF, CAT_STAFF, "late", later(ctx)
        ),
        rule="report-not-issued",
    )


def test_the_appraiser_can_be_changed_once_the_review_is_reopened(
    ctx: Context, history: History, reopened: list[DomainEvent]
) -> None:
    x = later(ctx)
    accepted(
        review.evolve,
        given=reopened,
        when=lambda r: review.change_appraiser(r, OPEN_CYCLE, ANN_STAFF, CAT_STAFF, "appeal", x),
        then=[
            history.next(
                AppraiserChanged,
                REVIEW,
                ctx=x,
                previous_appraiser_id=BOB,
                appraiser_id=CAT,
                reason="appeal",
            )
        ],
    )


def test_changing_the_appraiser_needs_a_reason(ctx: Context, started: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=started,
        when=lambda r: review.change_appraiser(r, OPEN_CYCLE, ANN_STAFF, CAT_STAFF, " ", ctx),
        rule="reason-required",
    )


# Objectives on the review ----------------------------------------------------------------------


def test_linking_objectives_up_to_the_policys_limit(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    given = [*started, history(ObjectiveLinked, REVIEW, objective_id=OBJ1)]
    state = accepted(
        review.evolve,
        given=given,
        when=lambda r: review.link_objective(r, OPEN_CYCLE, OBJ2, ctx),
        then=[history.next(ObjectiveLinked, REVIEW, objective_id=OBJ2)],
    )
    assert state.active_objectives == {OBJ1, OBJ2} == state.all_objectives


def test_a_review_has_at_most_the_policys_number_of_active_objectives(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    given = [
        *started,
        history(ObjectiveLinked, REVIEW, objective_id=OBJ1),
        history(ObjectiveLinked, REVIEW, objective_id=OBJ2),
    ]
    broken = rejected(
        review.evolve,
        given=given,
        when=lambda r: review.link_objective(r, OPEN_CYCLE, OBJ3, ctx),
        rule="max-objectives",
    )
    assert "2" in broken.message


def test_a_withdrawn_objective_frees_its_place(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    given = [
        *started,
        history(ObjectiveLinked, REVIEW, objective_id=OBJ1),
        history(ObjectiveLinked, REVIEW, objective_id=OBJ2),
    ]
    unlinked = accepted(
        review.evolve,
        given=given,
        when=lambda r: review.unlink_objective(r, OBJ1, "role changed", ctx),
        then=[history.next(ObjectiveUnlinked, REVIEW, objective_id=OBJ1, reason="role changed")],
    )
    assert unlinked.active_objectives == {OBJ2}
    assert unlinked.all_objectives == {OBJ1, OBJ2}

    given.append(history(ObjectiveUnlinked, REVIEW, objective_id=OBJ1, reason="role changed"))
    accepted(
        review.evolve,
        given=given,
        when=lambda r: review.link_objective(r, OPEN_CYCLE, OBJ3, ctx),
        then=[history.next(ObjectiveLinked, REVIEW, objective_id=OBJ3)],
    )


def test_linking_as_the_second_event_of_a_command_takes_the_next_version_but_one(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    state = fold(review.evolve, started)
    assert state is not None
    decided = review.link_objective(state, OPEN_CYCLE, OBJ1, ctx, offset=2)
    assert decided == [history.next(ObjectiveLinked, REVIEW, offset=2, objective_id=OBJ1)]


def test_objectives_are_not_added_after_the_report(ctx: Context, issued: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.link_objective(r, OPEN_CYCLE, OBJ1, later(ctx)),
        rule="report-not-issued",
    )


def test_only_an_active_objective_of_the_review_is_unlinked(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=started,
        when=lambda r: review.unlink_objective(r, OBJ1, "not ours", ctx),
        rule="objective-active",
    )
    given = [
        *started,
        history(ObjectiveLinked, REVIEW, objective_id=OBJ1),
        history(ObjectiveUnlinked, REVIEW, objective_id=OBJ1, reason="withdrawn"),
    ]
    rejected(
        review.evolve,
        given=given,
        when=lambda r: review.unlink_objective(r, OBJ1, "again", ctx),
        rule="objective-active",
    )


# Meetings --------------------------------------------------------------------------------------


def test_recording_the_planning_meeting(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    state = accepted(
        review.evolve,
        given=started,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.PLANNING, PLANNING_DAY, "objectives discussed", ctx
        ),
        then=[
            history.next(
                MeetingRecorded,
                REVIEW,
                kind=MeetingKind.PLANNING,
                held_on=PLANNING_DAY,
                notes="objectives discussed",
            )
        ],
    )
    assert state.meetings == {MeetingKind.PLANNING: PLANNING_DAY}


def test_review_meetings_follow_the_planning_meeting_in_order(
    ctx: Context, history: History, planned: list[DomainEvent]
) -> None:
    x = later(ctx)
    after_mid = accepted(
        review.evolve,
        given=planned,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.MID_YEAR, MID_YEAR_DAY, "n", x
        ),
        then=[
            history.next(
                MeetingRecorded,
                REVIEW,
                ctx=x,
                kind=MeetingKind.MID_YEAR,
                held_on=MID_YEAR_DAY,
                notes="n",
            )
        ],
    )
    assert after_mid.meetings[MeetingKind.MID_YEAR] == MID_YEAR_DAY
    # the end-of-year meeting may also follow the planning meeting without a mid-year one
    accepted(
        review.evolve,
        given=planned,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.END_YEAR, END_YEAR_DAY, "n", x
        ),
        then=[
            history.next(
                MeetingRecorded,
                REVIEW,
                ctx=x,
                kind=MeetingKind.END_YEAR,
                held_on=END_YEAR_DAY,
                notes="n",
            )
        ],
    )


@pytest.mark.parametrize(
    "held_on", [date(2025, 8, 31), date(2026, 9, 1)], ids=["before the cycle", "after the cycle"]
)
def test_a_meeting_falls_within_the_cycle(
    ctx: Context, started: list[DomainEvent], held_on: date
) -> None:
    rejected(
        review.evolve,
        given=started,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.PLANNING, held_on, "n", later(ctx, date(2026, 9, 2))
        ),
        rule="meeting-in-cycle",
    )


def test_a_meeting_cannot_be_recorded_ahead_of_the_day_it_is_held(
    ctx: Context, started: list[DomainEvent]
) -> None:
    tomorrow = ctx.now.date() + timedelta(days=1)
    rejected(
        review.evolve,
        given=started,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.PLANNING, tomorrow, "n", ctx
        ),
        rule="meeting-not-future",
    )


def test_each_meeting_is_recorded_once(ctx: Context, planned: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=planned,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.PLANNING, PLANNING_DAY, "again", ctx
        ),
        rule="meeting-once",
    )


def test_a_reopened_review_may_hold_a_meeting_again(
    ctx: Context, history: History, reopened: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=reopened,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.END_YEAR, date(2026, 7, 9), "after appeal", x
        ),
        then=[
            history.next(
                MeetingRecorded,
                REVIEW,
                ctx=x,
                kind=MeetingKind.END_YEAR,
                held_on=date(2026, 7, 9),
                notes="after appeal",
            )
        ],
    )
    assert state.meetings[MeetingKind.END_YEAR] == date(2026, 7, 9)


@pytest.mark.parametrize(
    ("fixture", "kind", "held_on"),
    [
        ("started", MeetingKind.MID_YEAR, MID_YEAR_DAY),
        ("started", MeetingKind.END_YEAR, END_YEAR_DAY),
        ("planned", MeetingKind.MID_YEAR, date(2025, 9, 5)),
        ("mid_year_held", MeetingKind.END_YEAR, date(2026, 1, 15)),
    ],
    ids=[
        "mid-year without planning",
        "end-of-year without planning",
        "mid-year before planning",
        "end-of-year before mid-year",
    ],
)
def test_meetings_are_held_in_order(
    ctx: Context,
    history: History,
    request: pytest.FixtureRequest,
    fixture: str,
    kind: MeetingKind,
    held_on: date,
) -> None:
    if fixture == "mid_year_held":
        given = [
            *request.getfixturevalue("planned"),
            history(
                MeetingRecorded, REVIEW, kind=MeetingKind.MID_YEAR, held_on=MID_YEAR_DAY, notes="n"
            ),
        ]
    else:
        given = request.getfixturevalue(fixture)
    rejected(
        review.evolve,
        given=given,
        when=lambda r: review.record_meeting(r, OPEN_CYCLE, kind, held_on, "n", later(ctx)),
        rule="meeting-order",
    )


def test_a_meeting_needs_notes(ctx: Context, started: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=started,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.PLANNING, PLANNING_DAY, "  ", ctx
        ),
        rule="meeting-notes-required",
    )


def test_no_meeting_is_recorded_once_the_report_is_issued(
    ctx: Context, issued: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.END_YEAR, date(2026, 7, 9), "late", later(ctx)
        ),
        rule="report-not-issued",
    )


# Self-assessment and assessment ----------------------------------------------------------------


def test_the_appraisee_submits_a_self_assessment(
    ctx: Context, history: History, planned: list[DomainEvent]
) -> None:
    state = accepted(
        review.evolve,
        given=planned,
        when=lambda r: review.submit_self_assessment(r, OPEN_CYCLE, "a year of progress", ctx),
        then=[history.next(SelfAssessmentSubmitted, REVIEW, text="a year of progress")],
    )
    assert state.self_assessed


def test_a_self_assessment_needs_text(ctx: Context, planned: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=planned,
        when=lambda r: review.submit_self_assessment(r, OPEN_CYCLE, " ", ctx),
        rule="self-assessment-required",
    )


def test_no_self_assessment_after_the_report(ctx: Context, issued: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.submit_self_assessment(r, OPEN_CYCLE, "late", later(ctx)),
        rule="report-not-issued",
    )


def test_the_assessment_notes_objectives_development_needs_and_support(
    ctx: Context, history: History, year_ended: list[DomainEvent]
) -> None:
    given = [*year_ended, history(ObjectiveLinked, REVIEW, objective_id=OBJ1)]
    notes = (ObjectiveNote(objective_id=str(OBJ1), note="met in full"),)
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=given,
        when=lambda r: assess(
            r,
            OPEN_CYCLE,
            OverallJudgement.EXCEEDS,
            "an excellent year",
            notes,
            (" subject leadership ", " "),
            "NPQ place",
            x,
        ),
        then=[
            history.next(
                AssessmentWritten,
                REVIEW,
                ctx=x,
                overall=OverallJudgement.EXCEEDS,
                summary="an excellent year",
                objective_notes=notes,
                development_needs=("subject leadership",),
                support="NPQ place",
            )
        ],
    )
    assert state.assessment is OverallJudgement.EXCEEDS


def test_the_assessment_follows_the_end_of_year_meeting(
    ctx: Context, planned: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=planned,
        when=lambda r: assess(
            r, OPEN_CYCLE, OverallJudgement.MEETS, "early", (), (), "", later(ctx)
        ),
        rule="end-year-meeting-held",
    )


def test_the_assessment_needs_a_summary(ctx: Context, year_ended: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=year_ended,
        when=lambda r: assess(r, OPEN_CYCLE, OverallJudgement.MEETS, "", (), (), "", later(ctx)),
        rule="assessment-summary-required",
    )


def test_the_assessment_notes_only_objectives_of_this_review(
    ctx: Context, year_ended: list[DomainEvent]
) -> None:
    stranger = (ObjectiveNote(objective_id=str(OBJ3), note="?"),)
    broken = rejected(
        review.evolve,
        given=year_ended,
        when=lambda r: assess(
            r, OPEN_CYCLE, OverallJudgement.MEETS, "s", stranger, (), "", later(ctx)
        ),
        rule="objective-of-review",
    )
    assert str(OBJ3) in broken.message


def test_the_assessment_is_not_rewritten_after_the_report(
    ctx: Context, issued: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: assess(
            r, OPEN_CYCLE, OverallJudgement.MEETS, "again", (), (), "", later(ctx)
        ),
        rule="report-not-issued",
    )


# The report ------------------------------------------------------------------------------------


def test_issuing_the_report_dates_it_today(
    ctx: Context, history: History, assessed: list[DomainEvent]
) -> None:
    x = later(ctx, ISSUED_DAY)
    state = accepted(
        review.evolve,
        given=assessed,
        when=lambda r: review.issue_report(r, OPEN_CYCLE, x),
        then=[history.next(ReportIssued, REVIEW, ctx=x, issued_on=ISSUED_DAY)],
    )
    assert state.report_issued_on == ISSUED_DAY
    assert state.report_current
    assert not state.report_open


def test_the_report_follows_the_assessment(ctx: Context, year_ended: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=year_ended,
        when=lambda r: review.issue_report(r, OPEN_CYCLE, later(ctx)),
        rule="assessment-written",
    )


def test_the_report_is_issued_once(ctx: Context, issued: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.issue_report(r, OPEN_CYCLE, later(ctx)),
        rule="report-not-issued",
    )


def test_reissuing_the_report_of_a_reopened_review_clears_its_sign_offs_and_moderation(
    ctx: Context, history: History, signed: list[DomainEvent]
) -> None:
    given = [
        *signed,
        history(Moderated, REVIEW, outcome=ModerationOutcome.REFERRED_BACK, note="evidence thin"),
    ]
    x = later(ctx, date(2026, 7, 20))
    state = accepted(
        review.evolve,
        given=given,
        when=lambda r: review.issue_report(r, OPEN_CYCLE, x),
        then=[history.next(ReportIssued, REVIEW, ctx=x, issued_on=date(2026, 7, 20))],
    )
    assert state.signed_by == frozenset()
    assert state.moderation is None
    assert not state.reopened


def test_the_appraisee_comments_on_the_issued_report(
    ctx: Context, history: History, issued: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=issued,
        when=lambda r: review.comment_on_report(r, OPEN_CYCLE, "a fair report", x),
        then=[history.next(AppraiseeCommented, REVIEW, ctx=x, comment="a fair report")],
    )
    assert state.commented


@pytest.mark.parametrize("fixture", ["assessed", "reopened"])
def test_comments_need_an_issued_report(
    ctx: Context, request: pytest.FixtureRequest, fixture: str
) -> None:
    rejected(
        review.evolve,
        given=request.getfixturevalue(fixture),
        when=lambda r: review.comment_on_report(r, OPEN_CYCLE, "comment", later(ctx)),
        rule="report-issued",
    )


def test_comments_come_before_the_appraisee_signs(
    ctx: Context, history: History, issued: list[DomainEvent]
) -> None:
    given = [*issued, history(SignedOff, REVIEW, by=Signatory.APPRAISEE)]
    rejected(
        review.evolve,
        given=given,
        when=lambda r: review.comment_on_report(r, OPEN_CYCLE, "afterthought", later(ctx)),
        rule="comment-before-sign-off",
    )


def test_a_comment_needs_text(ctx: Context, issued: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.comment_on_report(r, OPEN_CYCLE, " ", later(ctx)),
        rule="comment-required",
    )


# Sign-off --------------------------------------------------------------------------------------


def test_appraisee_and_appraiser_each_sign_the_issued_report(
    ctx: Context, history: History, issued: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=issued,
        when=lambda r: review.sign_off(r, OPEN_CYCLE, Signatory.APPRAISER, x),
        then=[history.next(SignedOff, REVIEW, ctx=x, by=Signatory.APPRAISER)],
    )
    assert state.signed_by == {Signatory.APPRAISER}


@pytest.mark.parametrize("fixture", ["year_ended", "assessed", "reopened"])
def test_a_report_can_be_signed_off_only_after_it_is_issued(
    ctx: Context, request: pytest.FixtureRequest, fixture: str
) -> None:
    rejected(
        review.evolve,
        given=request.getfixturevalue(fixture),
        when=lambda r: review.sign_off(r, OPEN_CYCLE, Signatory.APPRAISEE, later(ctx)),
        rule="report-issued",
    )


def test_each_side_signs_once(ctx: Context, signed: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=signed,
        when=lambda r: review.sign_off(r, OPEN_CYCLE, Signatory.APPRAISER, later(ctx)),
        rule="sign-once",
    )


# Moderation ------------------------------------------------------------------------------------


def test_moderation_confirms_a_report_signed_by_both(
    ctx: Context, history: History, signed: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=signed,
        when=lambda r: review.moderate(r, OPEN_CYCLE, ModerationOutcome.CONFIRMED, "", x),
        then=[history.next(Moderated, REVIEW, ctx=x, outcome=ModerationOutcome.CONFIRMED, note="")],
    )
    assert state.moderation is ModerationOutcome.CONFIRMED
    assert not state.reopened


def test_a_report_referred_back_by_moderation_is_reopened(
    ctx: Context, history: History, signed: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=signed,
        when=lambda r: review.moderate(
            r, OPEN_CYCLE, ModerationOutcome.REFERRED_BACK, "judgement unsupported", x
        ),
        then=[
            history.next(
                Moderated,
                REVIEW,
                ctx=x,
                outcome=ModerationOutcome.REFERRED_BACK,
                note="judgement unsupported",
            )
        ],
    )
    assert state.reopened
    assert state.report_open


def test_moderation_needs_both_signatures(
    ctx: Context, history: History, issued: list[DomainEvent]
) -> None:
    given = [*issued, history(SignedOff, REVIEW, by=Signatory.APPRAISER)]
    rejected(
        review.evolve,
        given=given,
        when=lambda r: review.moderate(r, OPEN_CYCLE, ModerationOutcome.CONFIRMED, "", later(ctx)),
        rule="signed-off",
    )


def test_a_report_is_moderated_once(
    ctx: Context, history: History, signed: list[DomainEvent]
) -> None:
    given = [*signed, history(Moderated, REVIEW, outcome=ModerationOutcome.CONFIRMED, note="")]
    rejected(
        review.evolve,
        given=given,
        when=lambda r: review.moderate(r, OPEN_CYCLE, ModerationOutcome.CONFIRMED, "", later(ctx)),
        rule="moderate-once",
    )


def test_moderation_waits_for_a_pending_appeal(
    ctx: Context, history: History, signed: list[DomainEvent]
) -> None:
    given = [*signed, history(AppealLodged, REVIEW, grounds="unfair")]
    rejected(
        review.evolve,
        given=given,
        when=lambda r: review.moderate(r, OPEN_CYCLE, ModerationOutcome.CONFIRMED, "", later(ctx)),
        rule="no-open-appeal",
    )


def test_referring_a_report_back_needs_a_reason(ctx: Context, signed: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=signed,
        when=lambda r: review.moderate(
            r, OPEN_CYCLE, ModerationOutcome.REFERRED_BACK, " ", later(ctx)
        ),
        rule="referral-reason-required",
    )


# Appeals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day", [ISSUED_DAY, date(2026, 7, 15)], ids=["the day of the report", "the last day"]
)
def test_an_appeal_is_lodged_within_the_window_after_the_report(
    ctx: Context, history: History, issued: list[DomainEvent], day: date
) -> None:
    x = later(ctx, day)
    state = accepted(
        review.evolve,
        given=issued,
        when=lambda r: review.lodge_appeal(r, OPEN_CYCLE, "data ignored", x),
        then=[history.next(AppealLodged, REVIEW, ctx=x, grounds="data ignored")],
    )
    assert state.appeal is AppealState.LODGED


def test_an_appeal_after_the_window_is_refused(ctx: Context, issued: list[DomainEvent]) -> None:
    broken = rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.lodge_appeal(r, OPEN_CYCLE, "late", later(ctx, date(2026, 7, 16))),
        rule="appeal-window",
    )
    assert "2026-07-15" in broken.message


@pytest.mark.parametrize("fixture", ["assessed", "reopened"])
def test_an_appeal_needs_an_issued_report(
    ctx: Context, request: pytest.FixtureRequest, fixture: str
) -> None:
    rejected(
        review.evolve,
        given=request.getfixturevalue(fixture),
        when=lambda r: review.lodge_appeal(r, OPEN_CYCLE, "grounds", later(ctx)),
        rule="report-issued",
    )


def test_one_appeal_per_review(ctx: Context, history: History, appealed: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=appealed,
        when=lambda r: review.lodge_appeal(r, OPEN_CYCLE, "again", later(ctx)),
        rule="appeal-once",
    )
    dismissed = [
        *appealed,
        history(AppealDecided, REVIEW, outcome=AppealOutcome.DISMISSED, note="n"),
    ]
    rejected(
        review.evolve,
        given=dismissed,
        when=lambda r: review.lodge_appeal(r, OPEN_CYCLE, "again", later(ctx)),
        rule="appeal-once",
    )


def test_an_appeal_needs_grounds(ctx: Context, issued: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.lodge_appeal(r, OPEN_CYCLE, "", later(ctx)),
        rule="appeal-grounds-required",
    )


def test_an_upheld_appeal_reopens_the_review(
    ctx: Context, history: History, appealed: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=appealed,
        when=lambda r: review.decide_appeal(r, OPEN_CYCLE, AppealOutcome.UPHELD, "agreed", x),
        then=[
            history.next(AppealDecided, REVIEW, ctx=x, outcome=AppealOutcome.UPHELD, note="agreed")
        ],
    )
    assert state.appeal is AppealState.UPHELD
    assert state.reopened


def test_a_dismissed_appeal_leaves_the_report_standing(
    ctx: Context, history: History, appealed: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=appealed,
        when=lambda r: review.decide_appeal(r, OPEN_CYCLE, AppealOutcome.DISMISSED, "fair", x),
        then=[
            history.next(AppealDecided, REVIEW, ctx=x, outcome=AppealOutcome.DISMISSED, note="fair")
        ],
    )
    assert state.appeal is AppealState.DISMISSED
    assert state.report_current


def test_only_a_pending_appeal_is_decided(ctx: Context, issued: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.decide_appeal(r, OPEN_CYCLE, AppealOutcome.UPHELD, "n", later(ctx)),
        rule="appeal-pending",
    )


def test_an_appeal_decision_needs_a_note(ctx: Context, appealed: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=appealed,
        when=lambda r: review.decide_appeal(r, OPEN_CYCLE, AppealOutcome.UPHELD, " ", later(ctx)),
        rule="appeal-note-required",
    )


# Reopening -------------------------------------------------------------------------------------


def test_reopening_a_review_reopens_its_report(
    ctx: Context, history: History, signed: list[DomainEvent]
) -> None:
    x = later(ctx)
    state = accepted(
        review.evolve,
        given=signed,
        when=lambda r: review.reopen_review(r, OPEN_CYCLE, " new evidence ", x),
        then=[history.next(ReviewReopened, REVIEW, ctx=x, reason="new evidence")],
    )
    assert state.reopened
    assert state.report_open
    assert not state.report_current


@pytest.mark.parametrize("fixture", ["assessed", "reopened"])
def test_only_a_review_with_an_issued_report_reopens(
    ctx: Context, request: pytest.FixtureRequest, fixture: str
) -> None:
    rejected(
        review.evolve,
        given=request.getfixturevalue(fixture),
        when=lambda r: review.reopen_review(r, OPEN_CYCLE, "reason", later(ctx)),
        rule="report-issued",
    )


def test_a_review_with_a_pending_appeal_is_not_reopened(
    ctx: Context, appealed: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=appealed,
        when=lambda r: review.reopen_review(r, OPEN_CYCLE, "reason", later(ctx)),
        rule="no-open-appeal",
    )


def test_reopening_a_review_needs_a_reason(ctx: Context, issued: list[DomainEvent]) -> None:
    rejected(
        review.evolve,
        given=issued,
        when=lambda r: review.reopen_review(r, OPEN_CYCLE, "  ", later(ctx)),
        rule="reason-required",
    )


# Replay ----------------------------------------------------------------------------------------


def test_replaying_a_whole_year_rebuilds_the_review(ctx: Context) -> None:
    def at(day: date) -> Context:
        return on(ctx, day)

    decisions: list[Callable[[Any], list[DomainEvent]]] = [
        lambda _: review.start_review(OPEN_CYCLE, ANN_STAFF, BOB_STAFF, at(PLANNING_DAY)),
        lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.PLANNING, PLANNING_DAY, "n", at(PLANNING_DAY)
        ),
        lambda r: review.link_objective(r, OPEN_CYCLE, OBJ1, at(PLANNING_DAY)),
        lambda r: review.link_objective(r, OPEN_CYCLE, OBJ2, at(PLANNING_DAY)),
        lambda r: review.unlink_objective(r, OBJ2, "merged", at(MID_YEAR_DAY)),
        lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.MID_YEAR, MID_YEAR_DAY, "n", at(MID_YEAR_DAY)
        ),
        lambda r: review.submit_self_assessment(r, OPEN_CYCLE, "mine", at(END_YEAR_DAY)),
        lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.END_YEAR, END_YEAR_DAY, "n", at(END_YEAR_DAY)
        ),
        lambda r: assess(r, OPEN_CYCLE, OverallJudgement.MEETS, "s", (), (), "", at(END_YEAR_DAY)),
        lambda r: review.issue_report(r, OPEN_CYCLE, at(ISSUED_DAY)),
        lambda r: review.comment_on_report(r, OPEN_CYCLE, "ok", at(ISSUED_DAY)),
        lambda r: review.sign_off(r, OPEN_CYCLE, Signatory.APPRAISEE, at(ISSUED_DAY)),
        lambda r: review.sign_off(r, OPEN_CYCLE, Signatory.APPRAISER, at(ISSUED_DAY)),
        lambda r: review.lodge_appeal(r, OPEN_CYCLE, "unfair", at(date(2026, 7, 8))),
        lambda r: review.decide_appeal(
            r, OPEN_CYCLE, AppealOutcome.DISMISSED, "fair", at(date(2026, 7, 12))
        ),
        lambda r: review.moderate(
            r, OPEN_CYCLE, ModerationOutcome.CONFIRMED, "", at(date(2026, 7, 13))
        ),
    ]
    state: Review | None = None
    decided: list[DomainEvent] = []
    for decide in decisions:
        events = decide(state)
        for event in events:
            state = review.evolve(state, event)
        decided.extend(events)

    assert [e.originator_version for e in decided] == list(range(1, 17))
    assert (
        fold(review.evolve, decided)
        == state
        == Review(
            REVIEW,
            16,
            CYCLE,
            TRUST,
            SCHOOL,
            ANN,
            BOB,
            active_objectives=frozenset({OBJ1}),
            all_objectives=frozenset({OBJ1, OBJ2}),
            meetings={
                MeetingKind.PLANNING: PLANNING_DAY,
                MeetingKind.MID_YEAR: MID_YEAR_DAY,
                MeetingKind.END_YEAR: END_YEAR_DAY,
            },
            self_assessed=True,
            assessment=OverallJudgement.MEETS,
            report_issued_on=ISSUED_DAY,
            signed_by=frozenset(Signatory),
            commented=True,
            moderation=ModerationOutcome.CONFIRMED,
            appeal=AppealState.DISMISSED,
        )
    )


def test_a_history_that_does_not_start_with_the_review_is_refused(history: History) -> None:
    with pytest.raises(ValueError, match="before ReviewStarted"):
        fold(review.evolve, [history(ReviewReopened, REVIEW, reason="r")])
