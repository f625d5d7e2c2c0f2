"""Audit queries: any aggregate as it was at a version or a moment, with its events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from aggregates.errors import Forbidden, Hidden, NotFound
from anchors import AnchorSinkError
from api.deps import AppContainer, CurrentPrincipal
from api.naming import NAMES_DESCRIPTION, names_for
from api.params import Moment, encode_moment_cursor, moment_cursor
from api.reading import (
    Cursor,
    Limit,
    MinPosition,
    Page,
    ReadDb,
    encode_cursor,
    fresh,
    hidden,
    position_cursor,
)
from api.replaying import AsOfMoment
from api.schemas import PROBLEM_RESPONSES
from commands.read_policy import ReadScope, may_read_audit_log, may_read_pay, may_read_record
from events.base import Role
from projections import audit_log
from replay.aggregates import ENVELOPE, AggregateAsOf, UnknownAggregate, fold, history
from replay.aggregates import as_of as replay_as_of
from replay.audit_anchors import anchor_sink
from replay.audit_keys import public_keys, signing_key, signing_key_path
from replay.chain import seal
from replay.export import MEDIA_TYPES, Format, NamedAuditEntry, audit_export, named_entries
from replay.keys import ALGORITHM, SigningKey
from replay.pack import (
    PackError,
    build_pack,
    last_checkpoint,
    rendered_report,
    review_documents,
)
from replay.timeline import TimelineEntry, review_timeline
from replay.verify import verify

router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=PROBLEM_RESPONSES)


class EventOut(BaseModel):
    version: int
    type: str
    timestamp: datetime
    actor_id: UUID
    actor_role: str
    data: dict[str, Any] = Field(description="The event's own fields")
    record_hash: str = Field(description="Hash of the stored record; the next event carries it")
    prev_hash: str | None


class AggregateOut(BaseModel):
    aggregate_id: UUID
    kind: str
    version: int
    as_of: datetime | None
    state: dict[str, Any]
    events: list[EventOut]
    names: dict[UUID, str] = Field(default_factory=dict, description=NAMES_DESCRIPTION)


@router.get(
    "/aggregates/{aggregate_id}",
    summary="An aggregate's state at a version or a moment, with the events that made it",
)
def get_aggregate(
    aggregate_id: UUID,
    container: AppContainer,
    principal: CurrentPrincipal,
    version: Annotated[int | None, Query(ge=1, description="State after this version")] = None,
    as_of_: Annotated[
        Moment,
        Query(alias="as_of", description="State as it stood at this moment (ISO 8601)"),
    ] = None,
) -> AggregateOut:
    recorder: Any = container.store.recorder
    not_found = NotFound(f"there is no aggregate {aggregate_id} visible to you at that point")
    try:
        # Read once; the state now (whose record it is) and then are two folds of it.
        entries = history(recorder, aggregate_id)
        current = fold(aggregate_id, entries)
        snapshot = current
        if version is not None or as_of_ is not None:
            snapshot = fold(aggregate_id, entries, version=version, at=as_of_)
    except UnknownAggregate:
        raise not_found from None
    scope = aggregate_scope(recorder, current)
    readable = (
        may_read_pay(principal, scope)
        if current.kind == "pay_recommendation"
        else may_read_record(principal, scope)
    )
    if not readable:
        raise Hidden(not_found.message)
    out = AggregateOut(
        aggregate_id=aggregate_id,
        kind=snapshot.kind,
        version=snapshot.version,
        as_of=as_of_,
        state=snapshot.state,
        events=[
            EventOut(
                version=e.event.originator_version,
                type=type(e.event).__name__,
                timestamp=e.event.timestamp,
                actor_id=e.event.actor_id,
                actor_role=e.event.actor_role.value,
                data=e.event.model_dump(mode="json", exclude=set(ENVELOPE)),
                record_hash=e.record_hash,
                prev_hash=e.event.prev_hash,
            )
            for e in snapshot.history
        ],
    )
    out.names = names_for(container.projections.db, out.state, out.events, aggregate_id)
    return out


def aggregate_scope(recorder: Any, current: AggregateAsOf) -> ReadScope:
    """Whose record this is, from the aggregate's current state."""
    s = current.raw_state
    match current.kind:
        case "trust":
            return ReadScope(trust_id=s.id)
        case "staff_member":
            schools = frozenset(a.school_id for a in s.assignments)
            people = {s.id} | ({s.line_manager_id} if s.line_manager_id else set())
            return ReadScope(trust_id=s.trust_id, school_ids=schools, people=frozenset(people))
        case "appraisal_cycle":
            return ReadScope(trust_id=s.trust_id)
        case "review":
            return _review_scope(s)
        case "objective":
            return _review_scope(replay_as_of(recorder, s.review_id).raw_state)
        case "cpd_activity" | "observation":
            return _review_scope(replay_as_of(recorder, s.review_id).raw_state)
        case "evidence":
            a = s.attachment
            return ReadScope(
                trust_id=a.trust_id,
                school_ids=frozenset({a.school_id}),
                people=frozenset({a.person_id}),
            )
        case "pay_recommendation":
            return ReadScope(
                trust_id=s.trust_id,
                school_ids=frozenset({s.school_id}),
                people=frozenset({s.appraisee_id}),
            )
        case "framework":
            return ReadScope(trust_id=s.trust_id)
    # An aggregate of a kind this code does not know is shown to nobody.
    return ReadScope(trust_id=_NOBODY)


