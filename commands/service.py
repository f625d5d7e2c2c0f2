"""The write application's front door: validate, authorise, decide, save — or record nothing.

``CommandService.execute`` runs one command for one principal. With an idempotency key, a
repeat of the same command returns the first result and records nothing; the key is stored
in the same transaction as the events. A stale expected version, or a concurrent writer that
got there first, is a conflict.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError, StoredEvent

from aggregates.base import Context
from aggregates.errors import Conflict, DomainError
from commands.handlers import COMMAND_HANDLERS
from commands.handling import Handling
from commands.messages import Command, client_chosen_id
from commands.principal import Principal
from commands.states import Overlay, StateCache
from commands.store import EventStoreApp, IdempotencyRecord
from events.base import DomainEvent
from events.codec import encode_chained, record_hash
from events.sealing import Subjects

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class IdempotencyKeyReused(DomainError):
    """The idempotency key was used before for a different command."""

    kind = "idempotency-key-reused"


@dataclass(frozen=True, slots=True)
class CommandResult:
    aggregate_id: UUID
    version: int
    position: int | None
    created_id: UUID | None = None
    replayed: bool = False


class CommandService:
    """Runs commands against the event store. Dependencies are passed in, never global."""

    def __init__(
        self,
        store: EventStoreApp,
        *,
        clock: Clock = system_clock,
        new_id: Callable[[], UUID] = uuid4,
        on_committed: Callable[[int], None] | None = None,
        states: StateCache | None = None,
        retry_deadline: float = 5.0,
        retry_base: float = 0.005,
        retry_cap: float = 0.25,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.states = states or StateCache(store)
        self.clock = clock
        self.new_id = new_id
        self.on_committed = on_committed
        # Retries of a conflicting save (without If-Match): full-jitter exponential backoff.
        self.retry_deadline = retry_deadline
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.jitter = jitter
        # Whom each aggregate is about: its personal fields are sealed under their key.
        self.subjects = Subjects(self._first_record)

    def _first_record(self, aggregate_id: UUID) -> tuple[str, bytes] | None:
        records = self.store.recorder.select_events(aggregate_id, limit=1)
        return (records[0].topic, records[0].state) if records else None

    def execute(
        self,
        command: Command,
        principal: Principal,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        handler = COMMAND_HANDLERS[type(command)]
        record_key = fingerprint = None
        chosen = client_chosen_id(command)
        if idempotency_key is None and chosen is not None:
            # A client-chosen id is its own idempotency key: a retry of the same command with
            # the same id answers the first result instead of a conflict.
            idempotency_key = f"new-id:{chosen}"
        if idempotency_key is not None:
            record_key = f"{principal.id}:{idempotency_key}"
            fingerprint = _fingerprint(command)
            previous = self._replay(record_key, fingerprint)
            if previous is not None:
                return previous

        # First on cached states; if the save conflicts, again on fresh states (every rule
        # checked again) after a jittered pause, until the retry deadline: contention is a
        # conflict only when it cannot be resolved in that time.
        deadline = time.monotonic() + self.retry_deadline
        for attempt in itertools.count():
            fresh = attempt > 0
            handling = Handling(
                states=self.states,
                principal=principal,
                ctx=Context(actor_id=principal.id, actor_role=principal.role, now=self.clock()),
                new_id=self.new_id,
                expected_version=expected_version,
                fresh=fresh,
            )
            outcome = handler(command, handling)
            events, records, hashes = self._chain(outcome.events)
            target_events = [e for e in events if e.originator_id == outcome.target_id]
            version = max(e.originator_version for e in target_events)
            idempotency = None
            if record_key is not None and fingerprint is not None:
                idempotency = IdempotencyRecord(
                    record_key, fingerprint, outcome.target_id, version, outcome.created_id
                )
            try:
                positions = self.store.record_stored(records, idempotency=idempotency)
            except IntegrityError:
                for e in outcome.events:
                    self.states.forget(e.originator_id)
                if record_key is not None and fingerprint is not None:
                    previous = self._replay(record_key, fingerprint)
                    if previous is not None:
                        return previous
                pause = min(self.retry_base * 2**attempt, self.retry_cap) * self.jitter()
                if time.monotonic() + pause < deadline:
                    if attempt > 0:
                        time.sleep(pause)
                    continue
                raise Conflict(
                    "someone else changed this at the same time; reload it and try again"
                ) from None
            self.states.apply(events, hashes)
            # The position of the last event the command wrote: a read model that has
            # reached it has seen the whole command.
            position = max(positions) if positions else None
            if self.on_committed is not None and positions:
                self._notify(max(positions))
            return CommandResult(outcome.target_id, version, position, outcome.created_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def check(self, command: Command, principal: Principal) -> DomainError | None:
        """Would ``command`` be accepted now? Runs the handler (policy and every rule) on the
        current states and saves nothing: None if it would, else the refusal. The dashboard
        asks this to offer only the forms that can succeed now."""
        handling = Handling(
            states=self.states,
            principal=principal,
            ctx=Context(actor_id=principal.id, actor_role=principal.role, now=self.clock()),
            new_id=self.new_id,
        )
        try:
            COMMAND_HANDLERS[type(command)](command, handling)
        except DomainError as e:
            return e
        return None

    def execute_all(
        self,
        commands: Sequence[Command],
        principal: Principal,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> list[CommandResult]:
        """Run many commands as one: each sees the states the ones before it decided, and
        their events are saved in one transaction — all of them, or (on any rejection or a
        concurrent change) none. For imports; no idempotency key (a re-run plans nothing)."""
        if not commands:
            return []
        # Memory stays near the encoded records: each outcome's events are chained and
        # encoded as soon as they are decided, and only their records are kept.
        overlay = Overlay(self.states)
        now = self.clock()
        last: dict[UUID, str | None] = {}
        records: list[StoredEvent] = []
        touched: set[UUID] = set()
        decided: list[tuple[UUID, UUID | None, int, int | None]] = []
        for i, command in enumerate(commands):
            handling = Handling(
                states=overlay,
                principal=principal,
                ctx=Context(actor_id=principal.id, actor_role=principal.role, now=now),
                new_id=self.new_id,
                fresh=True,
            )
            outcome = COMMAND_HANDLERS[type(command)](command, handling)
            overlay.apply(outcome.events, {})
            version, index = 0, None
            for e in outcome.events:
                records.append(self._record(e, last)[1])
                touched.add(e.originator_id)
                if e.originator_id == outcome.target_id:
                    version, index = e.originator_version, len(records) - 1
            decided.append((outcome.target_id, outcome.created_id, version, index))
            if progress is not None and i % 500 == 0:
                progress(i)
        del overlay
        try:
            positions = self.store.record_stored(records, idempotency=None)
        except IntegrityError:
            raise Conflict(
                "someone else changed these records at the same time; plan again and retry"
            ) from None
        finally:
            for aggregate_id in touched:
                self.states.forget(aggregate_id)
        if progress is not None:
            progress(len(commands))
        if self.on_committed is not None and positions:
            self._notify(max(positions))
        return [
            CommandResult(
                target,
                version,
                positions[index] if positions and index is not None else None,
                created,
            )
            for target, created, version, index in decided
        ]

    def _record(
        self, e: DomainEvent, last: dict[UUID, str | None]
    ) -> tuple[DomainEvent, StoredEvent]:
        """One event stamped with the hash of its aggregate's previous record (``last``
        tracks them across calls), and its encoded record."""
        if e.originator_id not in last:
            first = e.originator_version == 1
            last[e.originator_id] = None if first else self.states.last_hash(e.originator_id)
        # The stored record carries the hash; the event object (folded into cached states,
        # which never read it) is not copied to carry it too.
        topic, state = encode_chained(e, last[e.originator_id], self.subjects.of(e))
        last[e.originator_id] = record_hash(topic, e.originator_id, e.originator_version, state)
        return e, StoredEvent(e.originator_id, e.originator_version, topic, state)

    def _chain(
        self, events: list[DomainEvent]
    ) -> tuple[list[DomainEvent], list[StoredEvent], dict[UUID, str]]:
        """Stamp each event with the hash of its aggregate's previous stored record, and
        encode it for the store."""
        last: dict[UUID, str | None] = {}
        chained = []
        records = []
        for e in events:
            e, record = self._record(e, last)
            chained.append(e)
            records.append(record)
        return chained, records, {k: v for k, v in last.items() if v is not None}

    def _replay(self, key: str, fingerprint: str) -> CommandResult | None:
        record = self.store.store_recorder.find_idempotency(key)
        if record is None:
            return None
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used for a different command"
            )
        position = record.position
        if position is None:  # recorded before positions were kept: the target's event
            position = self.store.store_recorder.position_of(record.aggregate_id, record.version)
        return CommandResult(
            record.aggregate_id, record.version, position, record.created_id, replayed=True
        )

    def _notify(self, position: int) -> None:
        assert self.on_committed is not None
        try:
            self.on_committed(position)
        except Exception:
            log.exception("could not notify projections of new events")


def _fingerprint(command: Command) -> str:
    body = type(command).__name__ + ":" + command.model_dump_json()
    return hashlib.sha256(body.encode()).hexdigest()
