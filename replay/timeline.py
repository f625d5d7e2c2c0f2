"""A review's timeline: every event of the review and of its objectives, in log order.

Read from the event store itself (the review's events, then those of every objective its
``ObjectiveLinked`` / ``ObjectiveUnlinked`` events name), so the story is complete even for
changes no read model keeps: who did what, when, why, and each event's own fields.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from projections.audit_log import summarise
from projections.cycle_summary.asof import read_aggregates
from projections.directory import ids_in_text, label_then, named_text
from projections.engine.core import Event, EventLog, decode
from projections.engine.db import Database

_ENVELOPE = ("timestamp", "actor_id", "actor_role", "prev_hash")
_OBJECTIVES_OF_REVIEW = frozenset({"ObjectiveLinked", "ObjectiveUnlinked"})


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One thing that happened to a review or one of its objectives."""

    position: int
    timestamp: datetime
    aggregate_type: str
    aggregate_id: UUID
    version: int
    event_type: str
    actor_id: UUID | None
    actor_role: str | None
    summary: str
    reason: str | None
    data: dict[str, Any]
    # The actor's name and the names in the summary, as they were at the time.
    actor_name: str | None = None


def review_timeline(
    db: Database, review_id: UUID, *, until: datetime | None = None
) -> list[TimelineEntry]:
    """The review's and its objectives' events (up to the moment ``until``), oldest first;
    empty when there is no such review."""
    with db.transaction(write=False) as tx:
        head = EventLog().head(tx)
        review = [decode(r) for r in read_aggregates(tx, [review_id], upto=head)]
        if not review or review[0].type != "ReviewStarted":
            return []
        objectives = {
            str(e.data["objective_id"]) for e in review if e.type in _OBJECTIVES_OF_REVIEW
        }
        rows = read_aggregates(tx, objectives, upto=head)
    events = sorted([*review, *(decode(r) for r in rows)], key=lambda e: e.position)
    entries = [_entry(e, review_id) for e in events]
    entries = [e for e in entries if until is None or e.timestamp <= until]
    then = label_then(
        db,
        [
            (e.position, [*([str(e.actor_id)] if e.actor_id else []), *ids_in_text(e.summary)])
            for e in entries
        ],
    )
    return [
        replace(
            e,
            actor_name=then.get(e.position, {}).get(str(e.actor_id)),
            summary=named_text(e.summary, then.get(e.position, {})),
        )
        for e in entries
    ]


def _entry(e: Event, review_id: UUID) -> TimelineEntry:
    data = e.data
    actor = data.get("actor_id")
    return TimelineEntry(
        position=e.position,
        timestamp=datetime.fromisoformat(data["timestamp"]),
        aggregate_type="review" if UUID(e.originator_id) == review_id else "objective",
        aggregate_id=UUID(e.originator_id),
        version=e.originator_version,
        event_type=e.type,
        actor_id=UUID(actor) if actor else None,
        actor_role=data.get("actor_role"),
        summary=summarise(e),
        reason=data.get("reason"),
        data={k: v for k, v in data.items() if k not in _ENVELOPE},
    )


@dataclass(frozen=True, slots=True)
class ProgressEntry:
    """Progress recorded on an objective: how far, the note and the evidence offered."""

    position: int
    timestamp: datetime
    percent: int
    note: str
    evidence: list[str]
    actor_id: UUID | None
    actor_role: str | None


def objective_progress(db: Database, objective_id: UUID) -> list[ProgressEntry]:
    """Every progress record of an objective, oldest first (read from the event store: no
    read model keeps the notes and evidence of each)."""
    with db.transaction(write=False) as tx:
        head = EventLog().head(tx)
        events = [decode(r) for r in read_aggregates(tx, [objective_id], upto=head)]
    out = []
    for e in events:
        if e.type != "ProgressRecorded":
            continue
        actor = e.data.get("actor_id")
        out.append(
            ProgressEntry(
                position=e.position,
                timestamp=datetime.fromisoformat(e.data["timestamp"]),
                percent=int(e.data["percent"]),
                note=e.data.get("note") or "",
                evidence=[str(x) for x in e.data.get("evidence") or ()],
                actor_id=UUID(actor) if actor else None,
                actor_role=e.data.get("actor_role"),
            )
        )
    return out
