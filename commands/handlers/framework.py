"""Handlers for a trust's development framework: templates, rating scales, observation policy."""

from __future__ import annotations

from uuid import UUID

from aggregates import framework
from aggregates.errors import NotFound
from commands import development_messages as d
from commands.handling import FRAMEWORK, TRUST, Handling, Outcome
from commands.messages import Command
from commands.policy import Scope
from events.framework import ScaleLevel


def _framework(cmd: Command, trust_id: UUID, h: Handling) -> framework.Framework | None:
    t = h.load(TRUST, trust_id)
    h.authorise(cmd, Scope(trust_id=t.id))
    try:
        return h.target(FRAMEWORK, framework.framework_id_for(t.id))
    except NotFound:
        return None


def publish_template(cmd: d.PublishObjectiveTemplate, h: Handling) -> Outcome:
    fw = _framework(cmd, cmd.trust_id, h)
    template_id = cmd.template_id or h.new_id()
    events = framework.publish_template(
        fw,
        trust_id=cmd.trust_id,
        template_id=template_id,
        title=cmd.title,
        description=cmd.description,
        success_criteria=tuple(cmd.success_criteria),
        standards=tuple(cmd.standards),
        ctx=h.ctx,
    )
    return Outcome(events[0].originator_id, events, template_id)


def retire_template(cmd: d.RetireObjectiveTemplate, h: Handling) -> Outcome:
    fw = _framework(cmd, cmd.trust_id, h)
    events = framework.retire_template(
        fw, template_id=cmd.template_id, reason=cmd.reason, ctx=h.ctx
    )
    return Outcome(events[0].originator_id, events)


def publish_scale(cmd: d.PublishRatingScale, h: Handling) -> Outcome:
    fw = _framework(cmd, cmd.trust_id, h)

    def levels(given: list[d.ScaleLevelIn]) -> tuple[ScaleLevel, ...]:
        return tuple(ScaleLevel(key=lv.key, label=lv.label, counts_as=lv.counts_as) for lv in given)

    events = framework.publish_scale(
        fw,
        trust_id=cmd.trust_id,
        name=cmd.name,
        objective_levels=levels(cmd.objective_levels),
        overall_levels=levels(cmd.overall_levels),
        ctx=h.ctx,
    )
    return Outcome(events[0].originator_id, events)


def set_observation_policy(cmd: d.SetObservationPolicy, h: Handling) -> Outcome:
    fw = _framework(cmd, cmd.trust_id, h)
    events = framework.set_observation_policy(
        fw,
        trust_id=cmd.trust_id,
        graded=cmd.graded,
        grades=tuple(cmd.grades),
        reason=cmd.reason,
        ctx=h.ctx,
    )
    return Outcome(events[0].originator_id, events)
