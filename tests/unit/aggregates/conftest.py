"""Histories of one review (Ann appraised by Bob), each a step further through the year:
the fixtures the review's tests start from (``test_review_*.py``, ``test_policy_rules.py``)."""

from __future__ import annotations

import pytest

from events.base import DomainEvent
from events.review import (
    AppealLodged,
    AssessmentWritten,
    MeetingRecorded,
    ReportIssued,
    ReviewReopened,
    ReviewStarted,
    SignedOff,
)
from events.values import (
    MeetingKind,
    OverallJudgement,
    Signatory,
)
from tests.unit.aggregates.gwt import History
from tests.unit.aggregates.review_support import (
    ANN,
    BOB,
    CYCLE,
    END_YEAR_DAY,
    ISSUED_DAY,
    MID_YEAR_DAY,
    PLANNING_DAY,
    REVIEW,
    SCHOOL,
    TRUST,
)


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
