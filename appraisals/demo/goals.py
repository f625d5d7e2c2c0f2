"""Objectives as the story tracks them: what each person's objectives say, how they change.

A ``Goal`` mirrors one Objective aggregate closely enough to choose the next command (the
aggregate still checks every rule). Texts come from the banks in ``texts``.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, timedelta
from random import Random
from typing import Any
from uuid import UUID

from appraisals.demo import texts
from appraisals.demo.calendar import CycleCalendar
from appraisals.demo.plan import Kind, OrgPlan, Person
from commands import messages as m
from events.values import ObjectiveOutcome, OverallJudgement

OBJECTIVE_COUNT = {
    Kind.HEAD: 4,
    Kind.DEPUTY: 3,
    Kind.ASSISTANT: 3,
    Kind.MIDDLE: 3,
    Kind.SENCO: 3,
    Kind.BUSINESS: 3,
    Kind.TEACHER: 3,
    Kind.ECT: 3,
    Kind.SUPPORT: 2,
}
TEACHING_STANDARDS = tuple(f"TS{i}" for i in range(1, 9))


@dataclass(eq=False)
class Goal:
    id: UUID
    template: texts.Template
    title: str
    description: str
    criteria: tuple[str, ...]
    standards: tuple[str, ...]
    due: date
    priority: UUID | None
    status: str = "draft"  # draft, agreed, set, withdrawn, assessed
    agreed: set[str] = field(default_factory=set)  # "appraisee", "appraiser"
    progress: int = 0
    outcome: ObjectiveOutcome | None = None
    carried: bool = False

    @property
    def in_force(self) -> bool:
        return self.status in ("agreed", "set")

    def draft(self, review_id: UUID) -> m.DraftObjective:
        return m.DraftObjective(
            review_id=review_id,
            title=self.title,
            description=self.description,
            success_criteria=list(self.criteria),
            priority_id=self.priority,
            standards=list(self.standards),
            due_date=self.due,
        )


def templates_for(p: Person) -> tuple[list[texts.Template], list[texts.Template]]:
    """(objectives they must choose from first, the rest of their bank)."""
    match p.kind:
        case Kind.HEAD:
            return [], list(texts.HEAD_OBJECTIVES)
        case Kind.DEPUTY | Kind.ASSISTANT:
            return [], list(texts.SENIOR_LEADER_OBJECTIVES)
        case Kind.MIDDLE:
            return list(texts.MIDDLE_LEADER_OBJECTIVES), list(texts.TEACHER_OBJECTIVES)
        case Kind.SENCO:
            return list(texts.SENCO_OBJECTIVES), list(texts.TEACHER_OBJECTIVES)
        case Kind.BUSINESS:
            return [], list(texts.BUSINESS_MANAGER_OBJECTIVES)
        case Kind.ECT:
            return list(texts.ECT_OBJECTIVES), list(texts.TEACHER_OBJECTIVES)
        case Kind.SUPPORT:
            return [], list(texts.SUPPORT_OBJECTIVES[p.family])
        case _:
            return [], list(texts.TEACHER_OBJECTIVES)


def choose_templates(
    rng: Random, p: Person, count: int, avoid: AbstractSet[str] = frozenset()
) -> list[texts.Template]:
    """``count`` different templates for a person, preferring ones not used last year."""
    first, rest = templates_for(p)
    lead = 2 if p.kind in (Kind.MIDDLE, Kind.SENCO) else 1
    picked = rng.sample(first, min(lead, len(first), count)) if first else []
    fresh = [t for t in rest if t.title not in avoid and t not in picked]
    pool = fresh if len(fresh) >= count - len(picked) else [t for t in rest if t not in picked]
    picked += rng.sample(pool, min(count - len(picked), len(pool)))
    return picked


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def render(
    rng: Random,
    plan: OrgPlan,
    p: Person,
    t: texts.Template,
    cycle: str,
    calendar: CycleCalendar,
) -> Goal:
    s = p.school
    ctx: dict[str, Any] = {
        "subject": p.subject or "the curriculum",
        "cls": p.cls or "Year 7",
        "area": p.area or "the team",
        "ks": s.key_stage,
        "pupils": s.pupils,
        "pct": rng.choice((75, 80, 85, 90, 95)),
        "pct2": rng.randint(3, 12),
        "n": rng.randint(1, 2) if t in texts.ECT_OBJECTIVES else rng.randint(3, 8),
    }
    matching = [x for x in plan.priorities_for(cycle, s) if x.text.theme == t.theme]
    priority = rng.choice(matching).id if matching and rng.random() < 0.85 else None
    return Goal(
        id=UUID(int=0),  # set once drafted
        template=t,
        title=_cap(t.title.format_map(ctx)),
        description=t.description.format_map(ctx),
        criteria=tuple(_cap(c.format_map(ctx)) for c in t.criteria),
        standards=t.standards,
        due=due_date(rng, calendar),
        priority=priority,
    )


def due_date(rng: Random, calendar: CycleCalendar) -> date:
    r = rng.random()
    if r < 0.15:
        return calendar.mid_year_end
    return calendar.end_year_deadline - timedelta(days=rng.randint(0, 28))


def revision(
    rng: Random, goal: Goal, reasons: tuple[str, ...], calendar: CycleCalendar
) -> m.ReviseObjective:
    """A realistic change to one or two fields of an objective, with a reason."""
    changes: dict[str, Any] = {}
    kind = rng.choice(("criteria", "criteria", "due", "title", "standards"))
    if kind == "criteria" and len(goal.criteria) < 10:
        extra = [c for c in texts.CRITERION_EXTRAS if c not in goal.criteria]
        if extra:
            changes["success_criteria"] = [*goal.criteria, rng.choice(extra)]
    elif kind == "title":
        focus = rng.choice(texts.TITLE_FOCUSES)
        if focus not in goal.title and len(goal.title) + len(focus) < 190:
            changes["title"] = f"{goal.title} {focus}"
    elif kind == "standards" and goal.standards and goal.standards[0].startswith("TS"):
        missing = [s for s in TEACHING_STANDARDS if s not in goal.standards]
        if missing:
            changes["standards"] = [*goal.standards, rng.choice(missing)]
    if not changes:  # the due date can always move
        later = goal.due + timedelta(days=rng.randint(14, 42))
        changes["due_date"] = later if later <= calendar.end else goal.due - timedelta(days=14)
    return m.ReviseObjective(objective_id=goal.id, reason=rng.choice(reasons), **changes)


def apply_revision(goal: Goal, command: m.ReviseObjective) -> None:
    if command.title is not None:
        goal.title = command.title
    if command.success_criteria is not None:
        goal.criteria = tuple(command.success_criteria)
    if command.standards is not None:
        goal.standards = tuple(command.standards)
    if command.due_date is not None:
        goal.due = command.due_date
    goal.status = "draft"
    goal.agreed = set()


def outcome(rng: Random, goal: Goal) -> ObjectiveOutcome:
    r = rng.random()
    if goal.progress >= 80:
        return ObjectiveOutcome.MET if r < 0.8 else ObjectiveOutcome.PARTIALLY_MET
    if goal.progress >= 50:
        if r < 0.4:
            return ObjectiveOutcome.MET
        return ObjectiveOutcome.PARTIALLY_MET if r < 0.85 else ObjectiveOutcome.NOT_MET
    return ObjectiveOutcome.PARTIALLY_MET if r < 0.5 else ObjectiveOutcome.NOT_MET


def better(o: ObjectiveOutcome | None) -> ObjectiveOutcome:
    """The outcome one step up (after an upheld appeal)."""
    if o is ObjectiveOutcome.NOT_MET:
        return ObjectiveOutcome.PARTIALLY_MET
    return ObjectiveOutcome.MET


SCORE = {ObjectiveOutcome.MET: 2, ObjectiveOutcome.PARTIALLY_MET: 1, ObjectiveOutcome.NOT_MET: 0}


def overall(rng: Random, outcomes: list[ObjectiveOutcome]) -> OverallJudgement:
    if not outcomes:
        return OverallJudgement.MEETS
    mean = sum(SCORE[o] for o in outcomes) / len(outcomes)
    if mean >= 1.99 and rng.random() < 0.4:
        return OverallJudgement.EXCEEDS
    if mean >= 1.4:
        return OverallJudgement.MEETS
    if mean >= 0.7:
        return OverallJudgement.PARTIALLY_MEETS
    return OverallJudgement.DOES_NOT_MEET


@dataclass(eq=False)
class ReviewRun:
    """One person's review in the story: its cycle, id, appraiser and objectives."""

    cycle: str  # "a" (closed) or "b" (current)
    id: UUID
    appraiser: Person
    goals: list[Goal] = field(default_factory=list)
