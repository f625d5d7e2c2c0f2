"""The Observation aggregate: a lesson observation or learning walk of one person.

Focus standards come from the closed Teachers' Standards list; a graded judgement is given
only when the trust's observation policy asks for one (and then from its grades). The
observed person sees the record and may respond once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from aggregates.base import Context, first_event, next_event, require, require_text
from aggregates.framework import ObservationPolicy
from aggregates.objective import Objective
from aggregates.review import Review
from events.base import DomainEvent
from events.observation import ObservationCommented, ObservationKind, ObservationRecorded
from events.standards import not_teachers_standards

MAX_FOCUS = 8


@dataclass(frozen=True, slots=True)
class ObservationNotes:
    kind: ObservationKind
    held_on: date
    context: str
    focus_standards: tuple[str, ...]
    strengths: str
    areas_to_develop: str
    grade: str | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    id: UUID
    version: int
    trust_id: UUID
    school_id: UUID
    review_id: UUID
    observed_id: UUID
    observer_id: UUID
    commented: bool = False


def record_observation(
    observation_id: UUID,
    *,
    review: Review,
    school_id: UUID,
    observer_id: UUID,
    notes: ObservationNotes,
    objectives: tuple[Objective, ...],
    policy: ObservationPolicy,
    ctx: Context,
) -> list[DomainEvent]:
    require(
        observer_id != review.appraisee_id,
        "observer-differs",
        "a person does not observe their own lesson",
    )
    require(notes.held_on <= ctx.now.date(), "observation-not-future", "it has not happened yet")
    require_text(notes.context, "context", rule="observation-context-required")
    require(
        1 <= len(notes.focus_standards) <= MAX_FOCUS,
        "observation-focus",
        f"an observation focuses on from 1 to {MAX_FOCUS} of the Teachers' Standards",
    )
    unknown = not_teachers_standards(list(notes.focus_standards))
    require(
        not unknown,
        "observation-standards-known",
        f"not on the Teachers' Standards list: {', '.join(unknown)}",
    )
    require_text(notes.strengths, "strengths", rule="observation-strengths-required")
    require_text(notes.areas_to_develop, "areas to develop", rule="observation-areas-required")
    if policy.graded:
        require(
            notes.grade in policy.grades,
            "observation-grade-in-policy",
            f"the trust's policy grades observations as one of: {', '.join(policy.grades)}",
        )
    else:
        require(
            notes.grade is None,
            "observation-ungraded",
            "the trust's policy does not grade observations",
        )
    for o in objectives:
        require(
            o.appraisee_id == review.appraisee_id,
            "observation-objective-of-observed",
            "an observation links only to the observed person's own objectives",
        )
    return [
        first_event(
            ObservationRecorded,
            observation_id,
            ctx,
            trust_id=review.trust_id,
            school_id=school_id,
            cycle_id=review.cycle_id,
            review_id=review.id,
            observed_id=review.appraisee_id,
            observer_id=observer_id,
            kind=notes.kind,
            held_on=notes.held_on,
            context=notes.context.strip(),
            focus_standards=tuple(dict.fromkeys(notes.focus_standards)),
            strengths=notes.strengths.strip(),
            areas_to_develop=notes.areas_to_develop.strip(),
            grade=notes.grade,
            objective_ids=tuple(dict.fromkeys(o.id for o in objectives)),
        )
    ]


def comment_on_observation(
    observation: Observation, *, comment: str, ctx: Context
) -> list[DomainEvent]:
    require(
        not observation.commented, "observation-comment-once", "the response is already recorded"
    )
    require_text(comment, "comment", rule="observation-comment-required")
    return [next_event(ObservationCommented, observation, ctx, comment=comment.strip())]


def evolve(state: Observation | None, event: DomainEvent) -> Observation:
    if isinstance(event, ObservationRecorded):
        return Observation(
            id=event.originator_id,
            version=event.originator_version,
            trust_id=event.trust_id,
            school_id=event.school_id,
            review_id=event.review_id,
            observed_id=event.observed_id,
            observer_id=event.observer_id,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before ObservationRecorded")
    s = replace(state, version=event.originator_version)
    match event:
        case ObservationCommented():
            return replace(s, commented=True)
    return s
