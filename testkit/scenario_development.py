"""Steps of the work around an appraisal, through the command layer (unit and API tests)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from commands import development_messages as d
from commands import messages as m
from commands.service import CommandService
from events.values import MeetingKind, ObjectiveOutcome, OverallJudgement
from testkit.scenario import Org


def agreed_objective(svc: CommandService, org: Org, title: str = "Improve reading") -> UUID:
    objective_id = svc.execute(
        m.DraftObjective(
            review_id=org.review_id,
            title=title,
            success_criteria=["80% at the expected standard"],
            standards=["TS2"],
            due_date=date(2026, 7, 1),
        ),
        org.appraiser,
    ).aggregate_id
    svc.execute(m.AgreeObjective(objective_id=objective_id), org.appraisee)
    svc.execute(m.AgreeObjective(objective_id=objective_id), org.appraiser)
    return objective_id


def issue_report(svc: CommandService, org: Org, objective_id: UUID | None = None) -> None:
    """Meetings, the assessment and the report for Ann's review (clock on or after 15 Sept):
    an early end-of-year review, with its reason (Ann leaves at half term)."""
    if objective_id is None:
        objective_id = agreed_objective(svc, org, "Lead the reading club")
    for kind, day in ((MeetingKind.PLANNING, 2), (MeetingKind.END_YEAR, 10)):
        svc.execute(
            m.RecordMeeting(
                review_id=org.review_id,
                kind=kind,
                held_on=date(2025, 9, day),
                notes="Held",
                outside_window_reason=(
                    "Leaving at half term" if kind is MeetingKind.END_YEAR else None
                ),
            ),
            org.appraiser,
        )
    if objective_id is not None:
        svc.execute(
            m.AssessObjective(
                objective_id=objective_id, outcome=ObjectiveOutcome.MET, comment="Achieved"
            ),
            org.appraiser,
        )
    svc.execute(
        m.WriteAssessment(
            review_id=org.review_id, overall=OverallJudgement.MEETS, summary="A strong year"
        ),
        org.appraiser,
    )
    svc.execute(m.IssueReport(review_id=org.review_id), org.appraiser)


def plan_cpd(svc: CommandService, org: Org, objective_ids: list[UUID], **fields: object) -> UUID:
    values: dict[str, object] = {
        "title": "Guided reading masterclass",
        "provider": "English Hub",
        "kind": "course",
        "starts_on": date(2025, 9, 5),
        "ends_on": date(2025, 9, 6),
        "hours": 6,
        "cost_pence": 15_000,
        "objective_ids": objective_ids,
        **fields,
    }
    return svc.execute(d.PlanCpd(review_id=org.review_id, **values), org.appraisee).aggregate_id
