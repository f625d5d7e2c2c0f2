"""Reviews: one person's appraisal in a cycle, from planning to appeal."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.commanding import run_command
from api.deps import AppContainer, CurrentPrincipal
from api.naming import NAMES_DESCRIPTION, names_for
from api.reading import MinPosition, ReadDb, fresh, hidden
from api.requesting import Accepted, CommandCall
from api.schemas import PROBLEM_RESPONSES
from commands import messages as m
from commands.messages import LongText, Name, ObjectiveNoteIn, Phrase, Reason, Reference, Text
from commands.read_policy import ReadScope, may_read_record
from events.values import AppealOutcome, MeetingKind, ModerationOutcome, OverallJudgement
from projections import objective_current, review_status
from projections.objective_current import ObjectiveView
from projections.review_status import ReviewView

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])

OBJECTIVE = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"


class StartReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cycle_id: UUID
    appraisee_id: UUID
    appraiser_id: UUID


@router.post(
    "",
    summary="Start a review for a member of staff in a cycle",
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="StartReview",
)
def start_review(
    body: Annotated[
        StartReviewBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "cycle_id": "1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d",
                        "appraisee_id": "6c5b4a39-2817-4f6e-9d5c-4b3a29180f7e",
                        "appraiser_id": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.StartReview, body, status_code=201)


class StartHeadteacherReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cycle_id: UUID
    appraisee_id: UUID = Field(description="the headteacher")
    panel: list[UUID] = Field(
        min_length=1, max_length=10, description="the governors on the panel; the first chairs it"
    )
    adviser_name: Name
    adviser_organisation: Name


@router.post(
    "/headteacher",
    summary="Start a headteacher's review, run by a governors' panel advised by an "
    "external adviser",
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="StartHeadteacherReview",
)
def start_headteacher_review(
    body: Annotated[
        StartHeadteacherReviewBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "cycle_id": "1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d",
                        "appraisee_id": "6c5b4a39-2817-4f6e-9d5c-4b3a29180f7e",
                        "panel": [
                            "7b6a5948-3726-4150-9f8e-7d6c5b4a3928",
                            "8c7b6a59-4837-4261-a09f-8e7d6c5b4a39",
                        ],
                        "adviser_name": "Dr Morag Finch",
                        "adviser_organisation": "Northern School Improvement Partners",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.StartHeadteacherReview, body, status_code=201)


class RecordAdviserConsultationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held_on: date
    summary: Text


@router.post(
    "/{review_id}/adviser-consultations",
    summary="Record the panel's consultation of the external adviser (before setting objectives)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RecordAdviserConsultation",
)
def record_adviser_consultation(
    review_id: UUID,
    body: Annotated[
        RecordAdviserConsultationBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "held_on": "2026-09-20",
                        "summary": "Adviser reviewed the school's data with the panel",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.RecordAdviserConsultation, body, review_id=review_id)


class ChangeAppraiserBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    appraiser_id: UUID
    reason: Reason


@router.post(
    "/{review_id}/appraiser",
    summary="Change the appraiser",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="ChangeAppraiser",
)
def change_appraiser(
    review_id: UUID,
    body: Annotated[
        ChangeAppraiserBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "appraiser_id": "4d3c2b1a-0f9e-4d8c-b7a6-958473625140",
                        "reason": "Appraiser on long-term leave",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.ChangeAppraiser, body, review_id=review_id)


class RecordMeetingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: MeetingKind
    held_on: date
    notes: Text
    outside_window_reason: Reason | None = Field(
        default=None, description="needed when the meeting falls outside its window"
    )


@router.post(
    "/{review_id}/meetings",
    summary="Record a planning, mid-year or end-of-year meeting (appraiser)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="RecordMeeting",
)
def record_meeting(
    review_id: UUID,
    body: Annotated[
        RecordMeetingBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "kind": "planning",
                        "held_on": "2026-09-24",
                        "notes": "Agreed focus on reading",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.RecordMeeting, body, review_id=review_id)


class SubmitSelfAssessmentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text


@router.post(
    "/{review_id}/self-assessment",
    summary="Submit the appraisee's self-assessment",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="SubmitSelfAssessment",
)
def submit_self_assessment(
    review_id: UUID,
    body: Annotated[
        SubmitSelfAssessmentBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "text": "Reading ages rose across the class; phonics catch-up worked well."
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.SubmitSelfAssessment, body, review_id=review_id)


class WriteAssessmentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overall: OverallJudgement | None = None
    overall_level: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    summary: Text
    objective_notes: list[ObjectiveNoteIn] = Field(default_factory=list, max_length=10)
    development_needs: list[Reference] = Field(default_factory=list, max_length=20)
    support: Phrase = ""


@router.post(
    "/{review_id}/assessment",
    summary="Write the end-of-year assessment (appraiser)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="WriteAssessment",
)
def write_assessment(
    review_id: UUID,
    body: Annotated[
        WriteAssessmentBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "overall": "meets",
                        "summary": "A strong year; reading outcomes well above target.",
                        "objective_notes": [{"objective_id": OBJECTIVE, "note": "Met in full"}],
                        "development_needs": ["Middle leadership programme"],
                        "support": "Release time for the NPQML",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.WriteAssessment, body, review_id=review_id)


class IssueReportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


@router.post(
    "/{review_id}/report",
    summary="Issue the written report",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="IssueReport",
)
def issue_report(
    review_id: UUID,
    call: CommandCall,
    body: Annotated[
        IssueReportBody | None, Body(openapi_examples={"example": {"value": {}}})
    ] = None,
) -> Response:
    return run_command(call, m.IssueReport, body, review_id=review_id)


class CommentOnReportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: Text


@router.post(
    "/{review_id}/comments",
    summary="Add the appraisee's comment to the report",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="CommentOnReport",
)
def comment_on_report(
    review_id: UUID,
    body: Annotated[
        CommentOnReportBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {"comment": "I agree with the report and welcome the support offered."}
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.CommentOnReport, body, review_id=review_id)


class SignOffReviewBody(BaseModel):
    """Signed by the appraisee or the appraiser: which one follows from who signs."""

    model_config = ConfigDict(extra="forbid")


@router.post(
    "/{review_id}/sign-off",
    summary="Sign the report (appraisee or appraiser)",
    description=m.SignOffReview.__doc__,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="SignOffReview",
)
def sign_off_review(
    review_id: UUID,
    call: CommandCall,
    body: Annotated[
        SignOffReviewBody | None, Body(openapi_examples={"example": {"value": {}}})
    ] = None,
) -> Response:
    return run_command(call, m.SignOffReview, body, review_id=review_id)


class ModerateReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: ModerationOutcome
    note: LongText = ""


@router.post(
    "/{review_id}/moderation",
    summary="Moderate a signed report (school or trust leader outside the review)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="ModerateReview",
)
def moderate_review(
    review_id: UUID,
    body: Annotated[
        ModerateReviewBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {"outcome": "confirmed", "note": "Consistent with the evidence"}
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.ModerateReview, body, review_id=review_id)


class LodgeAppealBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grounds: Text


@router.post(
    "/{review_id}/appeals",
    summary="Lodge an appeal within the policy's window (appraisee)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="LodgeAppeal",
)
def lodge_appeal(
    review_id: UUID,
    body: Annotated[
        LodgeAppealBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "grounds": "Mid-year evidence of progress was not taken into account."
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.LodgeAppeal, body, review_id=review_id)


class DecideAppealBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: AppealOutcome
    note: Text


@router.post(
    "/{review_id}/appeals/decision",
    summary="Decide an appeal (leader outside the review)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="DecideAppeal",
)
def decide_appeal(
    review_id: UUID,
    body: Annotated[
        DecideAppealBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {"outcome": "upheld", "note": "Evidence supports a reassessment."}
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.DecideAppeal, body, review_id=review_id)


class ReopenReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


@router.post(
    "/{review_id}/reopening",
    summary="Reopen a review after its report was issued",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="ReopenReview",
)
def reopen_review(
    review_id: UUID,
    body: Annotated[
        ReopenReviewBody,
        Body(
            openapi_examples={
                "example": {"value": {"reason": "Assessment recorded against the wrong objective"}}
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.ReopenReview, body, review_id=review_id)


class ReviewDetail(BaseModel):
    """A review's stage, meetings, sign-offs and appeal, its overdue flags and objectives."""

    review: ReviewView
    overdue: dict[str, bool]
    objectives: list[ObjectiveView]
    names: dict[UUID, str] = Field(default_factory=dict, description=NAMES_DESCRIPTION)


def review_scope(view: ReviewView) -> ReadScope:
    return ReadScope(
        trust_id=view.trust_id,
        school_ids=frozenset({view.school_id, view.current_school_id}),
        people=frozenset({view.appraisee_id, view.appraiser_id, *view.panel_ids}),
    )


def review_detail(db: ReadDb, principal: CurrentPrincipal, view: ReviewView | None) -> ReviewDetail:
    if view is None:
        raise hidden("review")
    if not may_read_record(principal, review_scope(view)):
        raise hidden("review", denied=True)
    objectives = objective_current.objectives_for_review(db, view.review_id)
    return ReviewDetail(
        review=view,
        overdue=view.overdue(date.today()),
        objectives=objectives,
        names=names_for(db, view, objectives),
    )


@router.get("/{review_id}", summary="A review and its objectives", responses=PROBLEM_RESPONSES)
def get_review(
    review_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> ReviewDetail:
    fresh(container, min_position, "review_status", "objective_current")
    return review_detail(db, principal, review_status.get_review(db, review_id))
