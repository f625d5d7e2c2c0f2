"""The Objective aggregate: drafted, revised, agreed or set, progressed, assessed, withdrawn."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from aggregates import objective
from aggregates.base import Context
from aggregates.cycle import AppraisalCycle, CycleDates, CycleStatus
from aggregates.objective import Objective, ObjectiveContent, ObjectiveStatus
from aggregates.review import Review
from events.base import DomainEvent
from events.objective import (
    DisagreementRecorded,
    ObjectiveAgreed,
    ObjectiveAssessed,
    ObjectiveCarriedForward,
    ObjectiveDrafted,
    ObjectiveReinstated,
    ObjectiveRevised,
    ObjectiveSetWithoutAgreement,
    ObjectiveWithdrawn,
    ProgressRecorded,
)
from events.values import CyclePolicy, FieldChange, ObjectiveOutcome, Signatory
from tests.unit.aggregates.gwt import History, accepted, fold, rejected, stamp

TRUST = UUID("40000000-0000-4000-8000-000000000001")
SCHOOL = UUID("40000000-0000-4000-8000-000000000002")
CYCLE = UUID("40000000-0000-4000-8000-000000000003")
NEXT_CYCLE = UUID("40000000-0000-4000-8000-000000000004")
REVIEW = UUID("40000000-0000-4000-8000-000000000005")
ANN = UUID("40000000-0000-4000-8000-0000000000a1")
BOB = UUID("40000000-0000-4000-8000-0000000000b0")
OBJ = UUID("40000000-0000-4000-8000-0000000000f1")
CARRIED = UUID("40000000-0000-4000-8000-0000000000f2")
PRIORITY = UUID("40000000-0000-4000-8000-0000000000e1")

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
    policy=CyclePolicy(max_objectives=3),
    status=CycleStatus.OPEN,
)
CLOSED_CYCLE = replace(OPEN_CYCLE, version=3, status=CycleStatus.CLOSED)
REVIEW_STATE = Review(
    id=REVIEW,
    version=1,
    cycle_id=CYCLE,
    trust_id=TRUST,
    school_id=SCHOOL,
    appraisee_id=ANN,
    appraiser_id=BOB,
)
CONTENT = ObjectiveContent(
    title="Improve reading",
    description="Year 3 reading fluency",
    success_criteria=("80% at ARE", "Phonics screening 90%"),
    priority_id=None,
    standards=("TS3",),
    due_date=date(2026, 7, 1),
)


def drafted(history: History, **overrides: Any) -> DomainEvent:
    fields: dict[str, Any] = {
        "review_id": REVIEW,
        "cycle_id": CYCLE,
        "appraisee_id": ANN,
        "title": CONTENT.title,
        "description": CONTENT.description,
        "success_criteria": CONTENT.success_criteria,
        "priority_id": None,
        "standards": CONTENT.standards,
        "due_date": CONTENT.due_date,
    }
    return history(ObjectiveDrafted, OBJ, **{**fields, **overrides})


@pytest.fixture
def draft(history: History) -> list[DomainEvent]:
    return [drafted(history)]


@pytest.fixture
def agreed(history: History, draft: list[DomainEvent]) -> list[DomainEvent]:
    return [
        *draft,
        history(ObjectiveAgreed, OBJ, by=Signatory.APPRAISEE),
        history(ObjectiveAgreed, OBJ, by=Signatory.APPRAISER),
    ]


@pytest.fixture
def set_without_agreement(history: History, draft: list[DomainEvent]) -> list[DomainEvent]:
    return [*draft, history(ObjectiveSetWithoutAgreement, OBJ, reason="no agreement reached")]


@pytest.fixture
def assessed(history: History, agreed: list[DomainEvent]) -> list[DomainEvent]:
    return [
        *agreed,
        history(ObjectiveAssessed, OBJ, outcome=ObjectiveOutcome.PARTIALLY_MET, comment="nearly"),
    ]


@pytest.fixture
def withdrawn(history: History, draft: list[DomainEvent]) -> list[DomainEvent]:
    return [*draft, history(ObjectiveWithdrawn, OBJ, reason="role changed")]


# Drafting --------------------------------------------------------------------------------------


def test_drafting_an_objective_records_its_trimmed_content_for_the_review(ctx: Context) -> None:
    content = replace(
        CONTENT,
        title=" Improve reading ",
        description=" Year 3 reading fluency ",
        success_criteria=(" 80% at ARE", "Phonics screening 90% "),
        priority_id=PRIORITY,
        standards=(" TS3 ", " ", "TS5"),
    )
    state = accepted(
        objective.evolve,
        given=[],
        when=lambda _: objective.draft_objective(OBJ, REVIEW_STATE, OPEN_CYCLE, content, ctx),
        then=[
            stamp(
                ObjectiveDrafted,
                OBJ,
                1,
                ctx,
                review_id=REVIEW,
                cycle_id=CYCLE,
                appraisee_id=ANN,
                title="Improve reading",
                description="Year 3 reading fluency",
                success_criteria=("80% at ARE", "Phonics screening 90%"),
                priority_id=PRIORITY,
                standards=("TS3", "TS5"),
                due_date=date(2026, 7, 1),
                carried_forward_from=None,
            )
        ],
    )
    assert state == Objective(
        OBJ, 1, REVIEW, CYCLE, ANN, replace(CONTENT, priority_id=PRIORITY, standards=("TS3", "TS5"))
    )
    assert state.status is ObjectiveStatus.DRAFT
    assert state.is_active


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"title": "  "}, "objective-title-required"),
        ({"title": "x" * (objective.MAX_TITLE + 1)}, "objective-title-length"),
        ({"success_criteria": ()}, "success-criteria-required"),
        ({"success_criteria": ("80% at ARE", " ")}, "success-criteria-required"),
        ({"due_date": date(2025, 8, 31)}, "due-in-cycle"),
        ({"due_date": date(2026, 9, 1)}, "due-in-cycle"),
    ],
    ids=[
        "blank title",
        "title too long",
        "no success criteria",
        "a blank success criterion",
        "due before the cycle",
        "due after the cycle",
    ],
)
def test_an_objective_needs_a_title_success_criteria_and_a_due_date_in_the_cycle(
    ctx: Context, change: dict[str, Any], rule: str
) -> None:
    content = replace(CONTENT, **change)
    rejected(
        objective.evolve,
        given=[],
        when=lambda _: objective.draft_objective(OBJ, REVIEW_STATE, OPEN_CYCLE, content, ctx),
        rule=rule,
    )


def test_a_title_of_exactly_the_maximum_length_is_accepted(ctx: Context) -> None:
    content = replace(CONTENT, title="x" * objective.MAX_TITLE)
    assert objective.draft_objective(OBJ, REVIEW_STATE, OPEN_CYCLE, content, ctx)


# Revising --------------------------------------------------------------------------------------


def test_revising_a_draft_needs_no_reason_and_records_old_and_new_values(
    ctx: Context, history: History, draft: list[DomainEvent]
) -> None:
    state = accepted(
        objective.evolve,
        given=draft,
        when=lambda o: objective.revise_objective(
            o, OPEN_CYCLE, {"title": "Better reading"}, None, False, ctx
        ),
        then=[
            history.next(
                ObjectiveRevised,
                OBJ,
                changes=(FieldChange(field="title", old="Improve reading", new="Better reading"),),
                reason=None,
            )
        ],
    )
    assert state.content == replace(CONTENT, title="Better reading")
    assert state.status is ObjectiveStatus.DRAFT


def test_a_revision_of_every_kind_of_field_replays_to_the_revised_content(
    ctx: Context, history: History, draft: list[DomainEvent]
) -> None:
    changes: dict[str, Any] = {
        "description": "Whole-class reading",
        "success_criteria": ("85% at ARE",),
        "priority_id": PRIORITY,
        "standards": ("TS3", "TS4"),
        "due_date": date(2026, 6, 30),
        "title": CONTENT.title,  # unchanged: not recorded
    }
    state = accepted(
        objective.evolve,
        given=draft,
        when=lambda o: objective.revise_objective(o, OPEN_CYCLE, changes, None, False, ctx),
        then=[
            history.next(
                ObjectiveRevised,
                OBJ,
                changes=(
                    FieldChange(
                        field="description", old="Year 3 reading fluency", new="Whole-class reading"
                    ),
                    FieldChange(
                        field="success_criteria",
                        old=["80% at ARE", "Phonics screening 90%"],
                        new=["85% at ARE"],
                    ),
                    FieldChange(field="priority_id", old=None, new=str(PRIORITY)),
                    FieldChange(field="standards", old=["TS3"], new=["TS3", "TS4"]),
                    FieldChange(field="due_date", old="2026-07-01", new="2026-06-30"),
                ),
                reason=None,
            )
        ],
    )
    assert state.content == replace(CONTENT, **changes)


def test_unlinking_a_priority_by_revision_replays_to_no_priority(
    ctx: Context, history: History
) -> None:
    given = [drafted(history, priority_id=PRIORITY)]
    state = accepted(
        objective.evolve,
        given=given,
        when=lambda o: objective.revise_objective(
            o, OPEN_CYCLE, {"priority_id": None}, None, False, ctx
        ),
        then=[
            history.next(
                ObjectiveRevised,
                OBJ,
                changes=(FieldChange(field="priority_id", old=str(PRIORITY), new=None),),
                reason=None,
            )
        ],
    )
    assert state.content.priority_id is None


def test_revising_an_agreed_objective_requires_a_reason(
    ctx: Context, agreed: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=agreed,
        when=lambda o: objective.revise_objective(
            o, OPEN_CYCLE, {"title": "Better reading"}, "  ", False, ctx
        ),
        rule="revision-reason-required",
    )


def test_revising_an_objective_agreed_by_one_side_requires_a_reason(
    ctx: Context, history: History, draft: list[DomainEvent]
) -> None:
    given = [*draft, history(ObjectiveAgreed, OBJ, by=Signatory.APPRAISEE)]
    rejected(
        objective.evolve,
        given=given,
        when=lambda o: objective.revise_objective(
            o, OPEN_CYCLE, {"title": "Better reading"}, None, False, ctx
        ),
        rule="revision-reason-required",
    )


def test_revising_an_objective_set_without_agreement_requires_a_reason(
    ctx: Context, set_without_agreement: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=set_without_agreement,
        when=lambda o: objective.revise_objective(
            o, OPEN_CYCLE, {"title": "Better reading"}, None, False, ctx
        ),
        rule="revision-reason-required",
    )


def test_revising_an_agreed_objective_with_a_reason_clears_the_agreement(
    ctx: Context, history: History, agreed: list[DomainEvent]
) -> None:
    state = accepted(
        objective.evolve,
        given=agreed,
        when=lambda o: objective.revise_objective(
            o, OPEN_CYCLE, {"title": "Better reading"}, " phonics focus ", False, ctx
        ),
        then=[
            history.next(
                ObjectiveRevised,
                OBJ,
                changes=(FieldChange(field="title", old="Improve reading", new="Better reading"),),
                reason="phonics focus",
            )
        ],
    )
    assert state.status is ObjectiveStatus.DRAFT
    assert state.agreed_by == frozenset()


def test_revising_an_objective_set_without_agreement_clears_the_disagreement(
    ctx: Context, history: History, set_without_agreement: list[DomainEvent]
) -> None:
    given = [*set_without_agreement, history(DisagreementRecorded, OBJ, statement="too hard")]
    state = accepted(
        objective.evolve,
        given=given,
        when=lambda o: objective.revise_objective(
            o, OPEN_CYCLE, {"due_date": date(2026, 8, 1)}, "more time", False, ctx
        ),
        then=[
            history.next(
                ObjectiveRevised,
                OBJ,
                changes=(FieldChange(field="due_date", old="2026-07-01", new="2026-08-01"),),
                reason="more time",
            )
        ],
    )
    assert state.status is ObjectiveStatus.DRAFT
    assert state.disagreement is None


def test_objectives_of_a_cycle_that_is_not_open_cannot_be_revised(
    ctx: Context, draft: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=draft,
        when=lambda o: objective.revise_objective(
            o, CLOSED_CYCLE, {"title": "Better reading"}, None, False, ctx
        ),
        rule="cycle-open",
    )


def test_a_withdrawn_objective_cannot_be_revised(
    ctx: Context, withdrawn: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=withdrawn,
        when=lambda o: objective.revise_objective(
            o, OPEN_CYCLE, {"title": "Better reading"}, "why", True, ctx
        ),
        rule="objective-final",
    )


def test_an_assessed_objective_cannot_be_revised_unless_the_review_is_reopened(
    ctx: Context, history: History, assessed: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=assessed,
        when=lambda o: objective.revise_objective(
            o, OPEN_CYCLE, {"title": "Better reading"}, "appeal", False, ctx
        ),
        rule="objective-final",
    )
    state = accepted(
        objective.evolve,
        given=assessed,
        when=lambda o: objective.revise_objective(
            o, OPEN_CYCLE, {"title": "Better reading"}, "appeal upheld", True, ctx
        ),
        then=[
            history.next(
                ObjectiveRevised,
                OBJ,
                changes=(FieldChange(field="title", old="Improve reading", new="Better reading"),),
                reason="appeal upheld",
            )
        ],
    )
    assert state.status is ObjectiveStatus.ASSESSED
    assert state.agreed_by == frozenset()


def test_only_the_objectives_content_can_be_revised(ctx: Context, draft: list[DomainEvent]) -> None:
    broken = rejected(
        objective.evolve,
        given=draft,
        when=lambda o: objective.revise_objective(
            o, OPEN_CYCLE, {"status": "agreed", "title": "x"}, None, False, ctx
        ),
        rule="revisable-fields",
    )
    assert "status" in broken.message


def test_a_revision_that_changes_nothing_is_refused(ctx: Context, draft: list[DomainEvent]) -> None:
    rejected(
        objective.evolve,
        given=draft,
        when=lambda o: objective.revise_objective(
            o,
            OPEN_CYCLE,
            {"title": CONTENT.title, "standards": CONTENT.standards},
            None,
            False,
            ctx,
        ),
        rule="revision-changes-something",
    )


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"title": ""}, "objective-title-required"),
        ({"success_criteria": ()}, "success-criteria-required"),
        ({"due_date": date(2026, 9, 30)}, "due-in-cycle"),
    ],
)
def test_a_revision_keeps_the_content_rules(
    ctx: Context, draft: list[DomainEvent], change: dict[str, Any], rule: str
) -> None:
    rejected(
        objective.evolve,
        given=draft,
        when=lambda o: objective.revise_objective(o, OPEN_CYCLE, change, None, False, ctx),
        rule=rule,
    )


# Agreeing, or setting without agreement ----------------------------------------------------------


def test_an_objective_is_agreed_once_both_appraisee_and_appraiser_agree(
    ctx: Context, history: History, draft: list[DomainEvent]
) -> None:
    half = accepted(
        objective.evolve,
        given=draft,
        when=lambda o: objective.agree_objective(o, Signatory.APPRAISER, ctx),
        then=[history.next(ObjectiveAgreed, OBJ, by=Signatory.APPRAISER)],
    )
    assert half.status is ObjectiveStatus.DRAFT
    assert half.agreed_by == {Signatory.APPRAISER}

    given = [*draft, history(ObjectiveAgreed, OBJ, by=Signatory.APPRAISER)]
    both = accepted(
        objective.evolve,
        given=given,
        when=lambda o: objective.agree_objective(o, Signatory.APPRAISEE, ctx),
        then=[history.next(ObjectiveAgreed, OBJ, by=Signatory.APPRAISEE)],
    )
    assert both.status is ObjectiveStatus.AGREED
    assert both.agreed_by == frozenset(Signatory)


def test_each_side_agrees_once(ctx: Context, history: History, draft: list[DomainEvent]) -> None:
    given = [*draft, history(ObjectiveAgreed, OBJ, by=Signatory.APPRAISEE)]
    rejected(
        objective.evolve,
        given=given,
        when=lambda o: objective.agree_objective(o, Signatory.APPRAISEE, ctx),
        rule="agree-once",
    )


@pytest.mark.parametrize("fixture", ["agreed", "set_without_agreement", "assessed", "withdrawn"])
def test_only_a_draft_objective_can_be_agreed(
    ctx: Context, request: pytest.FixtureRequest, fixture: str
) -> None:
    rejected(
        objective.evolve,
        given=request.getfixturevalue(fixture),
        when=lambda o: objective.agree_objective(o, Signatory.APPRAISEE, ctx),
        rule="objective-draft",
    )


def test_the_appraiser_can_set_an_objective_that_cannot_be_agreed(
    ctx: Context, history: History, draft: list[DomainEvent]
) -> None:
    state = accepted(
        objective.evolve,
        given=draft,
        when=lambda o: objective.set_without_agreement(o, " no agreement after two meetings ", ctx),
        then=[
            history.next(
                ObjectiveSetWithoutAgreement, OBJ, reason="no agreement after two meetings"
            )
        ],
    )
    assert state.status is ObjectiveStatus.SET_WITHOUT_AGREEMENT


def test_only_a_draft_objective_can_be_set_without_agreement(
    ctx: Context, agreed: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=agreed,
        when=lambda o: objective.set_without_agreement(o, "overrule", ctx),
        rule="objective-draft",
    )


def test_setting_an_objective_without_agreement_needs_a_reason(
    ctx: Context, draft: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=draft,
        when=lambda o: objective.set_without_agreement(o, "", ctx),
        rule="reason-required",
    )


def test_the_appraisee_can_record_disagreement_with_an_objective_set_without_agreement(
    ctx: Context, history: History, set_without_agreement: list[DomainEvent]
) -> None:
    state = accepted(
        objective.evolve,
        given=set_without_agreement,
        when=lambda o: objective.record_disagreement(o, "the target ignores my timetable", ctx),
        then=[history.next(DisagreementRecorded, OBJ, statement="the target ignores my timetable")],
    )
    assert state.disagreement == "the target ignores my timetable"


def test_disagreement_is_recorded_only_against_an_objective_set_without_agreement(
    ctx: Context, draft: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=draft,
        when=lambda o: objective.record_disagreement(o, "I disagree", ctx),
        rule="objective-set-without-agreement",
    )


def test_disagreement_is_recorded_once(
    ctx: Context, history: History, set_without_agreement: list[DomainEvent]
) -> None:
    given = [*set_without_agreement, history(DisagreementRecorded, OBJ, statement="too hard")]
    rejected(
        objective.evolve,
        given=given,
        when=lambda o: objective.record_disagreement(o, "still too hard", ctx),
        rule="disagree-once",
    )


def test_disagreement_needs_a_statement(
    ctx: Context, set_without_agreement: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=set_without_agreement,
        when=lambda o: objective.record_disagreement(o, "  ", ctx),
        rule="disagreement-statement-required",
    )


# Progress --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["agreed", "set_without_agreement"])
def test_progress_is_recorded_on_an_objective_in_force(
    ctx: Context, history: History, request: pytest.FixtureRequest, fixture: str
) -> None:
    state = accepted(
        objective.evolve,
        given=request.getfixturevalue(fixture),
        when=lambda o: objective.record_progress(
            o, 40, "half-termly data", (" data.xlsx ", " "), ctx
        ),
        then=[
            history.next(
                ProgressRecorded, OBJ, percent=40, note="half-termly data", evidence=("data.xlsx",)
            )
        ],
    )
    assert state.progress == 40


@pytest.mark.parametrize("fixture", ["draft", "assessed", "withdrawn"])
def test_progress_is_not_recorded_on_an_objective_not_in_force(
    ctx: Context, request: pytest.FixtureRequest, fixture: str
) -> None:
    rejected(
        objective.evolve,
        given=request.getfixturevalue(fixture),
        when=lambda o: objective.record_progress(o, 40, "data", (), ctx),
        rule="objective-in-force",
    )


@pytest.mark.parametrize("percent", [-1, 101])
def test_progress_is_a_percentage(ctx: Context, agreed: list[DomainEvent], percent: int) -> None:
    rejected(
        objective.evolve,
        given=agreed,
        when=lambda o: objective.record_progress(o, percent, "data", (), ctx),
        rule="percent-range",
    )


def test_progress_needs_a_note(ctx: Context, agreed: list[DomainEvent]) -> None:
    rejected(
        objective.evolve,
        given=agreed,
        when=lambda o: objective.record_progress(o, 40, " ", (), ctx),
        rule="progress-note-required",
    )


# Assessing -------------------------------------------------------------------------------------


def test_assessing_an_objective_in_force_records_the_outcome(
    ctx: Context, history: History, agreed: list[DomainEvent]
) -> None:
    state = accepted(
        objective.evolve,
        given=agreed,
        when=lambda o: objective.assess_objective(
            o, ObjectiveOutcome.MET, "exceeded target", False, ctx
        ),
        then=[
            history.next(
                ObjectiveAssessed, OBJ, outcome=ObjectiveOutcome.MET, comment="exceeded target"
            )
        ],
    )
    assert state.status is ObjectiveStatus.ASSESSED
    assert state.outcome is ObjectiveOutcome.MET


@pytest.mark.parametrize("fixture", ["draft", "withdrawn"])
def test_only_an_agreed_or_set_objective_can_be_assessed(
    ctx: Context, request: pytest.FixtureRequest, fixture: str
) -> None:
    rejected(
        objective.evolve,
        given=request.getfixturevalue(fixture),
        when=lambda o: objective.assess_objective(o, ObjectiveOutcome.MET, "ok", True, ctx),
        rule="objective-in-force",
    )


def test_an_assessed_objective_is_reassessed_only_when_the_review_is_reopened(
    ctx: Context, history: History, assessed: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=assessed,
        when=lambda o: objective.assess_objective(o, ObjectiveOutcome.MET, "on appeal", False, ctx),
        rule="objective-in-force",
    )
    state = accepted(
        objective.evolve,
        given=assessed,
        when=lambda o: objective.assess_objective(o, ObjectiveOutcome.MET, "on appeal", True, ctx),
        then=[
            history.next(ObjectiveAssessed, OBJ, outcome=ObjectiveOutcome.MET, comment="on appeal")
        ],
    )
    assert state.outcome is ObjectiveOutcome.MET


def test_an_assessment_needs_a_comment(ctx: Context, agreed: list[DomainEvent]) -> None:
    rejected(
        objective.evolve,
        given=agreed,
        when=lambda o: objective.assess_objective(o, ObjectiveOutcome.MET, "", False, ctx),
        rule="assessment-comment-required",
    )


# Withdrawing and reinstating ------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["draft", "agreed", "set_without_agreement"])
def test_withdrawing_an_objective_records_why(
    ctx: Context, history: History, request: pytest.FixtureRequest, fixture: str
) -> None:
    state = accepted(
        objective.evolve,
        given=request.getfixturevalue(fixture),
        when=lambda o: objective.withdraw_objective(o, " role changed ", False, ctx),
        then=[history.next(ObjectiveWithdrawn, OBJ, reason="role changed")],
    )
    assert state.status is ObjectiveStatus.WITHDRAWN
    assert not state.is_active


def test_a_withdrawn_objective_cannot_be_withdrawn_again(
    ctx: Context, withdrawn: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=withdrawn,
        when=lambda o: objective.withdraw_objective(o, "again", True, ctx),
        rule="objective-final",
    )


def test_an_assessed_objective_is_withdrawn_only_when_the_review_is_reopened(
    ctx: Context, history: History, assessed: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=assessed,
        when=lambda o: objective.withdraw_objective(o, "appeal", False, ctx),
        rule="objective-final",
    )
    accepted(
        objective.evolve,
        given=assessed,
        when=lambda o: objective.withdraw_objective(o, "appeal upheld", True, ctx),
        then=[history.next(ObjectiveWithdrawn, OBJ, reason="appeal upheld")],
    )


def test_withdrawing_an_objective_needs_a_reason(ctx: Context, draft: list[DomainEvent]) -> None:
    rejected(
        objective.evolve,
        given=draft,
        when=lambda o: objective.withdraw_objective(o, " ", False, ctx),
        rule="reason-required",
    )


def test_reinstating_a_withdrawn_objective_in_a_reopened_review_makes_it_a_fresh_draft(
    ctx: Context, history: History, agreed: list[DomainEvent]
) -> None:
    given = [*agreed, history(ObjectiveWithdrawn, OBJ, reason="mistake")]
    state = accepted(
        objective.evolve,
        given=given,
        when=lambda o: objective.reinstate_objective(o, " withdrawn in error ", True, ctx),
        then=[history.next(ObjectiveReinstated, OBJ, reason="withdrawn in error")],
    )
    assert state.status is ObjectiveStatus.DRAFT
    assert state.agreed_by == frozenset()
    assert state.outcome is None


def test_only_a_withdrawn_objective_can_be_reinstated(
    ctx: Context, draft: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=draft,
        when=lambda o: objective.reinstate_objective(o, "reinstate", True, ctx),
        rule="objective-withdrawn",
    )


def test_reinstating_needs_the_review_reopened(ctx: Context, withdrawn: list[DomainEvent]) -> None:
    rejected(
        objective.evolve,
        given=withdrawn,
        when=lambda o: objective.reinstate_objective(o, "reinstate", False, ctx),
        rule="review-reopened",
    )


def test_reinstating_needs_a_reason(ctx: Context, withdrawn: list[DomainEvent]) -> None:
    rejected(
        objective.evolve,
        given=withdrawn,
        when=lambda o: objective.reinstate_objective(o, "", True, ctx),
        rule="reason-required",
    )


# Carrying forward ------------------------------------------------------------------------------


def test_an_unmet_objective_is_carried_forward_into_another_cycle(
    ctx: Context, history: History, assessed: list[DomainEvent]
) -> None:
    state = accepted(
        objective.evolve,
        given=assessed,
        when=lambda o: objective.carry_forward(o, CARRIED, NEXT_CYCLE, ctx),
        then=[
            history.next(
                ObjectiveCarriedForward, OBJ, to_objective_id=CARRIED, to_cycle_id=NEXT_CYCLE
            )
        ],
    )
    assert state.carried_forward_to == CARRIED


def test_a_carried_forward_draft_remembers_where_it_came_from(ctx: Context) -> None:
    events = objective.draft_objective(
        CARRIED, REVIEW_STATE, OPEN_CYCLE, CONTENT, ctx, carried_forward_from=OBJ
    )
    state = fold(objective.evolve, events)
    assert state is not None
    assert state.carried_forward_from == OBJ


def test_a_withdrawn_objective_is_not_carried_forward(
    ctx: Context, withdrawn: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=withdrawn,
        when=lambda o: objective.carry_forward(o, CARRIED, NEXT_CYCLE, ctx),
        rule="objective-active",
    )


def test_an_objective_is_carried_forward_once(
    ctx: Context, history: History, assessed: list[DomainEvent]
) -> None:
    given = [
        *assessed,
        history(ObjectiveCarriedForward, OBJ, to_objective_id=CARRIED, to_cycle_id=NEXT_CYCLE),
    ]
    rejected(
        objective.evolve,
        given=given,
        when=lambda o: objective.carry_forward(o, UUID(int=99), NEXT_CYCLE, ctx),
        rule="carry-once",
    )


def test_a_met_objective_is_not_carried_forward(
    ctx: Context, history: History, agreed: list[DomainEvent]
) -> None:
    given = [*agreed, history(ObjectiveAssessed, OBJ, outcome=ObjectiveOutcome.MET, comment="ok")]
    rejected(
        objective.evolve,
        given=given,
        when=lambda o: objective.carry_forward(o, CARRIED, NEXT_CYCLE, ctx),
        rule="carry-unmet",
    )


def test_an_objective_is_carried_into_another_cycle(
    ctx: Context, assessed: list[DomainEvent]
) -> None:
    rejected(
        objective.evolve,
        given=assessed,
        when=lambda o: objective.carry_forward(o, CARRIED, CYCLE, ctx),
        rule="carry-to-other-cycle",
    )


# Replay ----------------------------------------------------------------------------------------


def test_replaying_the_decided_events_rebuilds_the_objective(ctx: Context) -> None:
    decisions: list[Callable[[Any], list[DomainEvent]]] = [
        lambda _: objective.draft_objective(OBJ, REVIEW_STATE, OPEN_CYCLE, CONTENT, ctx),
        lambda o: objective.agree_objective(o, Signatory.APPRAISEE, ctx),
        lambda o: objective.agree_objective(o, Signatory.APPRAISER, ctx),
        lambda o: objective.revise_objective(
            o, OPEN_CYCLE, {"standards": ("TS3", "TS4")}, "add TS4", False, ctx
        ),
        lambda o: objective.set_without_agreement(o, "no agreement", ctx),
        lambda o: objective.record_disagreement(o, "unfair", ctx),
        lambda o: objective.record_progress(o, 60, "on track", (), ctx),
        lambda o: objective.assess_objective(o, ObjectiveOutcome.NOT_MET, "missed", False, ctx),
        lambda o: objective.carry_forward(o, CARRIED, NEXT_CYCLE, ctx),
    ]
    state: Objective | None = None
    decided: list[DomainEvent] = []
    for decide in decisions:
        events = decide(state)
        for event in events:
            state = objective.evolve(state, event)
        decided.extend(events)

    assert [e.originator_version for e in decided] == list(range(1, 10))
    assert (
        fold(objective.evolve, decided)
        == state
        == Objective(
            OBJ,
            9,
            REVIEW,
            CYCLE,
            ANN,
            replace(CONTENT, standards=("TS3", "TS4")),
            status=ObjectiveStatus.ASSESSED,
            agreed_by=frozenset(),
            set_without_agreement=True,
            disagreement="unfair",
            progress=60,
            outcome=ObjectiveOutcome.NOT_MET,
            carried_forward_to=CARRIED,
        )
    )


def test_a_history_that_does_not_start_with_a_draft_is_refused(history: History) -> None:
    with pytest.raises(ValueError, match="before ObjectiveDrafted"):
        fold(objective.evolve, [history(ObjectiveAgreed, OBJ, by=Signatory.APPRAISEE)])
