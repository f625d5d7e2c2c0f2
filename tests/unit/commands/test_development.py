"""CPD, evidence, observations, pay and the trust framework through the command service."""

from __future__ import annotations

from datetime import date

import pytest

from aggregates.errors import NotFound, RuleBroken
from aggregates.pay import pay_recommendation_id_for
from commands import development_messages as d
from commands import messages as m
from commands.handling import CPD, OBJECTIVE, load
from commands.principal import Principal
from commands.service import CommandService
from commands.store import EventStoreApp
from events.base import Role
from events.pay import PayOutcome
from testkit.scenario import Org
from testkit.scenario_development import agreed_objective, issue_report, plan_cpd
from tests.unit.commands.test_service import rejected_and_nothing_recorded

FIVE_POINT = {
    "name": "Five-point",
    "objective_levels": [
        {"key": "exceeded", "label": "Exceeded", "counts_as": "met"},
        {"key": "achieved", "label": "Achieved", "counts_as": "met"},
        {"key": "partly", "label": "Partly achieved", "counts_as": "partially_met"},
        {"key": "not_yet", "label": "Not yet", "counts_as": "not_met"},
    ],
    "overall_levels": [
        {"key": "strong", "label": "Strong", "counts_as": "exceeds"},
        {"key": "secure", "label": "Secure", "counts_as": "meets"},
        {"key": "support", "label": "Needs support", "counts_as": "does_not_meet"},
    ],
}


def pay_committee(org: Org) -> Principal:
    return Principal(org.admin.id, Role.PAY_COMMITTEE, trust_id=org.trust_id)


def test_cpd_linked_to_an_objective_of_someone_else_is_refused_and_records_nothing(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    own = agreed_objective(service, org)
    activity = plan_cpd(service, org, [own])
    assert load(event_store, CPD, activity).objective_ids == (own,)
    # Bob's own review in the same cycle, with his own objective.
    bobs_review = service.execute(
        m.StartReview(
            cycle_id=org.cycle_id, appraisee_id=org.appraiser_id, appraiser_id=org.appraisee_id
        ),
        org.school_leader,
    ).aggregate_id
    bobs = service.execute(
        m.DraftObjective(
            review_id=bobs_review,
            title="Lead phonics",
            success_criteria=["c"],
            due_date=date(2026, 7, 1),
        ),
        org.appraiser,
    ).aggregate_id
    assert load(event_store, OBJECTIVE, bobs).appraisee_id == org.appraiser_id
    broken = rejected_and_nothing_recorded(
        event_store, RuleBroken, lambda: plan_cpd(service, org, [own, bobs])
    )
    assert broken.rule == "cpd-objective-of-appraisee"


def test_a_pay_recommendation_is_made_once_after_the_report_and_decided_by_the_committee(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    recommend = d.RecommendPay(
        review_id=org.review_id, recommendation=PayOutcome.PROGRESS, reasons="Objectives met"
    )
    decide = d.RecordPayDecision(
        review_id=org.review_id,
        decision=PayOutcome.PROGRESS,
        decided_on=date(2025, 9, 15),
        rationale="As recommended",
    )
    broken = rejected_and_nothing_recorded(
        event_store, RuleBroken, lambda: service.execute(decide, pay_committee(org))
    )
    assert broken.rule == "pay-recommended-first"
    broken = rejected_and_nothing_recorded(
        event_store, RuleBroken, lambda: service.execute(recommend, org.appraiser)
    )
    assert broken.rule == "pay-after-report"
    issue_report(service, org)
    result = service.execute(recommend, org.appraiser)
    assert result.aggregate_id == pay_recommendation_id_for(org.review_id)
    broken = rejected_and_nothing_recorded(
        event_store, RuleBroken, lambda: service.execute(recommend, org.school_leader)
    )
    assert broken.rule == "pay-recommend-once"
    assert service.execute(decide, pay_committee(org)).version == 2


def test_a_cycle_reports_by_a_published_scale_and_assessments_use_its_levels(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    change = m.ChangeCyclePolicy(
        cycle_id=org.cycle_id,
        max_objectives=3,
        appeal_window_days=10,
        rating_scale_version=1,
        reason="Adopt the trust's scale",
    )
    broken = rejected_and_nothing_recorded(
        event_store, RuleBroken, lambda: service.execute(change, org.admin)
    )
    assert broken.rule == "scale-version-published"
    service.execute(d.PublishRatingScale(trust_id=org.trust_id, **FIVE_POINT), org.trust_leader)
    service.execute(change, org.admin)
    objective_id = agreed_objective(service, org)
    with pytest.raises(RuleBroken) as caught:
        service.execute(
            m.AssessObjective(objective_id=objective_id, outcome="met", comment="Done"),
            org.appraiser,
        )
    assert caught.value.rule == "scale-level-required"
    service.execute(
        m.AssessObjective(objective_id=objective_id, level="partly", comment="Nearly"),
        org.appraiser,
    )
    assert load(event_store, OBJECTIVE, objective_id).outcome == "partially_met"


def test_a_cpd_plan_for_a_review_of_another_trust_reads_as_missing(
    service: CommandService, org: Org
) -> None:
    stranger = Principal(org.appraisee_id, Role.STAFF, trust_id=org.other_school_id)  # not a trust
    with pytest.raises(NotFound):
        service.execute(
            d.PlanCpd(
                review_id=org.review_id,
                title="Phonics refresher",
                kind="course",
                starts_on=date(2025, 9, 1),
                ends_on=date(2025, 9, 1),
                hours=1,
                development_needs=["Phonics"],
            ),
            stranger,
        )
