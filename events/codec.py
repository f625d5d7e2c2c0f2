"""Encoding events to stored bytes and back, with upcasting of older stored versions.

The stored state is compact JSON (orjson) of the event's fields, without the originator id
and version (the event store keeps those in their own columns), plus ``_v``: the class
version it was written at.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from typing import Any
from uuid import UUID

import orjson

from events import sealing
from events.base import DomainEvent, TopicError, resolve, topic_of, upcast
from events.sealing import Keyring

VERSION_KEY = "_v"
_ENVELOPE = {"originator_id", "originator_version"}

# The process's keyring (``privacy.keys``, installed by the composition root): with one,
# personal fields are sealed on write and opened on read (events/sealing.py); without one,
# events are written plain and sealed values read as placeholders.
_keyring: Keyring | None = None


def install_keyring(keyring: Keyring | None) -> Keyring | None:
    """Use ``keyring`` for every event encoded or decoded from now on; returns the previous."""
    global _keyring
    previous, _keyring = _keyring, keyring
    return previous


def keyring() -> Keyring | None:
    return _keyring


def forget_erased() -> None:
    """Make the process's keyring drop the keys of people erased by any process: a rebuild,
    a proof pack or an export reads history from before their ``PersonErased`` event, and
    must not open it with a key cached before another process erased them (decision 260)."""
    if _keyring is not None:
        _keyring.forget_erased()


def install_inherited_keyring() -> None:
    """In a child process (a rebuild lane): install the keyring its parent named in the
    environment (``APPRAISALS_KEYRING_FACTORY``, ``module:function``), if any."""
    spec = os.environ.get("APPRAISALS_KEYRING_FACTORY")
    if not spec:
        return
    module, _, name = spec.partition(":")
    install_keyring(getattr(importlib.import_module(module), name)())


def encode(event: DomainEvent, subject: UUID | None = None) -> tuple[str, bytes]:
    """The stable topic and stored bytes of an event (``subject``: the person it is about,
    when the event does not name them itself; see events/sealing.py)."""
    return encode_chained(event, event.prev_hash, subject)


def encode_chained(
    event: DomainEvent, prev_hash: str | None, subject: UUID | None = None
) -> tuple[str, bytes]:
    """The topic and stored bytes of ``event`` as if its ``prev_hash`` were the one given:
    the command layer stamps the chain while encoding, without copying the event first."""
    cls = type(event)
    topic = topic_of(cls)
    state = event.model_dump(exclude=_ENVELOPE)
    state["prev_hash"] = prev_hash
    if _keyring is not None:
        sealing.seal(
            _keyring,
            cls,
            state,
            topic=topic,
            originator_id=event.originator_id,
            version=event.originator_version,
            subject=sealing.subject_in(event) or subject,
        )
    state[VERSION_KEY] = cls.class_version
    return topic, orjson.dumps(state)


def decode_state(
    topic: str, data: bytes, originator_id: UUID | str = "", version: int = 0
) -> tuple[type[DomainEvent], dict[str, Any]]:
    """The event class and its fields (upcast to the current version, sealed values opened),
    without validation. A sealed event needs its aggregate id and version to open."""
    cls = resolve(topic)
    if cls.erases_subject and _keyring is not None:
        # A process following the log drops an erased person's key as it reads the erasure.
        _keyring.forget(str(UUID(str(originator_id))), erased=True)
    state: dict[str, Any] = orjson.loads(data)
    if sealing.SEALED_KEY in state:
        sealing.unseal(
            _keyring, cls, state, topic=topic, originator_id=originator_id, version=version
        )
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
    Any other record (an older version to upcast, a record with sealed personal fields to
    open, an erasure the keyring must read, a record not in ``encode``'s shape) takes
    ``decode_state``'s path: parse, open, upcast, then validate.
    """
    cls = resolve(topic)
    tail = _TAILS.get(cls)
    if tail is None:
        tail = _TAILS[cls] = b',"%s":%d}' % (VERSION_KEY.encode(), cls.class_version)
    if data.endswith(tail) and not cls.erases_subject and sealing.SEALED_MARK not in data:
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
    _, state = decode_state(topic, data, originator_id, version)
    state["originator_id"] = originator_id
    state["originator_version"] = version
    # The validator itself: ``model_validate``'s wrapper cost a tenth of opening a record.
    validated: DomainEvent = cls.__pydantic_validator__.validate_python(state)
    return validated


# The end of a record ``encode`` wrote at the class's current version: ``,"_v":N}``.
_TAILS: dict[type[DomainEvent], bytes] = {}


def record_hash(topic: str, originator_id: UUID | str, version: int, state: bytes) -> str:
    """The hash of one stored record: what the next event of its aggregate carries."""
    # The canonical form of the id (a UUID's own str; a text id is parsed to normalise it).
    oid = str(originator_id) if isinstance(originator_id, UUID) else str(UUID(originator_id))
    digest = hashlib.sha256(f"{oid}|{version}|{topic}|".encode())
    digest.update(state)
    return digest.hexdigest()
