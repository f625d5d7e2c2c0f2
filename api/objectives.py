"""Objectives: drafted, revised, agreed, progressed, assessed, withdrawn, carried forward."""

from __future__ import annotations

from fastapi import APIRouter

from api.commanding import CommandRoute, add_routes
from commands import messages as m

router = APIRouter(prefix="/v1/objectives", tags=["objectives"])

ROUTES = [
    CommandRoute(
        "",
        m.DraftObjective,
        "Draft an objective on a review (appraisee or appraiser)",
        {
            "review_id": "8f7e6d5c-4b3a-4928-9716-05f4e3d2c1b0",
            "title": "Raise attainment in Year 4 reading",
            "description": "Targeted guided reading for the lowest 20%",
            "success_criteria": ["85% at the expected standard", "Reading age gap halved"],
            "priority_id": None,
            "standards": ["TS2", "TS5"],
            "due_date": "2027-07-09",
        },
        created=True,
    ),
    CommandRoute(
        "/{objective_id}/revisions",
        m.ReviseObjective,
        "Revise an objective (a reason is needed once agreed; clears agreement)",
        {
            "success_criteria": ["80% at the expected standard"],
            "reason": "Cohort changed after two in-year admissions",
        },
    ),
    CommandRoute(
        "/{objective_id}/agreement", m.AgreeObjective, "Agree (as appraisee or appraiser)", {}
    ),
    CommandRoute(
        "/{objective_id}/setting-without-agreement",
        m.SetObjectiveWithoutAgreement,
        "Set an objective that could not be agreed (appraiser)",
        {"reason": "Two planning meetings did not reach agreement"},
    ),
    CommandRoute(
        "/{objective_id}/disagreement",
        m.RecordDisagreement,
        "Record written disagreement (appraisee)",
        {"statement": "The target does not reflect the class's starting points."},
    ),
    CommandRoute(
        "/{objective_id}/progress",
        m.RecordProgress,
        "Record progress",
        {"percent": 40, "note": "Autumn data on track", "evidence": ["Autumn reading tests"]},
    ),
    CommandRoute(
        "/{objective_id}/assessment",
        m.AssessObjective,
        "Assess an objective (appraiser)",
        {"outcome": "met", "comment": "87% at the expected standard"},
    ),
    CommandRoute(
        "/{objective_id}/withdrawal",
        m.WithdrawObjective,
        "Withdraw an objective (appraiser)",
        {"reason": "Role changed at Easter"},
    ),
    CommandRoute(
        "/{objective_id}/reinstatement",
        m.ReinstateObjective,
        "Reinstate a withdrawn objective after the review is reopened (appraiser)",
        {"reason": "Withdrawn in error"},
    ),
    CommandRoute(
        "/{objective_id}/carry-forward",
        m.CarryForwardObjective,
        "Carry an unmet objective into the next cycle's review (appraiser)",
        {"to_review_id": "2b1a0f9e-8d7c-4b6a-9584-736251403f2e", "due_date": "2027-07-09"},
    ),
]
add_routes(router, ROUTES)
