"""audit_log: every event as a row (position, time, aggregate, type, actor, role, summary).

Rows carry the trust they belong to, so an auditor's view is one indexed range per trust; the
trust of each aggregate is learned from the events that create it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from events import facts
from events.base import TOPIC_PREFIX, DomainEvent, registered_topics
from projections.engine.common import as_model, pinned, select
from projections.engine.core import TOPIC_PREFIX_LEN, Event, Handler, Projection, decode
from projections.engine.db import Column, ColumnType, Database, Table, Tx
from projections.engine.workset import Batch

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
    # One per filter, each ending in the page's order so that a page is one index range:
    # log order (position) without a time range, time order (timestamp, position) with one.
    # An aggregate's events are few: its index serves it in either order.
    indexes=(
        ("trust_id", "position"),
        ("trust_id", "event_type", "position"),
        ("trust_id", "timestamp", "position"),
        ("trust_id", "event_type", "timestamp", "position"),
        ("aggregate_id", "position"),
        ("actor_id", "position"),
        ("actor_id", "timestamp", "position"),
        # A platform administrator's view across every trust.
        ("event_type", "position"),
        ("timestamp", "position"),
    ),
)
# Which trust each aggregate belongs to, learned at which log position.
SCOPE = Table(
    "audit_log_scope",
    (
        Column("aggregate_id", "id", False),
        Column("trust_id", "id", False),
        Column("position", "int", False),
    ),
    key=("aggregate_id",),
    public=False,
)
# The events that tell an aggregate's trust: their own id, a ``trust_id`` field (every event
# class that declares one: an aggregate's first such event names it), or their review's.
_TRUST_IS_ORIGINATOR = "TrustRegistered"
_TRUST_IN_DATA = frozenset(
    cls.topic.removeprefix(TOPIC_PREFIX)
    for cls in registered_topics().values()
    if "trust_id" in cls.model_fields
)
_TRUST_OF_REVIEW = "ObjectiveDrafted"

# Each event's one-line template, declared on the event class (``audit_summary``); an event
# that declares none is summarised by its name. Restricted events (pay) declare templates that
# say a step happened, never what it was.
_SUMMARIES = facts.summaries()
_AGGREGATE_TYPES = {
    "events.trust": "trust",
    "events.staff": "staff_member",
    "events.cycle": "appraisal_cycle",
    "events.review": "review",
    "events.objective": "objective",
    "events.cpd": "cpd_activity",
    "events.evidence": "evidence",
    "events.observation": "observation",
    "events.pay": "pay_recommendation",
    "events.framework": "framework",
    "events.access": "person_access",
}
# Events kept beside their feature rather than their aggregate's module.
_AGGREGATE_OF = {
    "ReminderPolicyChanged": "trust",
    "ReminderPreferenceChanged": "staff_member",
    "ReviewChased": "review",
    "SubjectAccessExported": "staff_member",
}
_SUMMARY_LENGTH = 300
# Topics whose summary quotes a field that may be sealed (personal data or free text).
_SEALED_TOPICS = sorted(
    cls.topic
    for cls in registered_topics().values()
    if {f for _, f, _, _ in string.Formatter().parse(facts.audit_summary(cls)) if f}
    & facts.facts_of(cls).withheld
)


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
    # 2: the scope records the position it was learned at (the SQL rebuild needs it).
    # 3: an index per filter, in the page's order (trust first; time ranges in time order).
    schema_version = 3
    rebuild_cost = 3
    tables = (AUDIT_LOG, SCOPE)
    all_topics = True
    sql_bulk = True

    def __init__(self) -> None:
        super().__init__()
        self._types = {
            topic: _AGGREGATE_OF.get(cls.__name__)
            or _AGGREGATE_TYPES.get(cls.__module__, "unknown")
            for topic, cls in registered_topics().items()
        }

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return {}

    def apply(self, batch: Batch, events: Sequence[Event]) -> None:
        scope = batch.rows(SCOPE)
        scope.load(e.originator_id for e in events)
        scope.load(e.data.get("review_id") for e in events if e.type == _TRUST_OF_REVIEW)
        add = batch.appender(AUDIT_LOG).add
        for e in events:
            data = e.data
            trust_id = self._trust_of(scope, e)
            add(
                e.position,
                e.at,
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
        if e.type == _TRUST_IS_ORIGINATOR:
            trust_id = e.originator_id
        elif e.type in _TRUST_IN_DATA:
            trust_id = data.get("trust_id")
        elif e.type == _TRUST_OF_REVIEW:
            review = scope.get(data.get("review_id"))
            trust_id = None if review is None else review["trust_id"]
        if trust_id is not None:
            scope.put(
                {"aggregate_id": e.originator_id, "trust_id": trust_id, "position": e.position}
            )
        return trust_id

    def apply_sql(self, tx: Tx, generation: int, log: str, after: int, upto: int) -> None:
        """The same rows as ``apply``, built by PostgreSQL from the stored JSON: the scope
        first (an aggregate's trust, from the first event that tells it), then one row per
        event with the trust its aggregate had at that position."""
        scope, rows = SCOPE.physical(generation), AUDIT_LOG.physical(generation)
        in_range = "e.notification_id > ? AND e.notification_id <= ?"
        topics = ", ".join(_literal(f"appraisals/{t}") for t in sorted(_TRUST_IN_DATA))
        tx.execute(
            f"INSERT INTO {scope} (aggregate_id, trust_id, position) "
            "SELECT DISTINCT ON (aggregate_id) aggregate_id, trust_id, position FROM ("
            "SELECT e.originator_id AS aggregate_id, e.notification_id AS position, CASE "
            f"WHEN e.topic = {_literal('appraisals/' + _TRUST_IS_ORIGINATOR)} "
            "THEN e.originator_id "
            "ELSE (convert_from(e.state, 'UTF8')::jsonb ->> 'trust_id')::uuid END AS trust_id "
            f"FROM {log} e WHERE {in_range} AND e.topic IN "
            f"({_literal('appraisals/' + _TRUST_IS_ORIGINATOR)}, {topics})) AS told "
            "WHERE trust_id IS NOT NULL ORDER BY aggregate_id, position "
            "ON CONFLICT (aggregate_id) DO NOTHING",
            [after, upto],
        )
        tx.execute(
            f"INSERT INTO {scope} (aggregate_id, trust_id, position) "
            "SELECT DISTINCT ON (e.originator_id) e.originator_id, s.trust_id, e.notification_id "
            f"FROM {log} e JOIN {scope} s ON s.aggregate_id = "
            "(convert_from(e.state, 'UTF8')::jsonb ->> 'review_id')::uuid "
            "AND s.position < e.notification_id "
            f"WHERE {in_range} AND e.topic = {_literal('appraisals/' + _TRUST_OF_REVIEW)} "
            "ORDER BY e.originator_id, e.notification_id ON CONFLICT (aggregate_id) DO NOTHING",
            [after, upto],
        )
        types = ", ".join(f"({_literal(t)}, {_literal(a)})" for t, a in sorted(self._types.items()))
        tx.execute(
            f"INSERT INTO {rows} ({', '.join(AUDIT_LOG.column_names)}) "
            "SELECT e.notification_id, (e.j ->> 'timestamp')::timestamptz, s.trust_id, "
            "coalesce(t.aggregate_type, 'unknown'), e.originator_id, e.originator_version, "
            f"substr(e.topic, {TOPIC_PREFIX_LEN + 1}), (e.j ->> 'actor_id')::uuid, "
            f"e.j ->> 'actor_role', {summary_sql('e.j', 'e.topic')} "
            "FROM (SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, "
            f"convert_from(e.state, 'UTF8')::jsonb AS j FROM {log} e WHERE {in_range} "
            # OFFSET 0 keeps the subquery apart, so each state is parsed once, not once per
            # reference to j.
            "OFFSET 0) AS e "
            f"LEFT JOIN {scope} s ON s.aggregate_id = e.originator_id "
            "AND s.position <= e.notification_id "
            f"LEFT JOIN (VALUES {types}) AS t(topic, aggregate_type) ON t.topic = e.topic",
            [after, upto],
        )
        self._summarise_sealed(tx, rows, log, after, upto)

    @staticmethod
    def _summarise_sealed(tx: Tx, rows: str, log: str, after: int, upto: int) -> None:
        """Summaries that quote sealed personal data (events/sealing.py): PostgreSQL holds no
        key, so these few are summarised again here, with the values opened."""
        if not _SEALED_TOPICS:
            return
        topics = ", ".join(_literal(t) for t in _SEALED_TOPICS)
        sealed = tx.query(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            f"FROM {log} WHERE notification_id > ? AND notification_id <= ? "
            f"AND topic IN ({topics}) AND strpos(convert_from(state, 'UTF8'), '\"_p\":') > 0",
            [after, upto],
            binary=True,
        )
        if sealed:
            # One statement for the whole chunk: a row-by-row UPDATE cost the SQL lane as
            # much again as building the rows (a seventh of a synthetic log is in these topics).
            tx.execute(
                f"UPDATE {rows} AS r SET summary = v.summary "
                "FROM unnest(?::bigint[], ?::text[]) AS v(position, summary) "
                "WHERE r.position = v.position",
                [[r[0] for r in sealed], [summarise(decode(r)) for r in sealed]],
            )


def _literal(text: str) -> str:
    """A constant as an SQL string literal, with no character the placeholder rewriting
    (``?``) or psycopg (``%``) would take for its own."""
    escaped = "".join(f"\\x{ord(c):02x}" if c in "%?'\\" else c for c in text)
    return f"E'{escaped}'"


def _field_sql(json: str, field: str) -> str:
    """``str(value)`` of a decoded JSON field as SQL; ``-`` when absent, as ``_Fields``."""
    value = f"{json} -> {_literal(field)}"
    return (
        f"coalesce(CASE jsonb_typeof({value}) WHEN 'null' THEN 'None' "
        f"WHEN 'boolean' THEN initcap({value} #>> '{{}}') "
        f"WHEN 'string' THEN {value} #>> '{{}}' WHEN 'number' THEN {value} #>> '{{}}' END, '-')"
    )


def summary_sql(json: str, topic: str) -> str:
    """``summarise`` as an SQL expression over an event's JSON and topic (every template field
    is a scalar, and ``fields`` of a revision is the list of changed fields)."""
    cases = []
    for event_type, template in _SUMMARIES.items():
        if template == event_type:
            continue  # the fallback below says the same
        parts = []
        for literal, field, spec, conversion in string.Formatter().parse(template):
            if spec or conversion:
                raise ValueError(f"{event_type}: format specs are not supported in SQL")
            if literal:
                parts.append(_literal(literal))
            if field == "fields" and event_type == "ObjectiveRevised":
                parts.append(
                    "coalesce((SELECT string_agg(c ->> 'field', ', ') FROM "
                    f"jsonb_array_elements({json} -> 'changes') AS c), '')"
                )
            elif field is not None:
                parts.append(_field_sql(json, field))
        expression = " || ".join(parts) or "''"
        cases.append(f"WHEN {_literal('appraisals/' + event_type)} THEN {expression}")
    fallback = f"substr({topic}, {TOPIC_PREFIX_LEN + 1})"
    return f"left(CASE {topic} {' '.join(cases)} ELSE {fallback} END, {_SUMMARY_LENGTH})"


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
    after_moment: datetime | None = None,
    upto: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Events matching every given filter, a page at a time, up to position ``upto``.

    Without a time range the page is in log order, after ``after_position``. With one
    (``since <= timestamp < until``) it is in time order, ties in log order, after the
    entry at ``(after_moment, after_position)``: each filter then reads one range of its
    ``(.., timestamp, position)`` index instead of walking the log to the range (log order
    and time order differ only where a clock did).
    """
    timed = since is not None or until is not None
    # The page's order is led by the filtered columns of the index meant to serve it (the
    # same order for these rows), its first one pinned (see ``common.pinned``): only that
    # index gives the order without a sort.
    if aggregate_id is not None:
        lead = ["aggregate_id"]
    elif actor_id is not None:
        lead = ["actor_id"]
    elif trust_id is not None:
        lead = ["trust_id", "event_type"] if event_type is not None else ["trust_id"]
    else:
        lead = ["event_type"] if event_type is not None and not timed else []
    where: list[str] = []
    params: list[tuple[ColumnType, Any]] = []
    for column, type_, value in (
        ("trust_id", "id", trust_id),
        ("aggregate_id", "id", aggregate_id),
        ("actor_id", "id", actor_id),
        ("event_type", "text", event_type),
    ):
        if value is not None:
            first = bool(lead) and column == lead[0]
            where.append(pinned(db, column, type_) if first else f"{column} = ?")  # type: ignore[arg-type]
            params.append((type_, value))  # type: ignore[arg-type]
    if upto is not None:
        where.append("position <= ?")
        params.append(("int", upto))
    if since is not None:
        where.append("timestamp >= ?")
        params.append(("ts", since))
    if until is not None:
        where.append("timestamp < ?")
        params.append(("ts", until))
    if not timed:
        where.append("position > ?")
        params.append(("int", after_position))
        order = ", ".join([*lead, "position"])
    else:
        order = ", ".join([*lead, "timestamp", "position"])
        if after_position and after_moment is None:
            after_moment = _moment_of(db, after_position)
            if after_moment is None:
                where.append("position > ?")
                params.append(("int", after_position))
        if after_moment is not None:
            # A row-value comparison: one range of the (.., timestamp, position) index.
            where.append("(timestamp, position) > (?, ?)")
            params += [("ts", after_moment), ("int", after_position)]
    rows = select(
        db, AUDIT_LOG, " AND ".join(where), params, f"ORDER BY {order} LIMIT {int(limit)}"
    )
    return as_model(AuditEntry, rows)


def _moment_of(db: Database, position: int) -> datetime | None:
    """The time of the event at a log position (a page of a time range that only knows
    the position it follows); ``None`` when there is none."""
    rows = select(db, AUDIT_LOG, "position = ?", [("int", position)])
    moment: datetime | None = rows[0]["timestamp"] if rows else None
    return moment
