"""The dashboard's queries, scoped by the same read policy as the JSON API's endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from api.objectives import objective_scope
from api.reviews import review_scope
from commands.principal import Principal
from commands.read_policy import may_read_record, may_read_summary
from events.base import Role
from projections import objective_current, objective_revisions, review_status
from projections.cycle_summary import school as school_cycle_summary
from projections.cycle_summary import trust as trust_cycle_summary
from projections.cycle_summary.views import SchoolCycleSummaryView, TrustCycleSummaryView
from projections.engine.common import select
from projections.engine.db import Database
from projections.objective_current import ObjectiveView
from projections.objective_revisions import Revision
from projections.review_status import ReviewView
from web.render import PageNotFound


@dataclass(frozen=True, slots=True)
class CycleLink:
    cycle_id: UUID
    name: str
    school_id: UUID | None = None
    school_name: str | None = None


def trust_cycles(db: Database, principal: Principal) -> list[CycleLink]:
    """The cycles of the principal's trust that have a summary, newest first."""
    if principal.trust_id is None or not may_read_summary(principal, principal.trust_id):
        return []
    if principal.role is Role.SCHOOL_LEADER:
        return []
    rows = select(
        db,
        trust_cycle_summary.TOTALS,
        "trust_id = ?",
        [("id", principal.trust_id)],
        "ORDER BY cycle_name DESC",
    )
    return [CycleLink(r["cycle_id"], r["cycle_name"] or str(r["cycle_id"])) for r in rows]


def school_cycles(db: Database, principal: Principal) -> list[CycleLink]:
    """Each school a school leader leads, in each cycle it has a summary for."""
    if principal.role is not Role.SCHOOL_LEADER:
        return []
    links: list[CycleLink] = []
    for school_id in sorted(principal.school_ids, key=str):
        rows = select(
            db,
            school_cycle_summary.SUMMARY,
            "school_id = ?",
            [("id", school_id)],
            "ORDER BY cycle_name DESC",
        )
        links += [
            CycleLink(r["cycle_id"], r["cycle_name"] or "", school_id, r["school_name"])
            for r in rows
            if principal.trust_id is not None and r["trust_id"] == principal.trust_id
        ]
    return links


def own_reviews(db: Database, principal: Principal) -> tuple[list[ReviewView], list[ReviewView]]:
    """The principal's own reviews (as appraisee) and their appraisees' (as appraiser)."""
    mine = [
        r
        for r in review_status.reviews_for_appraisee(db, principal.id)
        if may_read_record(principal, review_scope(r))
    ]
    appraising: list[ReviewView] = []
    for cycle_id in sorted({r.cycle_id for r in mine}, key=str):
        appraising += review_status.reviews_for_appraiser(db, principal.id, cycle_id)
    return mine, appraising


def panel_reviews(db: Database, principal: Principal) -> list[ReviewView]:
    """A governor's headteachers' reviews: those whose panel they sit on."""
    if principal.role is not Role.GOVERNOR or principal.trust_id is None:
        return []
    rows = select(
        db,
        review_status.REVIEWS,
        "trust_id = ? AND panel IS NOT NULL",
        [("id", principal.trust_id)],
        "ORDER BY started_at DESC",
    )
    views = [ReviewView(**r) for r in rows]
    return [v for v in views if principal.id in v.panel_ids]


def trust_summary(
    db: Database, principal: Principal, trust_id: UUID, cycle_id: UUID
) -> TrustCycleSummaryView:
    # As GET /v1/trusts/{id}/cycles/{cycle}/summary: trust-wide readers and analysts only.
    if not may_read_summary(principal, trust_id) or principal.role is Role.SCHOOL_LEADER:
        raise PageNotFound
    view = trust_cycle_summary.trust_summary(db, trust_id, cycle_id)
    if view is None:
        raise PageNotFound
    return view


def school_summary(
    db: Database, principal: Principal, school_id: UUID, cycle_id: UUID
) -> SchoolCycleSummaryView:
    view = school_cycle_summary.school_summary(db, school_id, cycle_id)
    if view is None or not may_read_summary(principal, view.trust_id, school_id):
        raise PageNotFound
    return view


def school_reviews(
    db: Database, principal: Principal, school_id: UUID, cycle_id: UUID
) -> list[ReviewView]:
    reviews = review_status.reviews_for_school(db, school_id, cycle_id)
    return [r for r in reviews if may_read_record(principal, review_scope(r))]


def review(db: Database, principal: Principal, review_id: UUID) -> ReviewView:
    view = review_status.get_review(db, review_id)
    if view is None or not may_read_record(principal, review_scope(view)):
        raise PageNotFound
    return view


def review_objectives(db: Database, review_id: UUID) -> list[ObjectiveView]:
    return objective_current.objectives_for_review(db, review_id)


def objective(db: Database, principal: Principal, objective_id: UUID) -> ObjectiveView:
    view = objective_current.get_objective(db, objective_id)
    if view is None or not may_read_record(principal, objective_scope(view)):
        raise PageNotFound
    return view


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event in an objective's life, with the field-level changes it made."""

    position: int
    event_type: str
    timestamp: object
    actor_id: UUID | None
    actor_role: str | None
    reason: str | None
    changes: list[Revision]


def timeline(db: Database, objective_id: UUID) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for change in objective_revisions.history(db, objective_id):
        last = entries[-1] if entries else None
        if last is not None and last.position == change.position:
            last.changes.append(change)
            continue
        entries.append(
            TimelineEntry(
                position=change.position,
                event_type=change.event_type,
                timestamp=change.timestamp,
                actor_id=change.actor_id,
                actor_role=change.actor_role,
                reason=change.reason,
                changes=[change],
            )
        )
    return entries


def overdue_of(view: ReviewView) -> list[str]:
    return [name for name, late in view.overdue(date.today()).items() if late]
