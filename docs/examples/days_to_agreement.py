"""Days from a cycle's opening until all of a school's objectives were agreed.

    appraisals replay run docs/examples/days_to_agreement.py:DaysToAgreement \
        --out days_to_agreement.csv

An objective is agreed when both the appraisee and the appraiser have agreed it; a revision
clears the agreement (it must be agreed again), a withdrawn objective no longer counts. Each
objective belongs to the school its appraisee was at when it was drafted. A school whose
objectives are not all agreed has no "days until all agreed" (yet), and shows how many wait.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from replay.custom import AnalystEvent, AnalystProjection, on


@dataclass
class Objective:
    cycle_id: str
    school_id: str
    agreed_by: set[str] = field(default_factory=set)
    agreed_at: datetime | None = None
    withdrawn: bool = False


class DaysToAgreement(AnalystProjection):
    """Per cycle and school: objectives, agreed, median days to agreement, and days from the
    cycle's opening until the last of them was agreed."""

    columns = (
        "cycle",
        "school",
        "opened",
        "objectives",
        "agreed",
        "waiting",
        "median_days_to_agreement",
        "days_until_all_agreed",
    )

    def __init__(self) -> None:
        super().__init__()
        self.cycles: dict[str, str] = {}
        self.opened: dict[str, datetime] = {}
        self.schools: dict[str, str] = {}
        self.moves: dict[str, list[tuple[str, str]]] = {}
        self.review_school: dict[str, str] = {}
        self.objectives: dict[str, Objective] = {}

    @on("CycleScheduled")
    def cycle(self, e: AnalystEvent) -> None:
        self.cycles[e.aggregate_id] = e["name"]

    @on("CycleOpened")
    def open(self, e: AnalystEvent) -> None:
        self.opened.setdefault(e.aggregate_id, e.timestamp)

    @on("SchoolAdded")
    def school(self, e: AnalystEvent) -> None:
        self.schools[e["school_id"]] = e["name"]

    @on("SchoolRenamed")
    def renamed(self, e: AnalystEvent) -> None:
        self.schools[e["school_id"]] = e["new_name"]

    @on("AssignedToSchool")
    def assigned(self, e: AnalystEvent) -> None:
        moves = self.moves.setdefault(e.aggregate_id, [])
        moves.append((e["effective_date"], e["school_id"]))
        moves.sort()

    @on("ReviewStarted")
    def started(self, e: AnalystEvent) -> None:
        self.review_school[e.aggregate_id] = e["school_id"]

    @on("ObjectiveDrafted")
    def drafted(self, e: AnalystEvent) -> None:
        school = self.review_school.get(e["review_id"])
        if school is None:
            return
        for effective, school_id in self.moves.get(e["appraisee_id"], []):
            if effective > e.day.isoformat():
                break
            school = school_id
        self.objectives[e.aggregate_id] = Objective(e["cycle_id"], school)

    @on("ObjectiveAgreed")
    def agreed(self, e: AnalystEvent) -> None:
        o = self.objectives.get(e.aggregate_id)
        if o is None:
            return
        o.agreed_by.add(e["by"])
        if len(o.agreed_by) == 2 and o.agreed_at is None:
            o.agreed_at = e.timestamp

    @on("ObjectiveRevised")
    def revised(self, e: AnalystEvent) -> None:
        o = self.objectives.get(e.aggregate_id)
        if o is not None:
            o.agreed_by.clear()
            o.agreed_at = None

    @on("ObjectiveWithdrawn", "ObjectiveReinstated")
    def withdrawn(self, e: AnalystEvent) -> None:
        o = self.objectives.get(e.aggregate_id)
        if o is not None:
            o.withdrawn = e.type == "ObjectiveWithdrawn"

    def finish(self) -> None:
        groups: dict[tuple[str, str], list[Objective]] = {}
        for o in self.objectives.values():
            if not o.withdrawn:
                groups.setdefault((o.cycle_id, o.school_id), []).append(o)
        for (cycle_id, school_id), objectives in sorted(
            groups.items(),
            key=lambda item: (self.cycles.get(item[0][0], ""), self.schools.get(item[0][1], "")),
        ):
            opened = self.opened.get(cycle_id)
            agreed = [o.agreed_at for o in objectives if o.agreed_at is not None]
            days = [(at - opened).days for at in agreed] if opened else []
            everyone = len(agreed) == len(objectives) and opened is not None
            self.emit(
                cycle=self.cycles.get(cycle_id, cycle_id),
                school=self.schools.get(school_id, school_id),
                opened=opened.date() if opened else None,
                objectives=len(objectives),
                agreed=len(agreed),
                waiting=len(objectives) - len(agreed),
                median_days_to_agreement=median(days) if days else None,
                days_until_all_agreed=max(days) if everyone and days else None,
            )
