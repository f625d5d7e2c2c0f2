"""cycle_closings: each cycle's latest close, and the reviews it left unfinished.

What ``GET /v1/cycles/{id}/unfinished-reviews`` answers, read from here rather than by
replaying the cycle: one row per cycle that has ever closed, replaced by its next close
(a reopen keeps the row, as the cycle keeps its ``last_closing``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from events import cycle as cy
from events.base import DomainEvent
from projections.engine.common import select, when
from projections.engine.core import Event, Handler, Handlers, Projection
from projections.engine.db import Column, Database, Table
from projections.engine.workset import Batch

CLOSINGS = Table(
    "cycle_closings",
    (
        Column("cycle_id", "id", False),
        Column("closed_at", "ts", False),
        Column("reason", "text"),
        Column("unfinished", "json", False),
        Column("version", "int", False),
    ),
    key=("cycle_id",),
)


@dataclass(frozen=True, slots=True)
class Unfinished:
    review_id: UUID
    school_id: UUID
    appraisee_id: UUID
    appraisee_name: str
    left_at: str


@dataclass(frozen=True, slots=True)
class Closing:
    cycle_id: UUID
    closed_at: datetime
    reason: str | None
    unfinished: tuple[Unfinished, ...]


class CycleClosings(Projection):
    name = "cycle_closings"
    tables = (CLOSINGS,)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return Handlers().on(cy.CycleClosed, self._closed)

    def _closed(self, b: Batch, e: Event[cy.CycleClosed]) -> None:
        d = e.event
        b.rows(CLOSINGS).put(
            {
                "cycle_id": e.originator_id,
                "closed_at": when(e),
                "reason": d.reason,
                "unfinished": [u.model_dump(mode="json") for u in d.unfinished],
                "version": e.originator_version,
            }
        )


def last_closing(db: Database, cycle_id: UUID) -> Closing | None:
    """The cycle's latest close; None if it has never closed."""
    rows = select(db, CLOSINGS, "cycle_id = ?", [("id", cycle_id)])
    if not rows:
        return None
    row = rows[0]
    return Closing(
        cycle_id=row["cycle_id"],
        closed_at=row["closed_at"],
        reason=row["reason"],
        unfinished=tuple(_unfinished(u) for u in row["unfinished"]),
    )


def _unfinished(u: Mapping[str, Any]) -> Unfinished:
    return Unfinished(
        review_id=UUID(str(u["review_id"])),
        school_id=UUID(str(u["school_id"])),
        appraisee_id=UUID(str(u["appraisee_id"])),
        appraisee_name=str(u["appraisee_name"]),
        left_at=str(u["left_at"]),
    )
