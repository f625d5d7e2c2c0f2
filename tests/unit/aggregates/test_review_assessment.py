"""The Review aggregate: the appraisee's self-assessment and the appraiser's assessment.

The histories (``started``, ``planned`` ... ``reopened``) are fixtures in this directory's
``conftest.py``; the people, dates and cycles are in ``review_support.py``."""

from __future__ import annotations

from aggregates import review
from aggregates.base import Context
from events.base import DomainEvent
from events.review import (
    AssessmentWritten,
    ObjectiveLinked,
    SelfAssessmentSubmitted,
)
from events.values import (
    ObjectiveNote,
    OverallJudgement,
)
from tests.unit.aggregates.gwt import History, accepted, rejected
from tests.unit.aggregates.review_support import (
    OBJ1,
    OBJ3,
    OPEN_CYCLE,
    REVIEW,
    assess,
    later,
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
