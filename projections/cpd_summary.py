"""The school and trust CPD views: where CPD goes (priority, kind, hours, spend) and whether
it helped (were objectives linked to CPD that was done met more often?), schools side by side.

Computed from ``cpd_log``'s tables for one trust and cycle (indexed on both).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from events.cpd import IMPACT_SCORE, ImpactRating
from projections import cpd_log
from projections.cpd_log import CpdActivityView, LinkedObjective
from projections.engine.db import Database
from projections.names import names_of


@dataclass
class Effort:
    """Activities and their hours and spend: planned (not cancelled) and done."""

    planned: int = 0
    done: int = 0
    planned_hours: float = 0.0
    done_hours: float = 0.0
    planned_spend_pence: int = 0
    done_spend_pence: int = 0

    def add(self, a: CpdActivityView, share: float = 1.0) -> None:
        if a.status == "cancelled":
            return
        self.planned += 1
        self.planned_hours += a.planned_minutes / 60 * share
        self.planned_spend_pence += round(a.planned_cost_pence * share)
        if a.status == "done":
            self.done += 1
            self.done_hours += (a.minutes or 0) / 60 * share
            self.done_spend_pence += round((a.cost_pence or 0) * share)

    def rounded(self) -> Effort:
        return Effort(
            self.planned,
            self.done,
            round(self.planned_hours, 2),
            round(self.done_hours, 2),
            self.planned_spend_pence,
            self.done_spend_pence,
        )


@dataclass
class Impact:
    """Assessed objectives with and without CPD done for them, and how often each was met."""

    supported_assessed: int = 0
    supported_met: int = 0
    other_assessed: int = 0
    other_met: int = 0
    reflected: int = 0
    mean_impact: float | None = None

    @property
    def supported_met_rate(self) -> float | None:
        return _rate(self.supported_met, self.supported_assessed)

    @property
    def other_met_rate(self) -> float | None:
        return _rate(self.other_met, self.other_assessed)


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


@dataclass
class PriorityEffort:
    priority_id: UUID | None
    priority: str
    effort: Effort


@dataclass
class KindEffort:
    kind: str
    effort: Effort


@dataclass
class CpdSummary:
    """One school's CPD in a cycle, or the trust's total (``school_id`` None)."""

    school_id: UUID | None
    school: str
    effort: Effort = field(default_factory=Effort)
    by_priority: list[PriorityEffort] = field(default_factory=list)
    by_kind: list[KindEffort] = field(default_factory=list)
    impact: Impact = field(default_factory=Impact)


@dataclass
class TrustCpd:
    trust_id: UUID
    cycle_id: UUID
    cycle: str
    schools: list[CpdSummary]
    trust: CpdSummary


NO_PRIORITY = "Not linked to a priority"


def summarise(
    activities: Iterable[CpdActivityView],
    objectives: Iterable[LinkedObjective],
    *,
    school_id: UUID | None,
    school: str,
    priority_names: dict[UUID, str],
) -> CpdSummary:
    acts = list(activities)
    objs = {o.objective_id: o for o in objectives}
    summary = CpdSummary(school_id, school)
    by_priority: dict[UUID | None, Effort] = defaultdict(Effort)
    by_kind: dict[str, Effort] = defaultdict(Effort)
    supported: set[UUID] = set()
    scores: list[int] = []
    for a in acts:
        summary.effort.add(a)
        by_kind[a.kind].add(a)
        linked = [objs.get(UUID(i)) for i in a.objective_ids]
        priorities = sorted({o.priority_id for o in linked if o is not None}, key=str) or [None]
        share = 1 / len(priorities)
        for p in priorities:
            by_priority[p].add(a, share)
        if a.status == "done":
            supported.update(UUID(i) for i in a.objective_ids)
        if a.impact is not None:
            scores.append(IMPACT_SCORE[ImpactRating(a.impact)])
    impact = summary.impact
    for o in objs.values():
        if o.withdrawn or o.outcome is None:
            continue
        met = o.outcome == "met"
        if o.objective_id in supported:
            impact.supported_assessed += 1
            impact.supported_met += met
        else:
            impact.other_assessed += 1
            impact.other_met += met
    impact.reflected = len(scores)
    impact.mean_impact = round(sum(scores) / len(scores), 2) if scores else None
    summary.effort = summary.effort.rounded()
    summary.by_priority = sorted(
        (
            PriorityEffort(p, priority_names.get(p, NO_PRIORITY) if p else NO_PRIORITY, e.rounded())
            for p, e in by_priority.items()
        ),
        key=lambda pe: (pe.priority_id is None, pe.priority),
    )
    summary.by_kind = sorted(
        (KindEffort(k, e.rounded()) for k, e in by_kind.items()), key=lambda ke: ke.kind
    )
    return summary


def trust_cpd(
    db: Database, trust_id: UUID, cycle_id: UUID, school_ids: Iterable[UUID] | None = None
) -> TrustCpd:
    """Each school's CPD side by side and the trust's total (``school_ids`` limits the schools
    shown, for a school leader; the total is then theirs only)."""
    activities = cpd_log.activities_for(db, trust_id, cycle_id)
    objectives = cpd_log.objectives_for(db, trust_id, cycle_id)
    wanted = None if school_ids is None else set(school_ids)
    schools = sorted(
        {a.school_id for a in activities} | {o.school_id for o in objectives if o.school_id},
        key=str,
    )
    if wanted is not None:
        schools = [s for s in schools if s in wanted]
        activities = [a for a in activities if a.school_id in wanted]
        objectives = [o for o in objectives if o.school_id in wanted]
    priority_ids = {o.priority_id for o in objectives if o.priority_id}
    names = names_of(db, cpd_log.NAMES, [*schools, *priority_ids, cycle_id])
    per_school = [
        summarise(
            [a for a in activities if a.school_id == s],
            [o for o in objectives if o.school_id == s],
            school_id=s,
            school=names.get(s, "Unnamed school"),
            priority_names=names,
        )
        for s in schools
    ]
    total = summarise(
        activities, objectives, school_id=None, school="Trust total", priority_names=names
    )
    per_school.sort(key=lambda s: s.school)
    return TrustCpd(trust_id, cycle_id, names.get(cycle_id, ""), per_school, total)
