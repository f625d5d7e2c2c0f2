"""The auditor's pages: the audit log (filters, keyset paging, export), a review's timeline as
it was on any date with a diff between two moments, and any record as it was on a date.

Read through the same policy as ``/v1/audit``: the log is for auditors, administrators and
trust leaders of the trust; a record or timeline for whoever may read that record (denied
looks missing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import BeforeValidator

from api.audit import aggregate_scope
from api.deps import get_container
from api.naming import ids_in
from api.params import Day
from commands.principal import Principal
from commands.read_policy import may_read_audit_log, may_read_pay, may_read_record
from events.base import DomainEvent
from projections import audit_log, objective_current
from projections.directory import Names
from replay.aggregates import UnknownAggregate, described, fold, history
from replay.export import MEDIA_TYPES, Format, audit_export, named_entries
from replay.timeline import review_timeline
from web.features import end_of
from web.pages import Db
from web.render import PageNotFound, page
from web.session import current_principal

router = APIRouter(include_in_schema=False)

SignedIn = Annotated[Principal, Depends(current_principal)]
PAGE_SIZE = 50
After = Annotated[int, Query(ge=0, le=2**62, description="Keyset: entries after this position")]
# A date box left empty is sent as "": no date, not a malformed one.
FormDay = Annotated[Day, BeforeValidator(lambda v: v or None)]
EventType = Annotated[str | None, Query(alias="type", max_length=100, pattern=r"^[A-Za-z]*$")]


def _event_types() -> list[str]:
    found: set[str] = set()
    stack = list(DomainEvent.__subclasses__())
    while stack:
        cls = stack.pop()
        found.add(cls.__name__)
        stack += cls.__subclasses__()
    return sorted(found)


def _log_reader(principal: Principal) -> UUID:
    if principal.trust_id is None or not may_read_audit_log(principal, principal.trust_id):
        raise PageNotFound
    return principal.trust_id


@dataclass(frozen=True, slots=True)
class Filters:
    event_type: str | None
    actor_id: UUID | None
    aggregate_id: UUID | None
    since: date | None
    until: date | None

    def query(self) -> dict[str, Any]:
        """As keyword arguments of ``audit_log.audit_events``: days as whole UTC days."""
        return {
            "event_type": self.event_type or None,
            "actor_id": self.actor_id,
            "aggregate_id": self.aggregate_id,
            "since": _start(self.since) if self.since else None,
            "until": _start(self.until + timedelta(days=1)) if self.until else None,
        }

    def params(self) -> str:
        pairs = [
            ("type", self.event_type),
            ("actor", self.actor_id),
            ("record", self.aggregate_id),
            ("since", self.since),
            ("until", self.until),
        ]
        return "&".join(f"{k}={v}" for k, v in pairs if v)


def _filters(
    event_type: EventType = None,
    actor: UUID | None = None,
    record: UUID | None = None,
    since: Annotated[FormDay, Query()] = None,
    until: Annotated[FormDay, Query()] = None,
) -> Filters:
    return Filters(event_type, actor, record, since, until)


LogFilters = Annotated[Filters, Depends(_filters)]


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@router.get("/audit/log", response_class=HTMLResponse)
def log_page(
    request: Request, principal: SignedIn, db: Db, filters: LogFilters, after: After = 0
) -> Response:
    trust = _log_reader(principal)
    entries = audit_log.audit_events(
        db, trust_id=trust, after_position=after, limit=PAGE_SIZE, **filters.query()
    )
    return page(
        request,
        "audit_log.html",
        principal,
        entries=named_entries(db, entries),
        filters=filters,
        event_types=_event_types(),
        after=after,
        next_after=entries[-1].position if len(entries) == PAGE_SIZE else None,
    )


@router.get("/audit/log.{fmt}")
def log_export(principal: SignedIn, db: Db, filters: LogFilters, fmt: Format) -> Response:
    trust = _log_reader(principal)
    chunks = audit_export(db, fmt, trust_id=trust, **filters.query())
    return StreamingResponse(
        chunks,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="audit-log.{fmt}"'},
    )


@dataclass(frozen=True, slots=True)
class Change:
    record: str
    field: str
    before: Any
    after: Any


def _readable(request: Request, principal: Principal, aggregate_id: UUID) -> Any:
    """The record's stored history if the principal may read it (else, as missing, 404)."""
    recorder: Any = get_container(request).store.recorder
    entries = history(recorder, aggregate_id)
    try:
        current = fold(aggregate_id, entries)
    except UnknownAggregate:
        raise PageNotFound from None
    scope = aggregate_scope(recorder, current)
    allowed = (
        may_read_pay(principal, scope)
        if current.kind == "pay_recommendation"
        else may_read_record(principal, scope)
    )
    if not allowed:
        raise PageNotFound
    return entries, current


