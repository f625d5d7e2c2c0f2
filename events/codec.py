"""Encoding events to stored bytes and back, with upcasting of older stored versions.

The stored state is compact JSON (orjson) of the event's fields, without the originator id
and version (the event store keeps those in their own columns), plus ``_v``: the class
version it was written at.
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

import orjson

from events.base import DomainEvent, TopicError, resolve, topic_of, upcast

VERSION_KEY = "_v"
_ENVELOPE = {"originator_id", "originator_version"}


def encode(event: DomainEvent) -> tuple[str, bytes]:
    """The stable topic and stored bytes of an event."""
    cls = type(event)
    state = event.model_dump(exclude=_ENVELOPE)
    state[VERSION_KEY] = cls.class_version
    return topic_of(cls), orjson.dumps(state)


def encode_chained(event: DomainEvent, prev_hash: str | None) -> tuple[str, bytes]:
    """The topic and stored bytes of ``event`` as if its ``prev_hash`` were the one given:
    the command layer stamps the chain while encoding, without copying the event first."""
    cls = type(event)
    state = event.model_dump(exclude=_ENVELOPE)
    state["prev_hash"] = prev_hash
    state[VERSION_KEY] = cls.class_version
    return topic_of(cls), orjson.dumps(state)


def decode_state(topic: str, data: bytes) -> tuple[type[DomainEvent], dict[str, Any]]:
    """The event class and its fields (upcast to the current version), without validation."""
    cls = resolve(topic)
    state: dict[str, Any] = orjson.loads(data)
    stored_version = state.pop(VERSION_KEY, 1)
    if stored_version > cls.class_version:
        raise TopicError(
            f"{cls.__name__} was stored at version {stored_version}, newer than this code's "
            f"{cls.class_version}: upgrade the service before reading it"
        )
    if stored_version != cls.class_version:
        state = upcast(cls, state, stored_version)
    return cls, state


def decode(topic: str, data: bytes, originator_id: UUID | str, version: int) -> DomainEvent:
    """Rebuild the event object from its stored record: the one place stored bytes become
    an event (validated, upcast to the current version).

    A record stored at the class's current version (the common case) is validated by
    pydantic straight from its bytes, with the envelope spliced in: no Python dict is built.
    Any other record (an older version to upcast, a record not in ``encode``'s shape) takes
    ``decode_state``'s path: parse, upcast, then validate.
    """
    cls = resolve(topic)
    tail = _TAILS.get(cls)
    if tail is None:
        tail = _TAILS[cls] = b',"%s":%d}' % (VERSION_KEY.encode(), cls.class_version)
    if data.endswith(tail):
        oid = originator_id if isinstance(originator_id, str) else str(originator_id)
        if '"' not in oid and "\\" not in oid:
            whole = b"".join(
                (
                    data[: -len(tail)],
                    b',"originator_id":"',
                    oid.encode(),
                    b'","originator_version":',
                    b"%d}" % version,
                )
            )
            event: DomainEvent = cls.__pydantic_validator__.validate_json(whole)
            return event
    _, state = decode_state(topic, data)
    state["originator_id"] = originator_id
    state["originator_version"] = version
    return cls.model_validate(state)


# The end of a record ``encode`` wrote at the class's current version: ``,"_v":N}``.
_TAILS: dict[type[DomainEvent], bytes] = {}


def record_hash(topic: str, originator_id: UUID | str, version: int, state: bytes) -> str:
    """The hash of one stored record: what the next event of its aggregate carries."""
    # The canonical form of the id (a UUID's own str; a text id is parsed to normalise it).
    oid = str(originator_id) if isinstance(originator_id, UUID) else str(UUID(originator_id))
    digest = hashlib.sha256(f"{oid}|{version}|{topic}|".encode())
    digest.update(state)
    return digest.hexdigest()
