"""audit_log: every event as a row (position, time, aggregate, type, actor, role, summary).

Rows carry the trust they belong to, so an auditor's view is one indexed range per trust; the
trust of each aggregate is learned from the events that create it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from events.base import DomainEvent, registered_topics
from projections.common import as_model, select
from projections.db import Column, ColumnType, Database, Table, normalize_ts
from projections.engine import Event, Handler, Projection
from projections.workset import Batch

AUDIT_LOG = Table(
    "audit_log",
    (
        Column("position", "int", False),
        Column("timestamp", "ts", False),
        Column("trust_id", "id"),
        Column("aggregate_type", "text", False),
        Column("aggregate_id", "id", False),
        Column("aggregate_version", "int", False),
        Column("event_type", "text", False),
        Column("actor_id", "id"),
        Column("actor_role", "text"),
        Column("summary", "text", False),
    ),
    key=("position",),
    indexes=(
        ("trust_id", "position"),
        ("aggregate_id", "position"),
        ("actor_id", "position"),
        ("event_type", "position"),
        ("timestamp",),
    ),
)
# Which trust each aggregate belongs to.
SCOPE = Table(
    "audit_log_scope",
    (Column("aggregate_id", "id", False), Column("trust_id", "id", False)),
    key=("aggregate_id",),
    public=False,
)

_SUMMARIES = {
    "TrustRegistered": "Trust registered: {name}",
    "SchoolAdded": "School added: {name}",
    "SchoolRenamed": "School renamed from {old_name} to {new_name}: {reason}",
    "PriorityAdded": "Priority added: {title}",
    "PriorityRetired": "Priority retired: {reason}",
    "StaffRegistered": "Staff registered: {name}, {job_title}",
    "AssignedToSchool": "Assigned to school {school_id} from {effective_date}",
    "LineManagerChanged": "Line manager changed to {line_manager_id}: {reason}",
    "StaffLeft": "Left on {effective_date}: {reason}",
    "CycleScheduled": "Cycle {name} scheduled, {start_date} to {end_date}",
    "CycleOpened": "Cycle opened",
    "CycleClosed": "Cycle closed",
    "CycleReopened": "Cycle reopened: {reason}",
    "PolicyChanged": "Policy changed: {reason}",
    "ReviewStarted": "Review started for {appraisee_id} with appraiser {appraiser_id}",
    "AppraiserChanged": "Appraiser changed to {appraiser_id}: {reason}",
    "ObjectiveLinked": "Objective {objective_id} added to the review",
    "ObjectiveUnlinked": "Objective {objective_id} removed from the review: {reason}",
    "MeetingRecorded": "Meeting recorded: {kind} on {held_on}",
    "SelfAssessmentSubmitted": "Self-assessment submitted",
    "AssessmentWritten": "Assessment written: {overall}",
    "ReportIssued": "Report issued on {issued_on}",
    "AppraiseeCommented": "Appraisee commented",
    "SignedOff": "Signed off by the {by}",
    "Moderated": "Moderated: {outcome}",
    "AppealLodged": "Appeal lodged",
    "AppealDecided": "Appeal decided: {outcome}",
    "ReviewReopened": "Review reopened: {reason}",
    "ObjectiveDrafted": "Objective drafted: {title}",
    "ObjectiveSetWithoutAgreement": "Objective set without agreement: {reason}",
    "DisagreementRecorded": "Disagreement recorded",
    "ObjectiveRevised": "Objective revised ({fields}): {reason}",
    "ObjectiveAgreed": "Objective agreed by the {by}",
    "ProgressRecorded": "Progress recorded: {percent}%",
    "ObjectiveAssessed": "Objective assessed: {outcome}",
    "ObjectiveWithdrawn": "Objective withdrawn: {reason}",
    "ObjectiveReinstated": "Objective reinstated: {reason}",
    "ObjectiveCarriedForward": "Objective carried forward to {to_objective_id}",
}
_AGGREGATE_TYPES = {
    "events.trust": "trust",
    "events.staff": "staff_member",
    "events.cycle": "appraisal_cycle",
    "events.review": "review",
    "events.objective": "objective",
}
_SUMMARY_LENGTH = 300


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "-"


def summarise(event: Event) -> str:
    """A one-line, human-readable account of an event."""
    template = _SUMMARIES.get(event.type, event.type)
    fields = _Fields(event.data)
    if event.type == "ObjectiveRevised":
        fields["fields"] = ", ".join(c["field"] for c in event.data.get("changes", ()))
    return template.format_map(fields)[:_SUMMARY_LENGTH]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    position: int
    timestamp: datetime
    trust_id: UUID | None
    aggregate_type: str
    aggregate_id: UUID
    aggregate_version: int
    event_type: str
    actor_id: UUID | None
    actor_role: str | None
    summary: str


class AuditLog(Projection):
    """Every event, with the trust it belongs to and a one-line summary."""

    name = "audit_log"
    rebuild_cost = 3
    tables = (AUDIT_LOG, SCOPE)
    all_topics = True

    def __init__(self) -> None:
        super().__init__()
        self._types = {
            topic: _AGGREGATE_TYPES.get(cls.__module__, "unknown")
            for topic, cls in registered_topics().items()
        }

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return {}

    def apply(self, batch: Batch, events: Sequence[Event]) -> None:
        scope = batch.rows(SCOPE)
        scope.load(e.originator_id for e in events)
        scope.load(e.data.get("review_id") for e in events if e.type == "ObjectiveDrafted")
        add = batch.appender(AUDIT_LOG).add
        for e in events:
            data = e.data
            trust_id = self._trust_of(scope, e)
            add(
                e.position,
                normalize_ts(data["timestamp"]),
                trust_id,
                self._types.get(e.topic, "unknown"),
                e.originator_id,
                e.originator_version,
                e.type,
                data.get("actor_id"),
                data.get("actor_role"),
                summarise(e),
            )

    @staticmethod
    def _trust_of(scope: Any, e: Event) -> str | None:
        known = scope.get(e.originator_id)
        if known is not None:
            return str(known["trust_id"])
        data = e.data
        trust_id: str | None = None
        if e.type == "TrustRegistered":
            trust_id = e.originator_id
        elif e.type in ("StaffRegistered", "CycleScheduled", "ReviewStarted"):
            trust_id = data.get("trust_id")
        elif e.type == "ObjectiveDrafted":
            review = scope.get(data.get("review_id"))
            trust_id = None if review is None else review["trust_id"]
        if trust_id is not None:
            scope.put({"aggregate_id": e.originator_id, "trust_id": trust_id})
        return trust_id


def audit_events(
    db: Database,
    *,
    trust_id: UUID | None = None,
    aggregate_id: UUID | None = None,
    actor_id: UUID | None = None,
    event_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_position: int = 0,
    limit: int = 100,
) -> list[AuditEntry]:
    """Events matching every given filter, in log order, a page after ``after_position``."""
    where = ["position > ?"]
    params: list[tuple[ColumnType, Any]] = [("int", after_position)]
    for column, type_, value in (
        ("trust_id", "id", trust_id),
        ("aggregate_id", "id", aggregate_id),
        ("actor_id", "id", actor_id),
        ("event_type", "text", event_type),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append((type_, value))  # type: ignore[arg-type]
    if since is not None:
        where.append("timestamp >= ?")
        params.append(("ts", since))
    if until is not None:
        where.append("timestamp < ?")
        params.append(("ts", until))
    rows = select(
        db, AUDIT_LOG, " AND ".join(where), params, f"ORDER BY position LIMIT {int(limit)}"
    )
    return as_model(AuditEntry, rows)
