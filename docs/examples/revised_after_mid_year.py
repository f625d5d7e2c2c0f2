"""Objectives revised after the mid-year review, per school and cycle.

    appraisals replay run docs/examples/revised_after_mid_year.py:RevisedAfterMidYear \
        --out revised_after_mid_year.csv

A revision counts when it was recorded after the mid-year meeting of the objective's review
(at that meeting, or later in the year). It is attributed to the school the appraisee was at
on the day of the revision (staff who move mid-cycle count where they were), as the read
models do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from replay.custom import AnalystEvent, AnalystProjection, on


@dataclass
class Review:
    cycle_id: str
    appraisee: str
    school_id: str
    # Log position at which the mid-year meeting was recorded.
    mid_year: int | None = None


@dataclass
class Tally:
    objectives: set[str] = field(default_factory=set)
    revised: set[str] = field(default_factory=set)
    revisions: int = 0


class RevisedAfterMidYear(AnalystProjection):
    """Per cycle and school: objectives drafted, objectives revised after the mid-year
    review, and how many such revisions there were."""

    columns = (
        "cycle",
        "school",
        "objectives",
        "revised_after_mid_year",
        "share",
        "revisions_after_mid_year",
    )

    def __init__(self) -> None:
        super().__init__()
        self.cycles: dict[str, str] = {}
        self.schools: dict[str, str] = {}
        # Each person's schools from their effective dates (people are pseudonyms).
        self.moves: dict[str, list[tuple[str, str]]] = {}
        self.reviews: dict[str, Review] = {}
        self.review_of: dict[str, str] = {}
        self.tallies: dict[tuple[str, str], Tally] = {}

    # --------------------------------------------------------------- the organisation

    @on("CycleScheduled")
    def cycle(self, e: AnalystEvent) -> None:
        self.cycles[e.aggregate_id] = e["name"]

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

    def school_on(self, person: str, day: date, fallback: str) -> str:
        school = fallback
        for effective, school_id in self.moves.get(person, []):
            if effective > day.isoformat():
                break
            school = school_id
        return school

    # ------------------------------------------------------------ reviews, objectives

    @on("ReviewStarted")
    def started(self, e: AnalystEvent) -> None:
        self.reviews[e.aggregate_id] = Review(e["cycle_id"], e["appraisee_id"], e["school_id"])

    @on("MeetingRecorded")
    def meeting(self, e: AnalystEvent) -> None:
        review = self.reviews.get(e.aggregate_id)
        if review is not None and e["kind"] == "mid_year" and review.mid_year is None:
            review.mid_year = e.position

    @on("ObjectiveDrafted")
    def drafted(self, e: AnalystEvent) -> None:
        review = self.reviews.get(e["review_id"])
        if review is None:
            return
        self.review_of[e.aggregate_id] = e["review_id"]
        school = self.school_on(review.appraisee, e.day, review.school_id)
        self.tally(review.cycle_id, school).objectives.add(e.aggregate_id)

    @on("ObjectiveRevised")
    def revised(self, e: AnalystEvent) -> None:
        review = self.reviews.get(self.review_of.get(e.aggregate_id, ""))
        if review is None or review.mid_year is None or e.position < review.mid_year:
            return
        school = self.school_on(review.appraisee, e.day, review.school_id)
        tally = self.tally(review.cycle_id, school)
        tally.revised.add(e.aggregate_id)
        tally.revisions += 1

    def tally(self, cycle_id: str, school_id: str) -> Tally:
        return self.tallies.setdefault((cycle_id, school_id), Tally())

    def finish(self) -> None:
        for (cycle_id, school_id), t in sorted(
            self.tallies.items(),
            key=lambda item: (self.cycles.get(item[0][0], ""), self.schools.get(item[0][1], "")),
        ):
            self.emit(
                cycle=self.cycles.get(cycle_id, cycle_id),
                school=self.schools.get(school_id, school_id),
                objectives=len(t.objectives),
                revised_after_mid_year=len(t.revised),
                share=round(len(t.revised) / len(t.objectives), 3) if t.objectives else None,
                revisions_after_mid_year=t.revisions,
            )
