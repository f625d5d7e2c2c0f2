"""pay_recommendations: the pay recommendation and the pay decision of each review.

Kept in its own table, read only by the pay endpoints (the person, their school's leader and
the pay committee): no summary, report or school view reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from events import pay as ev
from events.base import DomainEvent
from projections.engine.common import as_model, select, when
from projections.engine.core import Event, Handler, Handlers, Projection, id_text
from projections.engine.db import Column, Database, Table
from projections.engine.workset import Batch

PAY = Table(
    "pay_recommendations",
    (
        Column("review_id", "id", False),
        Column("recommendation_id", "id", False),
        Column("trust_id", "id", False),
        Column("school_id", "id", False),
        Column("cycle_id", "id", False),
        Column("appraisee_id", "id", False),
        Column("recommendation", "text", False),
        Column("reasons", "text", False),
        Column("recommended_by", "id", False),
        Column("recommended_at", "ts", False),
        Column("decision", "text"),
        Column("decision_body", "text"),
        Column("decided_on", "date"),
        Column("rationale", "text"),
        Column("decided_by", "id"),
        Column("version", "int", False),
    ),
    key=("review_id",),
    indexes=(("recommendation_id",), ("appraisee_id",)),
)


@dataclass(frozen=True, slots=True)
class PayView:
    review_id: UUID
    recommendation_id: UUID
    trust_id: UUID
    school_id: UUID
    cycle_id: UUID
    appraisee_id: UUID
    recommendation: str
    reasons: str
    recommended_by: UUID
    recommended_at: datetime
    decision: str | None
    decision_body: str | None
    decided_on: date | None
    rationale: str | None
    decided_by: UUID | None
    version: int


class PayRecommendations(Projection):
    name = "pay_recommendations"
    tables = (PAY,)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return (
            Handlers()
            .on(ev.PayRecommendationMade, self._made)
            .on(ev.PayDecisionRecorded, self._decided)
        )

    def _made(self, b: Batch, e: Event[ev.PayRecommendationMade]) -> None:
        d = e.event
        b.rows(PAY, index_on=("recommendation_id",)).put(
            {
                "review_id": id_text(d.review_id),
                "recommendation_id": e.originator_id,
                "trust_id": id_text(d.trust_id),
                "school_id": id_text(d.school_id),
                "cycle_id": id_text(d.cycle_id),
                "appraisee_id": id_text(d.appraisee_id),
                "recommendation": d.recommendation.value,
                "reasons": d.reasons,
                "recommended_by": id_text(d.actor_id),
                "recommended_at": when(e),
                "decision": None,
                "decision_body": None,
                "decided_on": None,
                "rationale": None,
                "decided_by": None,
                "version": e.originator_version,
            }
        )

    def _decided(self, b: Batch, e: Event[ev.PayDecisionRecorded]) -> None:
        rows = b.rows(PAY, index_on=("recommendation_id",))
        for row in rows.find("recommendation_id", e.originator_id):
            d = e.event
            rows.put(
                {
                    **row,
                    "decision": d.decision.value,
                    "decision_body": d.body,
                    "decided_on": d.decided_on.isoformat(),
                    "rationale": d.rationale,
                    "decided_by": id_text(d.actor_id),
                    "version": e.originator_version,
                }
            )


def for_review(db: Database, review_id: UUID) -> PayView | None:
    rows = select(db, PAY, "review_id = ?", [("id", review_id)])
    return as_model(PayView, rows)[0] if rows else None


def for_trust(db: Database, trust_id: UUID) -> list[PayView]:
    """Every recommendation of a trust (the pay committee's list), undecided first."""
    rows = select(
        db,
        PAY,
        "trust_id = ?",
        [("id", trust_id)],
        "ORDER BY decided_on NULLS FIRST, recommended_at",
    )
    return as_model(PayView, rows)