def _state_at(entries: Any, aggregate_id: UUID, at: datetime | None) -> dict[str, Any] | None:
    try:
        return fold(aggregate_id, entries, at=at).state
    except UnknownAggregate:
        return None


def diff(label: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """Field by field, what differs between two states of one record (nested values flat)."""
    old, new = _flat(before or {}), _flat(after or {})
    return [
        Change(label, k, old.get(k), new.get(k))
        for k in sorted(old.keys() | new.keys())
        if old.get(k) != new.get(k) and k not in ("version", "chased_at")
    ]


def _named(db: Db, values: list[Any]) -> dict[str, str]:
    """Names for the ids held in state values: people, schools, cycles, priorities (the
    directory) and objectives (their titles)."""
    ids = {str(i) for i in ids_in(values)}
    names = Names(db).now(ids)
    for i in ids - names.keys():
        found = objective_current.get_objective(db, UUID(i))
        if found is not None:
            names[i] = found.title
    return names


def _readable_value(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, list):
        return "; ".join(str(_readable_value(v, names)) for v in value) or None
    if isinstance(value, str):
        return names.get(value, value)
    return value


def _readable_state(db: Db, state: dict[str, Any]) -> dict[str, Any]:
    names = _named(db, list(state.values()))
    return {k: _readable_value(v, names) for k, v in state.items()}


def _flat(state: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in state.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out |= _flat(v, key + ".")
        else:
            out[key] = v
    return out


@router.get("/audit/reviews/{review_id}", response_class=HTMLResponse)
def review_timeline_page(
    request: Request,
    review_id: UUID,
    principal: SignedIn,
    db: Db,
    as_of: Annotated[FormDay, Query()] = None,
    from_: Annotated[FormDay, Query(alias="from")] = None,
    to: Annotated[FormDay, Query()] = None,
) -> Response:
    entries, current = _readable(request, principal, review_id)
    if current.kind != "review":
        raise PageNotFound
    moment = end_of(as_of) if as_of else None
    whole = review_timeline(db, review_id)
    timeline = [e for e in whole if moment is None or e.timestamp <= moment]
    changes: list[Change] = []
    if from_ is not None and to is not None:
        a, b = end_of(from_), end_of(to)
        recorder: Any = get_container(request).store.recorder
        changes = diff("Review", _state_at(entries, review_id, a), _state_at(entries, review_id, b))
        objectives = {e.aggregate_id for e in whole if e.aggregate_type == "objective"}
        for objective_id in sorted(objectives, key=str):
            own = history(recorder, objective_id)
            old, new = _state_at(own, objective_id, a), _state_at(own, objective_id, b)
            title = ((new or old or {}).get("content") or {}).get("title", "objective")
            changes += diff(f"Objective: {title}", old, new)
    names = _named(db, [[c.before, c.after] for c in changes])
    changes = [
        Change(c.record, c.field, _readable_value(c.before, names), _readable_value(c.after, names))
        for c in changes
    ]
    return page(
        request,
        "audit_review.html",
        principal,
        review=current.raw_state,
        timeline=timeline,
        state=_readable_state(db, _flat(_state_at(entries, review_id, moment) or {})),
        as_of=as_of,
        from_=from_,
        to=to,
        changes=changes,
    )


@router.get("/audit/records/{aggregate_id}", response_class=HTMLResponse)
def record_page(
    request: Request,
    aggregate_id: UUID,
    principal: SignedIn,
    db: Db,
    as_of: Annotated[FormDay, Query()] = None,
) -> Response:
    entries, current = _readable(request, principal, aggregate_id)
    moment = end_of(as_of) if as_of else None
    shown = [e for e in entries if moment is None or e.event.timestamp <= moment]
    return page(
        request,
        "audit_record.html",
        principal,
        aggregate_id=aggregate_id,
        kind=current.kind,
        state=_readable_state(db, _flat(_state_at(entries, aggregate_id, moment) or {})),
        events=[described(e) for e in shown],
        as_of=as_of,
    )
