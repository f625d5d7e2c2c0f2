"""framework_view: a trust's objective templates and rating scales, and each cycle's outcomes
reported by the scale that was in force for that cycle, school by school."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from events import cycle as cy
from events import framework as fw
from events import objective as ob
from events import review as rv
from events.base import DomainEvent
from events.framework import DEFAULT_OBJECTIVE_LEVELS, DEFAULT_OVERALL_LEVELS
from events.values import CyclePolicy
from projections.engine.common import as_model, select, when
from projections.engine.core import Event, Handler, Handlers, Projection, id_text
from projections.engine.db import Column, Database, Table
from projections.engine.workset import Batch
from projections.names import name_handlers, names_of, names_table

TEMPLATES = Table(
    "framework_templates",
    (
        Column("template_id", "id", False),
        Column("trust_id", "id", False),
        Column("title", "text", False),
        Column("description", "text", False),
        Column("success_criteria", "json", False),
        Column("standards", "json", False),
        Column("published_at", "ts", False),
        Column("retired", "bool", False),
        Column("retire_reason", "text"),
    ),
    key=("template_id",),
    indexes=(("trust_id",),),
)
SCALES = Table(
    "framework_scales",
    (
        Column("scale_key", "text", False),  # trust id : version
        Column("trust_id", "id", False),
        Column("version", "int", False),
        Column("name", "text", False),
        Column("objective_levels", "json", False),
        Column("overall_levels", "json", False),
        Column("published_at", "ts", False),
    ),
    key=("scale_key",),
    indexes=(("trust_id",),),
)
CYCLES = Table(
    "framework_cycles",
    (
        Column("cycle_id", "id", False),
        Column("trust_id", "id", False),
        Column("scale_version", "int", False),
    ),
    key=("cycle_id",),
)
REVIEWS = Table(
    "framework_reviews",
    (
        Column("review_id", "id", False),
        Column("trust_id", "id", False),
        Column("cycle_id", "id", False),
        Column("school_id", "id", False),
        Column("overall", "text"),
        Column("overall_level", "text"),
    ),
    key=("review_id",),
    indexes=(("trust_id", "cycle_id"),),
)
ASSESSED = Table(
    "framework_objectives",
    (
        Column("objective_id", "id", False),
        Column("review_id", "id", False),
        Column("cycle_id", "id", False),
        Column("outcome", "text"),
        Column("level", "text"),
        Column("withdrawn", "bool", False),
    ),
    key=("objective_id",),
    indexes=(("cycle_id",),),
)
NAMES = names_table("framework")


class FrameworkView(Projection):
    name = "framework_view"
    # 2: cycles' names are kept (a scheduled cycle's name handler was shadowed by its scale's).
    schema_version = 2
    tables = (TEMPLATES, SCALES, CYCLES, REVIEWS, ASSESSED, NAMES)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        names = dict(name_handlers(NAMES))
        # A scheduled cycle gives both its name and its scale version: one handler for both.
        cycle_name = names.pop(cy.CycleScheduled)

        def scheduled(b: Batch, e: Event[cy.CycleScheduled]) -> None:
            cycle_name(b, e)
            self._cycle(b, e, e.event.trust_id, e.event.policy)

        return (
            Handlers(names)
            .on(fw.ObjectiveTemplatePublished, self._template)
            .on(fw.ObjectiveTemplateRetired, self._retired)
            .on(fw.RatingScalePublished, self._scale)
            .on(cy.CycleScheduled, scheduled)
            .on(cy.PolicyChanged, lambda b, e: self._cycle(b, e, None, e.event.new_policy))
            .on(rv.ReviewStarted, self._review)
            .on(rv.AssessmentWritten, self._assessment)
            .on(ob.ObjectiveDrafted, self._drafted)
            .on(ob.ObjectiveAssessed, self._assessed)
            .on(ob.ObjectiveWithdrawn, lambda b, e: self._objective(b, e, withdrawn=True))
            .on(
                ob.ObjectiveReinstated,
                lambda b, e: self._objective(b, e, withdrawn=False, outcome=None, level=None),
            )
        )

    def _template(self, b: Batch, e: Event[fw.ObjectiveTemplatePublished]) -> None:
        d = e.event
        b.rows(TEMPLATES).put(
            {
                "template_id": id_text(d.template_id),
                "trust_id": id_text(d.trust_id),
                "title": d.title,
                "description": d.description,
                "success_criteria": list(d.success_criteria),
                "standards": list(d.standards),
                "published_at": when(e),
                "retired": False,
                "retire_reason": None,
            }
        )

    def _retired(self, b: Batch, e: Event[fw.ObjectiveTemplateRetired]) -> None:
        rows = b.rows(TEMPLATES)
        row = rows.get(id_text(e.event.template_id))
        if row is not None:
            rows.put({**row, "retired": True, "retire_reason": e.event.reason})

    def _scale(self, b: Batch, e: Event[fw.RatingScalePublished]) -> None:
        d = e.event
        trust_id = id_text(d.trust_id)
        b.rows(SCALES).put(
            {
                "scale_key": f"{trust_id}:{d.scale_version}",
                "trust_id": trust_id,
                "version": d.scale_version,
                "name": d.name,
                "objective_levels": [lv.model_dump() for lv in d.objective_levels],
                "overall_levels": [lv.model_dump() for lv in d.overall_levels],
                "published_at": when(e),
            }
        )

    def _cycle(self, b: Batch, e: Event, trust: UUID | None, policy: CyclePolicy) -> None:
        rows = b.rows(CYCLES)
        trust_id = id_text(trust) if trust else (rows.get(e.originator_id) or {}).get("trust_id")
        if trust_id is None:
            return
        rows.put(
            {
                "cycle_id": e.originator_id,
                "trust_id": trust_id,
                "scale_version": policy.rating_scale_version,
            }
        )

    def _review(self, b: Batch, e: Event[rv.ReviewStarted]) -> None:
        d = e.event
        b.rows(REVIEWS).put(
            {
                "review_id": e.originator_id,
                "trust_id": id_text(d.trust_id),
                "cycle_id": id_text(d.cycle_id),
                "school_id": id_text(d.school_id),
                "overall": None,
                "overall_level": None,
            }
        )

    def _assessment(self, b: Batch, e: Event[rv.AssessmentWritten]) -> None:
        rows = b.rows(REVIEWS)
        row = rows.get(e.originator_id)
        if row is not None:
            d = e.event
            rows.put({**row, "overall": d.overall.value, "overall_level": d.overall_level})

    def _drafted(self, b: Batch, e: Event[ob.ObjectiveDrafted]) -> None:
        d = e.event
        b.rows(ASSESSED).put(
            {
                "objective_id": e.originator_id,
                "review_id": id_text(d.review_id),
                "cycle_id": id_text(d.cycle_id),
                "outcome": None,
                "level": None,
                "withdrawn": False,
            }
        )

    def _assessed(self, b: Batch, e: Event[ob.ObjectiveAssessed]) -> None:
        self._objective(b, e, outcome=e.event.outcome.value, level=e.event.level)

    def _objective(self, b: Batch, e: Event, **fields: Any) -> None:
        rows = b.rows(ASSESSED)
        row = rows.get(e.originator_id)
        if row is not None:
            rows.put({**row, **fields})


# ------------------------------------------------------------------------------ queries


@dataclass(frozen=True, slots=True)
class TemplateView:
    template_id: UUID
    trust_id: UUID
    title: str
    description: str
    success_criteria: list[str]
    standards: list[str]
    published_at: datetime
    retired: bool
    retire_reason: str | None


def templates(db: Database, trust_id: UUID, *, include_retired: bool = False) -> list[TemplateView]:
    where = "trust_id = ?" + ("" if include_retired else " AND retired = ?")
    params: list[Any] = [("id", trust_id)]
    if not include_retired:
        params.append(("bool", False))
    return as_model(TemplateView, select(db, TEMPLATES, where, params, "ORDER BY title"))


@dataclass(frozen=True, slots=True)
class Level:
    key: str
    label: str
    counts_as: str


@dataclass(frozen=True, slots=True)
class Scale:
    version: int
    name: str
    objective_levels: list[Level]
    overall_levels: list[Level]


BUILT_IN = Scale(
    0,
    "Built-in",
    [Level(lv.key, lv.label, lv.counts_as) for lv in DEFAULT_OBJECTIVE_LEVELS],
    [Level(lv.key, lv.label, lv.counts_as) for lv in DEFAULT_OVERALL_LEVELS],
)


def scales(db: Database, trust_id: UUID) -> list[Scale]:
    rows = select(db, SCALES, "trust_id = ?", [("id", trust_id)], "ORDER BY version")
    return [BUILT_IN, *(_scale(r) for r in rows)]


def _scale(row: dict[str, Any]) -> Scale:
    return Scale(
        row["version"],
        row["name"],
        [Level(**lv) for lv in row["objective_levels"]],
        [Level(**lv) for lv in row["overall_levels"]],
    )


@dataclass(frozen=True, slots=True)
class LevelCount:
    key: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class SchoolOutcomes:
    school_id: UUID | None
    school: str
    objectives: list[LevelCount]
    overall: list[LevelCount]


@dataclass(frozen=True, slots=True)
class CycleOutcomes:
    cycle_id: UUID
    cycle: str
    scale: Scale
    schools: list[SchoolOutcomes]
    trust: SchoolOutcomes


def cycle_outcomes(
    db: Database, trust_id: UUID, cycle_id: UUID, school_ids: set[UUID] | None = None
) -> CycleOutcomes:
    """Objective outcomes and overall judgements of a cycle, counted by the levels of the scale
    in force for that cycle (an assessment made without a level counts at the level whose
    fixed outcome it recorded)."""
    cyc = select(db, CYCLES, "cycle_id = ?", [("id", cycle_id)])
    version = cyc[0]["scale_version"] if cyc else 0
    scale = BUILT_IN
    if version:
        found = select(db, SCALES, "scale_key = ?", [("text", f"{trust_id}:{version}")])
        scale = _scale(found[0]) if found else BUILT_IN
    reviews = select(
        db, REVIEWS, "trust_id = ? AND cycle_id = ?", [("id", trust_id), ("id", cycle_id)]
    )
    if school_ids is not None:
        reviews = [r for r in reviews if r["school_id"] in school_ids]
    school_of = {r["review_id"]: r["school_id"] for r in reviews}
    objectives = [
        o
        for o in select(db, ASSESSED, "cycle_id = ?", [("id", cycle_id)])
        if o["review_id"] in school_of and o["outcome"] and not o["withdrawn"]
    ]

    def level_of(level: str | None, fixed: str, levels: list[Level]) -> str:
        if level and any(lv.key == level for lv in levels):
            return level
        # Before the scale was adopted: the first level that counts as the recorded outcome.
        return next((lv.key for lv in levels if lv.counts_as == fixed), fixed)

    def counts(
        obj: list[dict[str, Any]], revs: list[dict[str, Any]], school: UUID | None, name: str
    ) -> SchoolOutcomes:
        oc = Counter(level_of(o["level"], o["outcome"], scale.objective_levels) for o in obj)
        rc = Counter(
            level_of(r["overall_level"], r["overall"], scale.overall_levels)
            for r in revs
            if r["overall"]
        )
        return SchoolOutcomes(
            school,
            name,
            [LevelCount(lv.key, lv.label, oc[lv.key]) for lv in scale.objective_levels],
            [LevelCount(lv.key, lv.label, rc[lv.key]) for lv in scale.overall_levels],
        )

    schools = sorted(set(school_of.values()), key=str)
    names = names_of(db, NAMES, [*schools, cycle_id])
    per_school = sorted(
        (
            counts(
                [o for o in objectives if school_of[o["review_id"]] == s],
                [r for r in reviews if r["school_id"] == s],
                s,
                names.get(s, "Unnamed school"),
            )
            for s in schools
        ),
        key=lambda so: so.school,
    )
    return CycleOutcomes(
        cycle_id,
        names.get(cycle_id, ""),
        scale,
        per_school,
        counts(objectives, reviews, None, "Trust total"),
    )
