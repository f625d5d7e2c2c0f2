"""review_status: one row per review: stage, meetings, sign-offs, appeal, deadlines.

Overdue depends on today's date, which no event announces, so rows keep the cycle's
deadlines and the overdue flags are worked out when the row is read (``overdue``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from events import cycle as cy
from events import reminders as rm
from events import review as rv
from events import staff
from events.base import DomainEvent, topic_of
from projections.engine.common import as_model, of_type, pinned, select, when
from projections.engine.core import Event, Handler, Handlers, Projection, id_text
from projections.engine.db import Column, ColumnType, Database, Table
from projections.engine.workset import Batch, Row, Rows
from projections.review_progress import PROGRESS_EVENTS, ProgressEvent, ReviewProgress

REVIEWS = Table(
    "review_status",
    (
        Column("review_id", "id", False),
        Column("cycle_id", "id", False),
        Column("trust_id", "id", False),
        Column("school_id", "id", False),
        Column("current_school_id", "id", False),
        Column("appraisee_id", "id", False),
        Column("appraiser_id", "id", False),
        Column("stage", "text", False),
        Column("objectives_active", "int", False),
        Column("planning_on", "date"),
        Column("mid_year_on", "date"),
        Column("end_year_on", "date"),
        Column("self_assessment_submitted", "bool", False),
        Column("overall", "text"),
        Column("report_issued_on", "date"),
        Column("appraisee_commented", "bool", False),
        Column("signed_by_appraisee", "bool", False),
        Column("signed_by_appraiser", "bool", False),
        Column("moderation", "text"),
        Column("appeal", "text"),
        Column("appeal_deadline", "date"),
        Column("reopened", "int", False),
        # A headteacher's review: the governors' panel (chair first) and the external adviser.
        Column("panel", "json"),
        Column("adviser", "json"),
        Column("adviser_consulted_on", "date"),
        Column("objective_setting_deadline", "date"),
        Column("mid_year_deadline", "date"),
        Column("end_year_deadline", "date"),
        Column("started_at", "ts", False),
        Column("updated_at", "ts", False),
        Column("version", "int", False),
    ),
    key=("review_id",),
    # Each ends in its list's page order (a cycle's pages go by review id, keyset).
    indexes=(
        ("cycle_id", "review_id"),
        ("cycle_id", "current_school_id", "review_id"),
        ("appraiser_id", "cycle_id"),
        ("appraisee_id", "cycle_id"),
    ),
)
CYCLES = Table(
    "review_status_cycles",
    (
        Column("cycle_id", "id", False),
        Column("objective_setting_deadline", "date"),
        Column("mid_year_deadline", "date"),
        Column("end_year_deadline", "date"),
        Column("appeal_window_days", "int", False),
    ),
    key=("cycle_id",),
    public=False,
)


@dataclass(frozen=True, slots=True)
class ReviewView:
    review_id: UUID
    cycle_id: UUID
    trust_id: UUID
    school_id: UUID
    current_school_id: UUID
    appraisee_id: UUID
    appraiser_id: UUID
    stage: str
    objectives_active: int
    planning_on: date | None
    mid_year_on: date | None
    end_year_on: date | None
    self_assessment_submitted: bool
    overall: str | None
    report_issued_on: date | None
    appraisee_commented: bool
    signed_by_appraisee: bool
    signed_by_appraiser: bool
    moderation: str | None
    appeal: str | None
    appeal_deadline: date | None
    reopened: int
    panel: list[dict[str, str]] | None
    adviser: dict[str, str] | None
    adviser_consulted_on: date | None
    objective_setting_deadline: date | None
    mid_year_deadline: date | None
    end_year_deadline: date | None
    started_at: datetime
    updated_at: datetime
    version: int

    @property
    def panel_ids(self) -> frozenset[UUID]:
        return frozenset(UUID(str(m["governor_id"])) for m in self.panel or ())

    def overdue(self, today: date) -> dict[str, bool]:
        """Which milestones are late on ``today``."""
        return {
            "objectives": _late(self.planning_on, self.objective_setting_deadline, today),
            "mid_year": _late(self.mid_year_on, self.mid_year_deadline, today),
            "report": _late(self.report_issued_on, self.end_year_deadline, today),
        }


def _late(done: date | None, deadline: date | None, today: date) -> bool:
    return done is None and deadline is not None and today > deadline


def stage(r: Row) -> str:
    """How far a review has got (from the shared fold, as every read model asks it)."""
    return ReviewProgress.from_dict(r).stage


class ReviewStatus(Projection):
    name = "review_status"
    # 2: progress from the shared fold; every way of reopening shows as reopened.
    # 3: a headteacher's governors' panel and external adviser.
    # 4: indexes in the order a cycle's reviews are paged.
    schema_version = 4
    tables = (REVIEWS, CYCLES)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        handlers = (
            Handlers()
            .on(cy.CycleScheduled, self._cycle_scheduled)
            .on(cy.PolicyChanged, self._policy_changed)
            .on(staff.AssignedToSchool, self._assigned)
            .on(rv.ReviewStarted, self._started)
            .on(
                rv.AppraiserChanged,
                lambda b, e: self._set(b, e, appraiser_id=id_text(e.event.appraiser_id)),
            )
            .on(rv.PanelAppointed, self._panel_appointed)
            .on(
                rv.AdviserConsulted,
                lambda b, e: self._set(b, e, adviser_consulted_on=e.event.held_on.isoformat()),
            )
            .on(rv.ObjectiveLinked, lambda b, e: self._count(b, e, 1))
            .on(rv.ObjectiveUnlinked, lambda b, e: self._count(b, e, -1))
            # A chase changes nothing shown here but is the review's next version.
            .on(rm.ReviewChased, lambda b, e: self._set(b, e))
        )
        # Everything about progress goes through the one shared fold.
        for cls in PROGRESS_EVENTS:
            handlers.on(cls, self._progress)
        return handlers

    def prefetch(self, batch: Batch, events: Sequence[Event]) -> None:
        reviews = _reviews(batch)
        reviews.load(e.originator_id for e in events if e.topic not in _NOT_REVIEW)
        reviews.load_where(
            "appraisee_id", {e.originator_id for e in events if e.topic == _ASSIGNED}
        )
        batch.rows(CYCLES).load({id_text(s.cycle_id) for s in of_type(events, rv.ReviewStarted)})

    def _cycle_scheduled(self, b: Batch, e: Event[cy.CycleScheduled]) -> None:
        d = e.event
        b.rows(CYCLES).put(
            {
                "cycle_id": e.originator_id,
                "objective_setting_deadline": d.objective_setting_deadline.isoformat(),
                "mid_year_deadline": d.mid_year_window_end.isoformat(),
                "end_year_deadline": d.end_year_deadline.isoformat(),
                "appeal_window_days": d.policy.appeal_window_days,
            }
        )

    def _policy_changed(self, b: Batch, e: Event[cy.PolicyChanged]) -> None:
        cycles = b.rows(CYCLES)
        cycle = cycles.get(e.originator_id)
        if cycle is not None:
            window = e.event.new_policy.appeal_window_days
            cycles.put({**cycle, "appeal_window_days": window})

    def _assigned(self, b: Batch, e: Event[staff.AssignedToSchool]) -> None:
        # Reviews follow the appraisee to their new school; the starting school stays.
        reviews = _reviews(b)
        school_id = id_text(e.event.school_id)
        for row in reviews.find("appraisee_id", e.originator_id):
            if not ReviewProgress.from_dict(row).complete:
                row["current_school_id"] = school_id
                reviews.put(row)

    def _panel_appointed(self, b: Batch, e: Event[rv.PanelAppointed]) -> None:
        d = e.event
        panel = [m.model_dump(mode="json") for m in d.panel]
        self._set(b, e, panel=panel, adviser=d.adviser.model_dump(mode="json"))

    def _started(self, b: Batch, e: Event[rv.ReviewStarted]) -> None:
        d = e.event
        cycle_id, school_id = id_text(d.cycle_id), id_text(d.school_id)
        cycle = b.rows(CYCLES).get(cycle_id) or {}
        row: Row = {
            "review_id": e.originator_id,
            "cycle_id": cycle_id,
            "trust_id": id_text(d.trust_id),
            "school_id": school_id,
            "current_school_id": school_id,
            "appraisee_id": id_text(d.appraisee_id),
            "appraiser_id": id_text(d.appraiser_id),
            "objectives_active": 0,
            "planning_on": None,
            "mid_year_on": None,
            "end_year_on": None,
            "self_assessment_submitted": False,
            "overall": None,
            "report_issued_on": None,
            "appraisee_commented": False,
            "signed_by_appraisee": False,
            "signed_by_appraiser": False,
            "moderation": None,
            "appeal": None,
            "appeal_deadline": None,
            "reopened": 0,
            "panel": None,
            "adviser": None,
            "adviser_consulted_on": None,
            "objective_setting_deadline": cycle.get("objective_setting_deadline"),
            "mid_year_deadline": cycle.get("mid_year_deadline"),
            "end_year_deadline": cycle.get("end_year_deadline"),
            "started_at": when(e),
        }
        self._save(b, e, row)

    def _set(self, b: Batch, e: Event, **fields: Any) -> None:
        row = _reviews(b).get(e.originator_id)
        if row is not None:
            row.update(fields)
            self._save(b, e, row)

    def _save(self, b: Batch, e: Event, row: Row) -> None:
        row["stage"] = stage(row)
        row["updated_at"] = when(e)
        row["version"] = e.originator_version
        _reviews(b).put(row)

    def _count(self, b: Batch, e: Event, step: int) -> None:
        row = _reviews(b).get(e.originator_id)
        if row is not None:
            self._set(b, e, objectives_active=max(row["objectives_active"] + step, 0))

    def _progress(self, b: Batch, e: Event[ProgressEvent]) -> None:
        row = _reviews(b).get(e.originator_id)
        if row is None:
            return
        progress = ReviewProgress.from_dict(row).apply(e.event)
        fields = progress.as_dict()
        if progress.report_issued_on is None:
            fields["appeal_deadline"] = None
        elif e.topic == _REPORT_ISSUED:
            cycle = b.rows(CYCLES).get(row["cycle_id"]) or {}
            window = int(cycle.get("appeal_window_days") or 10)
            issued = date.fromisoformat(progress.report_issued_on)
            fields["appeal_deadline"] = (issued + timedelta(days=window)).isoformat()
        self._set(b, e, **fields)


_NOT_REVIEW = frozenset(
    topic_of(c) for c in (cy.CycleScheduled, cy.PolicyChanged, staff.AssignedToSchool)
)
_ASSIGNED = topic_of(staff.AssignedToSchool)
_REPORT_ISSUED = topic_of(rv.ReportIssued)


def _reviews(b: Batch) -> Rows:
    return b.rows(REVIEWS, index_on=("appraisee_id",))


# ------------------------------------------------------------------------------ queries


def get_review(db: Database, review_id: UUID) -> ReviewView | None:
    rows = select(db, REVIEWS, "review_id = ?", [("id", review_id)])
    return as_model(ReviewView, rows)[0] if rows else None


def reviews_for_school(db: Database, school_id: UUID, cycle_id: UUID) -> list[ReviewView]:
    """Reviews of the staff now at a school (a review follows its appraisee when they move)."""
    rows = select(
        db,
        REVIEWS,
        "current_school_id = ? AND cycle_id = ?",
        [("id", school_id), ("id", cycle_id)],
        "ORDER BY appraisee_id",
    )
    return as_model(ReviewView, rows)


def reviews_for_appraiser(db: Database, appraiser_id: UUID, cycle_id: UUID) -> list[ReviewView]:
    rows = select(
        db,
        REVIEWS,
        "appraiser_id = ? AND cycle_id = ?",
        [("id", appraiser_id), ("id", cycle_id)],
        "ORDER BY appraisee_id",
    )
    return as_model(ReviewView, rows)


def reviews_for_appraisee(db: Database, appraisee_id: UUID) -> list[ReviewView]:
    rows = select(db, REVIEWS, "appraisee_id = ?", [("id", appraisee_id)], "ORDER BY started_at")
    return as_model(ReviewView, rows)


def overdue_reviews(
    db: Database, cycle_id: UUID, today: date, *, school_id: UUID | None = None
) -> list[ReviewView]:
    """Reviews with a milestone past its deadline on ``today`` (a school's, or the cycle's)."""
    late = (
        "((planning_on IS NULL AND objective_setting_deadline < ?)"
        " OR (mid_year_on IS NULL AND mid_year_deadline < ?)"
        " OR (report_issued_on IS NULL AND end_year_deadline < ?))"
    )
    params: list[tuple[ColumnType, Any]] = [("id", cycle_id)]
    where = "cycle_id = ?"
    if school_id is not None:
        where = "current_school_id = ? AND cycle_id = ?"
        params.insert(0, ("id", school_id))
    params += [("date", today)] * 3
    rows = select(db, REVIEWS, f"{where} AND {late}", params, "ORDER BY appraisee_id")
    return as_model(ReviewView, rows)


_LATE = (
    "((planning_on IS NULL AND objective_setting_deadline < ?)"
    " OR (mid_year_on IS NULL AND mid_year_deadline < ?)"
    " OR (report_issued_on IS NULL AND end_year_deadline < ?))"
)


def reviews_in_cycle(
    db: Database,
    cycle_id: UUID,
    *,
    school_ids: frozenset[UUID] | None = None,
    people: frozenset[UUID] | None = None,
    school_id: UUID | None = None,
    stage: str | None = None,
    appraiser_id: UUID | None = None,
    overdue_on: date | None = None,
    after: UUID | None = None,
    limit: int = 50,
) -> list[ReviewView]:
    """A page of a cycle's reviews by review id: within ``school_ids`` (where the appraisee
    was or is) and ``people`` (appraisee or appraiser) when given, and the filters asked."""
    # Led by the filtered columns of the index meant to serve the page, the first pinned
    # (the same order for these rows; why: ``common.pinned``).
    where = [pinned(db, "cycle_id", "id")]
    params: list[tuple[ColumnType, Any]] = [("id", cycle_id)]
    if school_ids is not None:
        ids = sorted(school_ids, key=str) or [UUID(int=0)]
        marks = ",".join("?" * len(ids))
        where.append(f"(school_id IN ({marks}) OR current_school_id IN ({marks}))")
        params += [("id", s) for s in ids] * 2
    if people is not None:
        ids = sorted(people, key=str) or [UUID(int=0)]
        marks = ",".join("?" * len(ids))
        where.append(f"(appraisee_id IN ({marks}) OR appraiser_id IN ({marks}))")
        params += [("id", p) for p in ids] * 2
    if school_id is not None:
        where.append("current_school_id = ?")
        params.append(("id", school_id))
    if stage is not None:
        where.append("stage = ?")
        params.append(("text", stage))
    if appraiser_id is not None:
        where.append("appraiser_id = ?")
        params.append(("id", appraiser_id))
    if overdue_on is not None:
        where.append(_LATE)
        params += [("date", overdue_on)] * 3
    if after is not None:
        where.append("review_id > ?")
        params.append(("id", after))
    lead = "cycle_id, current_school_id" if school_id is not None else "cycle_id"
    rows = select(
        db, REVIEWS, " AND ".join(where), params, f"ORDER BY {lead}, review_id LIMIT {limit}"
    )
    return as_model(ReviewView, rows)