_NOBODY = UUID(int=0)


def _review_scope(review: Any) -> ReadScope:
    return ReadScope(
        trust_id=review.trust_id,
        school_ids=frozenset({review.school_id}),
        people=frozenset({review.appraisee_id, review.appraiser_id}),
    )


@router.get(
    "/events",
    summary="The audit log: every event with its actor, filterable, paged",
    description="In log order; with `since` or `until`, in time order (ties in log order), "
    "so that a time range is read straight from its index. Pass `next_cursor` back as "
    "`cursor` with the same filters.",
)
def list_audit_events(
    container: AppContainer,
    db: ReadDb,
    principal: CurrentPrincipal,
    aggregate_id: UUID | None = None,
    actor_id: UUID | None = None,
    event_type: Annotated[str | None, Query(alias="type", max_length=100)] = None,
    since: Annotated[Moment, Query(description="From this moment (inclusive)")] = None,
    until: Annotated[Moment, Query(description="Before this moment")] = None,
    trust_id: Annotated[
        UUID | None, Query(description="Platform admins only: the trust to read")
    ] = None,
    min_position: MinPosition = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Page[NamedAuditEntry]:
    fresh(container, min_position, "audit_log")
    trust = principal.trust_id or trust_id
    if not may_read_audit_log(principal, trust):
        raise Forbidden("the audit log is open to auditors, trust leaders and administrators")
    timed = since is not None or until is not None
    if timed:
        after_moment, after_position = moment_cursor(cursor)
    else:
        after_moment, after_position = None, position_cursor(cursor)
    entries = audit_log.audit_events(
        db,
        trust_id=trust,
        aggregate_id=aggregate_id,
        actor_id=actor_id,
        event_type=event_type,
        since=since,
        until=until,
        after_position=after_position,
        after_moment=after_moment,
        limit=limit,
    )
    more = len(entries) == limit
    next_cursor = None
    if more:
        last = entries[-1]
        next_cursor = (
            encode_moment_cursor(last.timestamp, last.position)
            if timed
            else encode_cursor(last.position)
        )
    return Page[NamedAuditEntry](items=named_entries(db, entries), next_cursor=next_cursor)


class FindingOut(BaseModel):
    position: int = Field(description="Log position of the affected event")
    aggregate_id: UUID | None = Field(description="Its aggregate (null: not yours to see)")
    version: int | None
    problem: str = Field(
        description="edited, deleted, reordered, inserted, missing, checkpoint; against "
        "anchors: truncated, rolled back, rewritten seal, unanchored, anchor"
    )
    detail: str


class AnchorsOut(BaseModel):
    source: str = Field(description="The anchor sink read (APPRAISALS_AUDIT_ANCHOR_SINK)")
    anchors: int = Field(description="Validly signed checkpoints anchored there")
    anchored_through: int
    confirmed_through: int = Field(description="The database matches its anchors up to here")
    not_yet_anchored: int = Field(description="Newer database checkpoints (seconds old)")


class VerificationOut(BaseModel):
    intact: bool
    intact_up_to: int = Field(description="Every event up to this position is as it was chained")
    head: int = Field(description="The last position in the log")
    sealed_through: int = Field(description="The last position under a signed checkpoint")
    events: int
    checkpoints: int
    seconds: float
    message: str
    first_problem: FindingOut | None
    problems: int
    anchors: AnchorsOut | None = Field(
        default=None, description="The comparison with the anchors, with ?anchors=true"
    )


VERIFIERS = frozenset({Role.AUDITOR, Role.ADMIN})


class PublicKeyOut(BaseModel):
    key_id: str = Field(description="Named by each checkpoint it signed (audit_checkpoints.key_id)")
    algorithm: str = Field(description="Always Ed25519")
    public_key_pem: str = Field(description="SubjectPublicKeyInfo, PEM")
    current: bool = Field(description="Signs new checkpoints; the others are retired keys")


@router.get(
    "/keys",
    summary="The public keys that verify the audit checkpoints (current and retired)",
    description="Public: with these alone anyone can verify the log's checkpoints "
    "(`appraisals audit verify --public-key FILE`) and no one can forge one.",
)
def list_audit_keys(container: AppContainer) -> list[PublicKeyOut]:
    current = SigningKey.read(signing_key_path(container.settings)).key_id
    return [
        PublicKeyOut(
            key_id=k.key_id, algorithm=ALGORITHM, public_key_pem=k.pem, current=k.key_id == current
        )
        for k in public_keys(container.settings)
    ]


@router.get(
    "/verify",
    summary="Verify the tamper-evident log: every aggregate's chain and the global chain",
)
def verify_log(
    container: AppContainer,
    db: ReadDb,
    principal: CurrentPrincipal,
    anchors: Annotated[
        bool,
        Query(
            description="Also compare the log with the checkpoints anchored outside the "
            "database (truncation, rollback, a rewritten seal): docs/audit.md"
        ),
    ] = False,
) -> VerificationOut:
    if principal.role not in VERIFIERS:
        raise Forbidden("verifying the log is open to auditors and administrators")
    anchored = None
    source = ""
    if anchors:
        sink = anchor_sink(container.settings)
        if sink is None:
            # A setting of the service, not of the request: it cannot answer this here.
            raise HTTPException(
                503, "this service anchors nowhere (APPRAISALS_AUDIT_ANCHOR_SINK=none)"
            )
        source = sink.name
        try:
            anchored = sink.read()
        except AnchorSinkError as e:
            raise HTTPException(503, f"the anchors cannot be read just now: {e}") from None
    result = verify(db, public_keys(container.settings), anchors=anchored, anchor_source=source)
    first = result.first
    out = None
    if first is not None:
        aggregate = UUID(first.aggregate_id) if first.aggregate_id else None
        if aggregate is not None and not _in_scope(container, principal, aggregate, first.position):
            # Another trust's record: the position and the kind of damage, not whose.
            out = FindingOut(
                position=first.position,
                aggregate_id=None,
                version=None,
                problem=first.problem,
                detail="an event of another trust",
            )
        else:
            out = FindingOut(
                position=first.position,
                aggregate_id=aggregate,
                version=first.version,
                problem=first.problem,
                detail=first.detail,
            )
    message = (
        f"intact up to position {result.head}"
        if out is None
        else f"not intact: the first affected event is at position {out.position} "
        f"({out.problem}); intact up to position {result.intact_up_to}"
        if out.aggregate_id is not None or out.detail == "an event of another trust"
        else f"not intact from position {out.position}: {out.problem} — {out.detail}"
    )
    return VerificationOut(
        intact=result.intact,
        intact_up_to=result.intact_up_to,
        head=result.head,
        sealed_through=result.sealed,
        events=result.events,
        checkpoints=result.checkpoints,
        seconds=round(result.seconds, 3),
        message=message,
        first_problem=out,
        problems=len(result.findings),
        anchors=None
        if result.anchors is None
        else AnchorsOut(
            source=result.anchors.source,
            anchors=result.anchors.anchors,
            anchored_through=result.anchors.anchored_through,
            confirmed_through=result.anchors.confirmed_through,
            not_yet_anchored=result.anchors.not_yet_anchored,
        ),
    )


def _in_scope(
    container: AppContainer, principal: CurrentPrincipal, aggregate_id: UUID, position: int
) -> bool:
    """Whether an aggregate belongs to the principal's trust (platform admins: any), per the
    audit log once it has reached the event."""
    if principal.trust_id is None:
        return True
    timeout = container.settings.read_your_writes_timeout
    container.projections.wait_for(position, names=["audit_log"], timeout=timeout)
    entries = audit_log.audit_events(container.projections.db, aggregate_id=aggregate_id, limit=1)
    return bool(entries) and entries[0].trust_id == principal.trust_id


class ReviewTimeline(BaseModel):
    """Everything that happened to a review and its objectives, oldest first."""

    review_id: UUID
    as_of: datetime | None
    entries: list[TimelineEntry]
    names: dict[UUID, str] = Field(default_factory=dict, description=NAMES_DESCRIPTION)


@router.get(
    "/reviews/{review_id}/timeline",
    summary="A review's timeline: its events and its objectives', with who, when and why",
)
def get_review_timeline(
    review_id: UUID,
    container: AppContainer,
    db: ReadDb,
    principal: CurrentPrincipal,
    as_of: AsOfMoment = None,
) -> ReviewTimeline:
    recorder: Any = container.store.recorder
    try:
        current = replay_as_of(recorder, review_id)
    except UnknownAggregate:
        current = None
    if current is None or current.kind != "review":
        raise hidden("review")
    if not may_read_record(principal, _review_scope(current.raw_state)):
        raise hidden("review", denied=True)
    entries = review_timeline(db, review_id, until=as_of)
    return ReviewTimeline(
        review_id=review_id, as_of=as_of, entries=entries, names=names_for(db, entries)
    )


@router.get(
    "/reviews/{review_id}/proof-pack",
    summary="A review's proof pack: its events, report and timeline, and the signed chain "
    "segments that cover them (a zip file, checked offline by `appraisals audit verify-pack`)",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "The proof pack"}},
)
def get_review_proof_pack(
    review_id: UUID, container: AppContainer, db: ReadDb, principal: CurrentPrincipal
) -> Response:
    recorder: Any = container.store.recorder
    try:
        current = replay_as_of(recorder, review_id)
    except UnknownAggregate:
        current = None
    if current is None or current.kind != "review":
        raise hidden("review")
    if not may_read_record(principal, _review_scope(current.raw_state)):
        raise hidden("review", denied=True)
    key = signing_key(container.settings)
    seal(db, key)  # normally a no-op: the server's sealer keeps up
    try:
        documents = review_documents(db, review_id)
        # The written report (HTML, PDF) as it stood at the checkpoint sealing the pack.
        documents.update(rendered_report(db, recorder, review_id, upto=last_checkpoint(db)))
        pack = build_pack(
            db,
            review_id,
            key=key,
            keys=public_keys(container.settings),
            documents=documents,
            now=datetime.now(UTC),
        )
    except PackError as e:
        # The log around the review does not verify: no pack is made of it.
        raise HTTPException(503, str(e)) from None
    return Response(
        pack.data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="review-{review_id}-proof.zip"'},
    )


