"""A trust's framework: templates, versioned rating scales, the observation policy."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from aggregates import framework
from aggregates.base import Context
from aggregates.framework import DEFAULT_SCALE, framework_id_for
from events.base import DomainEvent
from events.framework import (
    ObjectiveTemplatePublished,
    ObjectiveTemplateRetired,
    ObservationPolicySet,
    RatingScalePublished,
    ScaleLevel,
)
from events.values import ObjectiveOutcome, OverallJudgement
from tests.unit.aggregates.gwt import Decision, History, accepted, fold, rejected

TRUST = UUID("44000000-0000-4000-8000-000000000001")
FW = framework_id_for(TRUST)
TEMPLATE = UUID("44000000-0000-4000-8000-0000000000a1")
FIVE = (
    ScaleLevel(key="exceeded", label="Exceeded", counts_as="met"),
    ScaleLevel(key="achieved", label="Achieved", counts_as="met"),
    ScaleLevel(key="mostly", label="Mostly achieved", counts_as="partially_met"),
    ScaleLevel(key="some", label="Some progress", counts_as="partially_met"),
    ScaleLevel(key="not_yet", label="Not yet", counts_as="not_met"),
)
OVERALL = (
    ScaleLevel(key="strong", label="Strong", counts_as="exceeds"),
    ScaleLevel(key="secure", label="Secure", counts_as="meets"),
    ScaleLevel(key="support", label="Needs support", counts_as="does_not_meet"),
)


def publish(ctx: Context, levels: tuple[ScaleLevel, ...] = FIVE, name: str = "Five-point"):  # type: ignore[no-untyped-def]
    return lambda fw: framework.publish_scale(
        fw, trust_id=TRUST, name=name, objective_levels=levels, overall_levels=OVERALL, ctx=ctx
    )


@pytest.fixture
def with_scale(history: History) -> list[DomainEvent]:
    return [
        history(
            RatingScalePublished,
            FW,
            trust_id=TRUST,
            scale_version=1,
            name="Five-point",
            objective_levels=FIVE,
            overall_levels=OVERALL,
        )
    ]


def test_scales_are_published_as_new_versions(
    ctx: Context, history: History, with_scale: list[DomainEvent]
) -> None:
    state = accepted(
        framework.evolve,
        given=with_scale,
        when=publish(ctx, FIVE[1:], "Four-point"),
        then=[
            history.next(
                RatingScalePublished,
                FW,
                trust_id=TRUST,
                scale_version=2,
                name="Four-point",
                objective_levels=FIVE[1:],
                overall_levels=OVERALL,
            )
        ],
    )
    assert state.scale(1) is not None and state.scale(2) is not None
    assert state.scale(0) is DEFAULT_SCALE and state.scale(3) is None


@pytest.mark.parametrize(
    ("levels", "rule"),
    [
        (FIVE[:1], "scale-levels"),
        ((FIVE[0], FIVE[0]), "scale-keys-unique"),
        ((FIVE[0], ScaleLevel(key="x", label=" ", counts_as="met")), "scale-level-named"),
        ((FIVE[0], ScaleLevel(key="x", label="X", counts_as="brilliant")), "scale-counts-as"),
    ],
)
def test_a_scale_maps_every_level_to_a_fixed_outcome(
    ctx: Context, levels: tuple[ScaleLevel, ...], rule: str
) -> None:
    rejected(framework.evolve, given=[], when=publish(ctx, levels), rule=rule)


def test_a_scale_is_named(ctx: Context) -> None:
    rejected(framework.evolve, given=[], when=publish(ctx, name=""), rule="scale-name-required")


def test_an_assessment_records_the_level_of_the_scale_in_force(
    with_scale: list[DomainEvent],
) -> None:
    fw = fold(framework.evolve, with_scale)
    assert fw is not None
    scale = fw.scale(1)
    assert scale is not None
    assert framework.objective_outcome(scale, None, "mostly") == (
        ObjectiveOutcome.PARTIALLY_MET,
        "mostly",
    )
    assert framework.overall_judgement(scale, None, "secure") == (OverallJudgement.MEETS, "secure")
    for call, rule in (
        (
            lambda: framework.objective_outcome(scale, ObjectiveOutcome.MET, None),
            "scale-level-required",
        ),
        (lambda: framework.objective_outcome(scale, None, "superb"), "scale-level-known"),
        (
            lambda: framework.objective_outcome(scale, ObjectiveOutcome.NOT_MET, "achieved"),
            "scale-level-matches-outcome",
        ),
        (lambda: framework.overall_judgement(scale, None, "superb"), "scale-level-known"),
        (
            lambda: framework.overall_judgement(scale, OverallJudgement.EXCEEDS, None),
            "scale-level-required",
        ),
        (
            lambda: framework.overall_judgement(scale, OverallJudgement.MEETS, "strong"),
            "scale-level-matches-outcome",
        ),
    ):
        rejected(framework.evolve, given=[], when=lambda _, call=call: call(), rule=rule)  # type: ignore[misc]
    assert framework.objective_outcome(DEFAULT_SCALE, ObjectiveOutcome.MET, None) == (
        ObjectiveOutcome.MET,
        None,
    )


def template(ctx: Context, **change: object) -> Decision:
    fields: dict[str, Any] = {
        "trust_id": TRUST,
        "template_id": TEMPLATE,
        "title": "Reading for pleasure",
        "description": "",
        "success_criteria": ("Library visits doubled",),
        "standards": ("TS4b",),
        **change,
    }
    return lambda fw: framework.publish_template(fw, ctx=ctx, **fields)


def test_templates_are_published_with_criteria_on_the_standards_list(
    ctx: Context, history: History
) -> None:
    accepted(
        framework.evolve,
        given=[],
        when=template(ctx),
        then=[
            history.next(
                ObjectiveTemplatePublished,
                FW,
                trust_id=TRUST,
                template_id=TEMPLATE,
                title="Reading for pleasure",
                description="",
                success_criteria=("Library visits doubled",),
                standards=("TS4b",),
            )
        ],
    )
    rejected(
        framework.evolve, given=[], when=template(ctx, title=""), rule="template-title-required"
    )
    rejected(
        framework.evolve,
        given=[],
        when=template(ctx, success_criteria=()),
        rule="template-success-criteria",
    )
    rejected(
        framework.evolve, given=[], when=template(ctx, standards=("TS12",)), rule="standards-known"
    )


def test_a_template_is_published_once_and_retired_with_a_reason(
    ctx: Context, history: History
) -> None:
    given = [
        history(
            ObjectiveTemplatePublished,
            FW,
            trust_id=TRUST,
            template_id=TEMPLATE,
            title="T",
            description="",
            success_criteria=("c",),
        )
    ]
    rejected(framework.evolve, given=given, when=template(ctx), rule="template-new")

    def retire(reason: str) -> Decision:
        return lambda fw: framework.retire_template(
            fw, template_id=TEMPLATE, reason=reason, ctx=ctx
        )

    rejected(framework.evolve, given=given, when=retire(""), rule="template-retire-reason-required")
    rejected(framework.evolve, given=[], when=retire("old"), rule="template-published")
    state = accepted(
        framework.evolve,
        given=given,
        when=retire("Superseded"),
        then=[
            history.next(
                ObjectiveTemplateRetired,
                FW,
                trust_id=TRUST,
                template_id=TEMPLATE,
                reason="Superseded",
            )
        ],
    )
    assert state.templates[TEMPLATE].retired


def test_the_observation_policy_is_versioned_and_grades_only_when_graded(
    ctx: Context, history: History
) -> None:
    def setting(graded: bool, grades: Any, reason: str = "Trust board decision") -> Decision:
        return lambda fw: framework.set_observation_policy(
            fw, trust_id=TRUST, graded=graded, grades=grades, reason=reason, ctx=ctx
        )

    rejected(framework.evolve, given=[], when=setting(True, ("Only",)), rule="observation-grades")
    rejected(framework.evolve, given=[], when=setting(False, ("A", "B")), rule="observation-grades")
    rejected(
        framework.evolve,
        given=[],
        when=setting(False, (), ""),
        rule="observation-policy-reason-required",
    )
    state = accepted(
        framework.evolve,
        given=[],
        when=setting(True, ("Effective", "Developing")),
        then=[
            history.next(
                ObservationPolicySet,
                FW,
                trust_id=TRUST,
                policy_version=1,
                graded=True,
                grades=("Effective", "Developing"),
                reason="Trust board decision",
            )
        ],
    )
    assert state.observation_policy.graded
