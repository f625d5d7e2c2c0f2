"""The appraisal-policy rules of issue 11: each accepted and each refused.

Standards from a closed list (and the trust's support-staff frameworks), meetings in their
windows (or outside with a reason, or refused by policy), no assessment without an objective in
force, no sign-off while an appeal is pending.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from uuid import UUID

import pytest

from aggregates import objective, review
from aggregates.base import Context
from aggregates.objective import ObjectiveContent
from events.base import DomainEvent
from events.review import AppealLodged, MeetingRecorded, ReportIssued, SignedOff
from events.values import MeetingKind, MeetingWindowPolicy, OverallJudgement, Signatory
from tests.unit.aggregates.gwt import History, accepted, fold, on, rejected
from tests.unit.aggregates.review_support import OPEN_CYCLE, REVIEW

OBJ = UUID("00000000-0000-4000-8000-0000000000b1")
CONTENT = ObjectiveContent(
    title="Raise reading",
    description="",
    success_criteria=("85% at standard",),
    priority_id=None,
    standards=("TS2",),
    due_date=date(2026, 7, 10),
)
SUPPORT_CYCLE = replace(
    OPEN_CYCLE, policy=OPEN_CYCLE.policy.model_copy(update={"support_frameworks": ("TA1",)})
)
STRICT_CYCLE = replace(
    OPEN_CYCLE,
    policy=OPEN_CYCLE.policy.model_copy(
        update={"meetings_outside_window": MeetingWindowPolicy.REFUSE}
    ),
)


# Standards -----------------------------------------------------------------------------------


@pytest.mark.parametrize("codes", [("TS1",), ("TS3d", "TS8e"), ("PT2",), ("HS10",), ()])
def test_an_objective_cites_teachers_or_headteachers_standards(
    ctx: Context, started: list[DomainEvent], codes: tuple[str, ...]
) -> None:
    r = fold(review.evolve, started)
    assert r is not None
    content = replace(CONTENT, standards=codes)
    events = objective.draft_objective(OBJ, r, OPEN_CYCLE, content, ctx)
    assert events[0].standards == codes  # type: ignore[attr-defined]


@pytest.mark.parametrize("code", ["ZZ99", "TS9", "TS1d", "ts1", "HS11", "TA1"])
def test_a_standard_outside_the_closed_list_is_refused_naming_the_code(
    ctx: Context, started: list[DomainEvent], code: str
) -> None:
    r = fold(review.evolve, started)
    assert r is not None
    content = replace(CONTENT, standards=("TS2", code))
    with pytest.raises(Exception) as caught:
        objective.draft_objective(OBJ, r, OPEN_CYCLE, content, ctx)
    assert getattr(caught.value, "rule", None) == "standard-known"
    assert code in str(caught.value)


def test_the_trusts_support_staff_frameworks_may_be_cited(
    ctx: Context, started: list[DomainEvent]
) -> None:
    r = fold(review.evolve, started)
    assert r is not None
    content = replace(CONTENT, standards=("TA1",))
    assert objective.draft_objective(OBJ, r, SUPPORT_CYCLE, content, ctx)


def test_revising_to_an_unknown_standard_is_refused(
    ctx: Context, started: list[DomainEvent]
) -> None:
    r = fold(review.evolve, started)
    assert r is not None
    drafted = objective.draft_objective(OBJ, r, OPEN_CYCLE, CONTENT, ctx)
    rejected(
        objective.evolve,
        given=drafted,
        when=lambda o: objective.revise_objective(
            o, OPEN_CYCLE, {"standards": ("ZZ99",)}, "typo", False, ctx
        ),
        rule="standard-known",
    )


# Meeting windows -----------------------------------------------------------------------------


def test_a_meeting_in_its_window_needs_no_reason(
    ctx: Context, history: History, started: list[DomainEvent]
) -> None:
    accepted(
        review.evolve,
        given=started,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.PLANNING, date(2025, 9, 20), "n", on(ctx, date(2025, 9, 20))
        ),
        then=[
            history.next(
                MeetingRecorded,
                REVIEW,
                ctx=on(ctx, date(2025, 9, 20)),
                kind=MeetingKind.PLANNING,
                held_on=date(2025, 9, 20),
                notes="n",
            )
        ],
    )


def test_a_mid_year_meeting_outside_its_window_needs_a_reason(
    ctx: Context, planned: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=planned,
        when=lambda r: review.record_meeting(
            r, OPEN_CYCLE, MeetingKind.MID_YEAR, date(2026, 4, 20), "n", on(ctx, date(2026, 5, 1))
        ),
        rule="meeting-window-reason",
    )


def test_a_meeting_outside_its_window_is_recorded_with_its_reason(
    ctx: Context, planned: list[DomainEvent]
) -> None:
    events = review.record_meeting(
        _review(planned),
        OPEN_CYCLE,
        MeetingKind.MID_YEAR,
        date(2026, 4, 20),
        "n",
        on(ctx, date(2026, 5, 1)),
        outside_window_reason=" appraisee on sick leave in March ",
    )
    assert events[0].outside_window_reason == "appraisee on sick leave in March"  # type: ignore[attr-defined]


def test_a_meeting_outside_its_window_is_refused_when_the_policy_says_so(
    ctx: Context, planned: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=planned,
        when=lambda r: review.record_meeting(
            r,
            STRICT_CYCLE,
            MeetingKind.MID_YEAR,
            date(2026, 4, 20),
            "n",
            on(ctx, date(2026, 5, 1)),
            outside_window_reason="late",
        ),
        rule="meeting-in-window",
    )


# Assessment against agreed objectives --------------------------------------------------------


def test_a_review_without_an_objective_in_force_is_not_assessed(
    ctx: Context, year_ended: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=year_ended,
        when=lambda r: review.write_assessment(
            r,
            OPEN_CYCLE,
            OverallJudgement.MEETS,
            "summary",
            (),
            (),
            "",
            on(ctx, date(2026, 7, 10)),
            objectives_in_force=0,
        ),
        rule="objectives-agreed",
    )


def test_a_review_with_an_objective_in_force_is_assessed(
    ctx: Context, year_ended: list[DomainEvent]
) -> None:
    events = review.write_assessment(
        _review(year_ended),
        OPEN_CYCLE,
        OverallJudgement.MEETS,
        "summary",
        (),
        (),
        "",
        on(ctx, date(2026, 7, 10)),
        objectives_in_force=1,
    )
    assert len(events) == 1


# Sign-off and appeals ------------------------------------------------------------------------


def test_a_report_is_not_signed_while_an_appeal_against_it_is_pending(
    ctx: Context,
    history: History,
    assessed: list[DomainEvent],
) -> None:
    given = [
        *assessed,
        history(ReportIssued, REVIEW, issued_on=date(2026, 7, 5)),
        history(SignedOff, REVIEW, by=Signatory.APPRAISER),
        history(AppealLodged, REVIEW, grounds="missed evidence"),
    ]
    rejected(
        review.evolve,
        given=given,
        when=lambda r: review.sign_off(
            r, OPEN_CYCLE, Signatory.APPRAISEE, on(ctx, date(2026, 7, 8))
        ),
        rule="no-open-appeal",
    )


def _review(events: list[DomainEvent]) -> review.Review:
    r = fold(review.evolve, events)
    assert r is not None
    return r