@router.get(
    "/export",
    summary="The audit log as CSV or JSON Lines, streamed (the filters of /v1/audit/events)",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/csv": {}, "application/x-ndjson": {}},
            "description": "One row per event, in log order",
        }
    },
)
def export_audit_log(
    container: AppContainer,
    db: ReadDb,
    principal: CurrentPrincipal,
    format_: Annotated[Format, Query(alias="format", description="csv or jsonl")] = "csv",
    aggregate_id: UUID | None = None,
    actor_id: UUID | None = None,
    event_type: Annotated[str | None, Query(alias="type", max_length=100)] = None,
    since: Annotated[Moment, Query(description="From this moment (inclusive)")] = None,
    until: Annotated[Moment, Query(description="Before this moment")] = None,
    trust_id: Annotated[
        UUID | None, Query(description="Platform admins only: the trust to read")
    ] = None,
    min_position: MinPosition = None,
) -> StreamingResponse:
    fresh(container, min_position, "audit_log")
    trust = principal.trust_id or trust_id
    if not may_read_audit_log(principal, trust):
        raise Forbidden("the audit log is open to auditors, trust leaders and administrators")
    chunks = audit_export(
        db,
        format_,
        trust_id=trust,
        aggregate_id=aggregate_id,
        actor_id=actor_id,
        event_type=event_type,
        since=since,
        until=until,
    )
    return StreamingResponse(
        chunks,
        media_type=MEDIA_TYPES[format_],
        headers={"Content-Disposition": f'attachment; filename="audit-log.{format_}"'},
    )
