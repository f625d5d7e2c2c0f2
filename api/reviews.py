"""Reviews: one person's appraisal in a cycle, from planning to appeal."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.commanding import CommandRoute, add_routes
from api.deps import AppContainer, CurrentPrincipal
from api.naming import NAMES_DESCRIPTION, names_for
from api.reading import MinPosition, ReadDb, fresh, hidden
from api.schemas import PROBLEM_RESPONSES
from commands import messages as m
from commands.read_policy import ReadScope, may_read_record
from projections import objective_current, review_status
from projections.objective_current import ObjectiveView
from projections.review_status import ReviewView

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])

OBJECTIVE = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"

ROUTES = [
    CommandRoute(
        "",
        m.StartReview,
        "Start a review for a member of staff in a cycle",
        {
            "cycle_id": "1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d",
            "appraisee_id": "6c5b4a39-2817-4f6e-9d5c-4b3a29180f7e",
            "appraiser_id": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
        },
        created=True,
    ),
    CommandRoute(
        "/headteacher",
        m.StartHeadteacherReview,
        "Start a headteacher's review, run by a governors' panel advised by an external adviser",
        {
            "cycle_id": "1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d",
            "appraisee_id": "6c5b4a39-2817-4f6e-9d5c-4b3a29180f7e",
            "panel": [
                "7b6a5948-3726-4150-9f8e-7d6c5b4a3928",
                "8c7b6a59-4837-4261-a09f-8e7d6c5b4a39",
            ],
            "adviser_name": "Dr Morag Finch",
            "adviser_organisation": "Northern School Improvement Partners",
        },
        created=True,
    ),
    CommandRoute(
        "/{review_id}/adviser-consultations",
        m.RecordAdviserConsultation,
        "Record the panel's consultation of the external adviser (before setting objectives)",
        {"held_on": "2026-09-20", "summary": "Adviser reviewed the school's data with the panel"},
    ),
    CommandRoute(
        "/{review_id}/appraiser",
        m.ChangeAppraiser,
        "Change the appraiser",
        {
            "appraiser_id": "4d3c2b1a-0f9e-4d8c-b7a6-958473625140",
            "reason": "Appraiser on long-term leave",
        },
    ),
    CommandRoute(
        "/{review_id}/meetings",
        m.RecordMeeting,
        "Record a planning, mid-year or end-of-year meeting (appraiser)",
        {"kind": "planning", "held_on": "2026-09-24", "notes": "Agreed focus on reading"},
    ),
    CommandRoute(
        "/{review_id}/self-assessment",
        m.SubmitSelfAssessment,
        "Submit the appraisee's self-assessment",
        {"text": "Reading ages rose across the class; phonics catch-up worked well."},
    ),
    CommandRoute(
        "/{review_id}/assessment",
        m.WriteAssessment,
        "Write the end-of-year assessment (appraiser)",
        {
            "overall": "meets",
            "summary": "A strong year; reading outcomes well above target.",
            "objective_notes": [{"objective_id": OBJECTIVE, "note": "Met in full"}],
            "development_needs": ["Middle leadership programme"],
            "support": "Release time for the NPQML",
        },
    ),
    CommandRoute("/{review_id}/report", m.IssueReport, "Issue the written report", {}),
    CommandRoute(
        "/{review_id}/comments",
        m.CommentOnReport,
        "Add the appraisee's comment to the report",
        {"comment": "I agree with the report and welcome the support offered."},
    ),
    CommandRoute(
        "/{review_id}/sign-off", m.SignOffReview, "Sign the report (appraisee or appraiser)", {}
    ),
    CommandRoute(
        "/{review_id}/moderation",
        m.ModerateReview,
        "Moderate a signed report (school or trust leader outside the review)",
        {"outcome": "confirmed", "note": "Consistent with the evidence"},
    ),
    CommandRoute(
        "/{review_id}/appeals",
        m.LodgeAppeal,
        "Lodge an appeal within the policy's window (appraisee)",
        {"grounds": "Mid-year evidence of progress was not taken into account."},
    ),
    CommandRoute(
        "/{review_id}/appeals/decision",
        m.DecideAppeal,
        "Decide an appeal (leader outside the review)",
        {"outcome": "upheld", "note": "Evidence supports a reassessment."},
    ),
    CommandRoute(
        "/{review_id}/reopening",
        m.ReopenReview,
        "Reopen a review after its report was issued",
        {"reason": "Assessment recorded against the wrong objective"},
    ),
]
add_routes(router, ROUTES)


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
