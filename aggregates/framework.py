"""A trust's development framework: objective templates its leaders publish, the rating
scales its cycles report by, and whether its observations are graded.

One framework per trust (its id follows from the trust's). Scales and the observation policy
are published as numbered versions and never changed in place: a cycle names the scale
version it uses, so its reports read by the scale that was in force.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from aggregates.base import Context, first_event, next_event, require, require_text
from events.base import DomainEvent
from events.framework import (
    DEFAULT_OBJECTIVE_LEVELS,
    DEFAULT_OVERALL_LEVELS,
    ObjectiveTemplatePublished,
    ObjectiveTemplateRetired,
    ObservationPolicySet,
    RatingScalePublished,
    ScaleLevel,
)
from events.standards import unknown_standards
from events.values import ObjectiveOutcome, OverallJudgement

MAX_LEVELS = 7


@dataclass(frozen=True, slots=True)
class RatingScale:
    version: int
    name: str
    objective_levels: tuple[ScaleLevel, ...]
    overall_levels: tuple[ScaleLevel, ...]

    def objective_level(self, key: str) -> ScaleLevel | None:
        return next((lv for lv in self.objective_levels if lv.key == key), None)

    def overall_level(self, key: str) -> ScaleLevel | None:
        return next((lv for lv in self.overall_levels if lv.key == key), None)


DEFAULT_SCALE = RatingScale(0, "Built-in", DEFAULT_OBJECTIVE_LEVELS, DEFAULT_OVERALL_LEVELS)


@dataclass(frozen=True, slots=True)
class Template:
    id: UUID
    title: str
    retired: bool = False


@dataclass(frozen=True, slots=True)
class ObservationPolicy:
    version: int = 0
    graded: bool = False
    grades: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Framework:
    id: UUID
    version: int
    trust_id: UUID
    templates: dict[UUID, Template] = field(default_factory=dict)
    scales: dict[int, RatingScale] = field(default_factory=dict)
    observation_policy: ObservationPolicy = ObservationPolicy()

    def scale(self, version: int) -> RatingScale | None:
        return DEFAULT_SCALE if version == 0 else self.scales.get(version)


def framework_id_for(trust_id: UUID) -> UUID:
    return uuid5(trust_id, "development-framework")


def _emit(
    framework: Framework | None,
    trust_id: UUID,
    cls: type[DomainEvent],
    ctx: Context,
    **fields: Any,
) -> list[DomainEvent]:
    if framework is None:
        return [first_event(cls, framework_id_for(trust_id), ctx, trust_id=trust_id, **fields)]
    return [next_event(cls, framework, ctx, trust_id=trust_id, **fields)]


def publish_template(
    framework: Framework | None,
    *,
    trust_id: UUID,
    template_id: UUID,
    title: str,
    description: str,
    success_criteria: tuple[str, ...],
    standards: tuple[str, ...],
    ctx: Context,
) -> list[DomainEvent]:
    require_text(title, "title", rule="template-title-required")
    require(
        bool(success_criteria) and all(c.strip() for c in success_criteria),
        "template-success-criteria",
        "a template needs at least one success criterion, none blank",
    )
    unknown = unknown_standards(tuple(standards), ())
    require(not unknown, "standards-known", f"not Teachers' Standards: {', '.join(unknown)}")
    require(
        framework is None or template_id not in framework.templates,
        "template-new",
        "a template with this id is already published",
    )
    return _emit(
        framework,
        trust_id,
        ObjectiveTemplatePublished,
        ctx,
        template_id=template_id,
        title=title.strip(),
        description=description.strip(),
        success_criteria=tuple(c.strip() for c in success_criteria),
        standards=tuple(standards),
    )


def retire_template(
    framework: Framework | None, *, template_id: UUID, reason: str, ctx: Context
) -> list[DomainEvent]:
    template = None if framework is None else framework.templates.get(template_id)
    require(
        template is not None and not template.retired,
        "template-published",
        "there is no published template with this id",
    )
    require_text(reason, "reason", rule="template-retire-reason-required")
    assert framework is not None
    return _emit(
        framework,
        framework.trust_id,
        ObjectiveTemplateRetired,
        ctx,
        template_id=template_id,
        reason=reason.strip(),
    )


def publish_scale(
    framework: Framework | None,
    *,
    trust_id: UUID,
    name: str,
    objective_levels: tuple[ScaleLevel, ...],
    overall_levels: tuple[ScaleLevel, ...],
    ctx: Context,
) -> list[DomainEvent]:
    require_text(name, "name", rule="scale-name-required")
    for levels, fixed in (
        (objective_levels, {o.value for o in ObjectiveOutcome}),
        (overall_levels, {j.value for j in OverallJudgement}),
    ):
        keys = [lv.key for lv in levels]
        require(
            2 <= len(levels) <= MAX_LEVELS,
            "scale-levels",
            f"a scale has from 2 to {MAX_LEVELS} levels",
        )
        require(len(set(keys)) == len(keys), "scale-keys-unique", "each level needs its own key")
        require(
            all(lv.key.strip() and lv.label.strip() for lv in levels),
            "scale-level-named",
            "every level needs a key and a label",
        )
        require(
            all(lv.counts_as in fixed for lv in levels),
            "scale-counts-as",
            f"each level counts as one of {', '.join(sorted(fixed))}",
        )
    version = 1 + max(framework.scales, default=0) if framework is not None else 1
    return _emit(
        framework,
        trust_id,
        RatingScalePublished,
        ctx,
        scale_version=version,
        name=name.strip(),
        objective_levels=objective_levels,
        overall_levels=overall_levels,
    )


def set_observation_policy(
    framework: Framework | None,
    *,
    trust_id: UUID,
    graded: bool,
    grades: tuple[str, ...],
    reason: str,
    ctx: Context,
) -> list[DomainEvent]:
    cleaned = tuple(g.strip() for g in grades)
    if graded:
        require(
            2 <= len(cleaned) <= MAX_LEVELS and all(cleaned) and len(set(cleaned)) == len(cleaned),
            "observation-grades",
            f"a graded policy names from 2 to {MAX_LEVELS} distinct grades",
        )
    else:
        require(not cleaned, "observation-grades", "an ungraded policy names no grades")
    require_text(reason, "reason", rule="observation-policy-reason-required")
    current = ObservationPolicy() if framework is None else framework.observation_policy
    return _emit(
        framework,
        trust_id,
        ObservationPolicySet,
        ctx,
        policy_version=current.version + 1,
        graded=graded,
        grades=cleaned,
        reason=reason.strip(),
    )


def evolve(state: Framework | None, event: DomainEvent) -> Framework:
    trust_id: UUID = getattr(event, "trust_id")  # noqa: B009 - every framework event has one
    s = (
        Framework(id=event.originator_id, version=event.originator_version, trust_id=trust_id)
        if state is None
        else replace(state, version=event.originator_version)
    )
    match event:
        case ObjectiveTemplatePublished():
            t = Template(event.template_id, event.title)
            return replace(s, templates={**s.templates, t.id: t})
        case ObjectiveTemplateRetired():
            old = s.templates[event.template_id]
            return replace(s, templates={**s.templates, old.id: replace(old, retired=True)})
        case RatingScalePublished():
            scale = RatingScale(
                event.scale_version,
                event.name,
                tuple(event.objective_levels),
                tuple(event.overall_levels),
            )
            return replace(s, scales={**s.scales, event.scale_version: scale})
        case ObservationPolicySet():
            policy = ObservationPolicy(event.policy_version, event.graded, tuple(event.grades))
            return replace(s, observation_policy=policy)
    if state is None:
        raise ValueError(f"{type(event).__name__} does not start a framework")
    return s


def objective_outcome(
    scale: RatingScale, outcome: ObjectiveOutcome | None, level: str | None
) -> tuple[ObjectiveOutcome, str | None]:
    """The fixed outcome and the scale level an objective assessment records."""
    fixed, key = _resolve(scale, scale.objective_levels, outcome, level, "outcome")
    return ObjectiveOutcome(fixed), key


def overall_judgement(
    scale: RatingScale, overall: OverallJudgement | None, level: str | None
) -> tuple[OverallJudgement, str | None]:
    """The fixed overall judgement and the scale level an assessment records."""
    fixed, key = _resolve(scale, scale.overall_levels, overall, level, "overall judgement")
    return OverallJudgement(fixed), key


def _resolve(
    scale: RatingScale,
    levels: tuple[ScaleLevel, ...],
    given: StrEnum | None,
    level: str | None,
    what: str,
) -> tuple[str, str | None]:
    keys = ", ".join(lv.key for lv in levels)
    if level is None:
        require(
            scale.version == 0,
            "scale-level-required",
            f"this cycle reports by the {scale.name} scale: give one of its levels ({keys})",
        )
        require(given is not None, "scale-level-required", f"give the {what}")
        assert given is not None
        return given.value, None
    found = next((lv for lv in levels if lv.key == level), None)
    require(
        found is not None,
        "scale-level-known",
        f"{level!r} is not a level of the {scale.name} scale ({keys})",
    )
    assert found is not None
    require(
        given is None or given.value == found.counts_as,
        "scale-level-matches-outcome",
        f"the level {level!r} counts as {found.counts_as}, not {given}",
    )
    return found.counts_as, level
