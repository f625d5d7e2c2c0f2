"""Sealing personal data inside stored events: which values, under whose key, and back.

An event's personal and free-text fields (declared on the class, ``events.facts``) are taken
out of its stored JSON and kept in ``_p``: ``{"s": subject, "v": [[person id, sealed], ...]}``,
one sealed blob (AEAD, bound to the event and the person) per person whose data they are.
Everything else (ids, dates, outcomes, statuses) stays plain, so counts and structure
survive a person's erasure, and the hash chain covers the sealed bytes (verification needs
no key).

Whose key: the event's **subject**, the person the record is about: the staff member of a
StaffMember event, the appraisee of a review and its objectives, the owner of evidence or a
CPD activity, the observed teacher. A value model naming its own person (a panel member, an
unfinished review in a cycle's closing) seals its fields under that person's key. Events
with no subject (a trust's schools, a cycle's name, framework templates) stay plain: they are
about the organisation, not a person.

The keys themselves live outside this package (``privacy.keys``): this module sees only a
``Keyring``. A value whose key is gone (the person was erased) reads as a placeholder.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol
from uuid import UUID

import orjson
from pydantic import BaseModel

from events.base import TopicError, resolve
from events.facts import facts_of

SEALED_KEY = "_p"
# The seals' key as stored bytes (``"_p":``): outside a JSON string it can only be a key
# (inside one its quotes would be escaped), so finding it in a record's bytes means sealed.
SEALED_MARK = b'"%s":' % SEALED_KEY.encode()
# What an erased person's fields read as: a name, or words they wrote.
ERASED_PERSON = "Erased person"
ERASED_TEXT = "[erased]"


def is_sealed(state: dict[str, Any]) -> bool:
    return SEALED_KEY in state


class Keyring(Protocol):
    """Per-person data keys: seal under a person's key, open with it (None once erased)."""

    def seal(self, person: str, aad: bytes, plaintext: bytes) -> str: ...

    def open(self, person: str, aad: bytes, sealed: str) -> bytes | None: ...

    def forget(self, person: str, *, erased: bool = False) -> None: ...

    def forget_erased(self) -> None:
        """Drop the cached keys of everyone erased so far, by any process (a reader about to
        read the whole history again, such as a rebuild, asks first)."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to walk one model's stored dict: its own withheld fields (with the placeholder
    each reads as once erased), the nested models, and the field naming its own person."""

    own: tuple[tuple[str, Any], ...]
    nested: tuple[tuple[str, _Plan], ...]
    subject: str
    # (field, {value: placeholder}): the own fields are withheld only where ``field`` holds
    # one of these values, and then read as its placeholder once erased (``free_text_of``).
    only_when: tuple[str, dict[str, Any]] | None = None

    def withholds(self, state: dict[str, Any]) -> bool:
        return self.only_when is None or state.get(self.only_when[0]) in self.only_when[1]

    def placeholder(self, state: dict[str, Any], default: Any) -> Any:
        if self.only_when is None:
            return default
        value = self.only_when[1][state[self.only_when[0]]]
        return list(value) if isinstance(value, list) else value


@cache
def plan_of(model: type[BaseModel]) -> _Plan | None:
    """The walk for a model, or None when it holds nothing personal."""
    facts = facts_of(model)
    if not facts.withheld and not facts.nested:
        return None
    own = tuple(
        (name, _placeholder(model, name, name in facts.personal)) for name in sorted(facts.withheld)
    )
    nested = []
    for name in sorted(facts.nested):
        inner = _model_in(model.model_fields[name].annotation)
        inner_plan = plan_of(inner) if inner is not None else None
        if inner_plan is not None:
            nested.append((name, inner_plan))
    when = getattr(model, "free_text_of", None)
    return _Plan(own, tuple(nested), str(getattr(model, "about", "") or ""), when)


def _placeholder(model: type[BaseModel], name: str, personal: bool) -> Any:
    annotation = model.model_fields[name].annotation
    if typing.get_origin(annotation) in (tuple, list):
        return []
    return ERASED_PERSON if personal else ERASED_TEXT


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            inner = _model_in(arg)
            if inner is not None:
                return inner
    return None


def _items(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, dict)]
    return []


def _owner(state: dict[str, Any], plan: _Plan, owner: str | None) -> str | None:
    if plan.subject and plan.subject != "originator_id":
        mine = state.get(plan.subject)
        return None if mine is None else str(mine)
    return owner


def _take(state: dict[str, Any], plan: _Plan, owner: str | None, out: dict[str, list[Any]]) -> None:
    owner = _owner(state, plan, owner)
    for name, _ in plan.own if plan.withholds(state) else ():
        value = state.get(name)
        if value is None or owner is None:
            continue
        out.setdefault(owner, []).append(value)
        del state[name]
    for name, inner in plan.nested:
        for item in _items(state.get(name)):
            _take(item, inner, owner, out)


def _put(
    state: dict[str, Any], plan: _Plan, owner: str | None, values: dict[str, list[Any] | None]
) -> None:
    owner = _owner(state, plan, owner)
    for name, placeholder in plan.own if plan.withholds(state) else ():
        if owner is None or name in state:
            continue
        mine = values.get(owner)
        state[name] = mine.pop() if mine else plan.placeholder(state, placeholder)
    for name, inner in plan.nested:
        for item in _items(state.get(name)):
            _put(item, inner, owner, values)


def aad(topic: str, originator_id: UUID | str, version: int, person: str) -> bytes:
    """What a seal is bound to: the event (topic, aggregate, version) and the person, so a
    sealed value moved to another event or person does not open."""
    # An aggregate's id recurs in event after event: its hex digits are remembered (parsing
    # or formatting it each time was a fifth of opening a sealed record in a rebuild).
    key: int | str = originator_id.int if isinstance(originator_id, UUID) else originator_id
    oid = _HEX.get(key) or _hex_of(key, originator_id)
    return f"{topic}|{oid}|{version}|{person}".encode()


# The 32 hex digits of ids, by their integer (a UUID) or their text (any form ``UUID``
# accepts), remembered: bounded.
_HEX: dict[int | str, str] = {}
_HEX_MAX = 65_536


def _hex_of(key: int | str, originator_id: UUID | str) -> str:
    if len(_HEX) >= _HEX_MAX:
        _HEX.clear()
    found = _HEX[key] = (
        originator_id.hex if isinstance(originator_id, UUID) else UUID(originator_id).hex
    )
    return found


def subject_in(event: BaseModel) -> UUID | None:
    """The person an event declares itself about (its ``about`` field), if it does."""
    field = getattr(type(event), "about", "")
    if field == "originator_id":
        value = getattr(event, "originator_id", None)
    else:
        value = getattr(event, field, None) if field else None
    return value if isinstance(value, UUID) else None


def seal(
    keyring: Keyring,
    model: type[BaseModel],
    state: dict[str, Any],
    *,
    topic: str,
    originator_id: UUID,
    version: int,
    subject: UUID | None,
) -> None:
    """Move the personal values of ``state`` (an event's dumped fields) into sealed blobs."""
    plan = plan_of(model)
    if plan is None:
        return
    found: dict[str, list[Any]] = {}
    _take(state, plan, None if subject is None else str(subject), found)
    if found:
        state[SEALED_KEY] = {
            # The person the event is about (the owner of fields that name no other).
            "s": None if subject is None else str(subject),
            "v": [
                [p, keyring.seal(p, aad(topic, originator_id, version, p), orjson.dumps(values))]
                for p, values in found.items()
            ],
        }


def unseal(
    keyring: Keyring | None,
    model: type[BaseModel],
    state: dict[str, Any],
    *,
    topic: str,
    originator_id: UUID | str,
    version: int,
) -> None:
    """Put sealed values back into ``state`` in place; an erased person's (or, without a
    keyring, anyone's) read as placeholders."""
    sealed = state.pop(SEALED_KEY, None)
    plan = plan_of(model)
    if sealed is None or plan is None:
        return
    values: dict[str, list[Any] | None] = {}
    for person, blob in sealed["v"]:
        opened = (
            None
            if keyring is None
            else keyring.open(person, aad(topic, originator_id, version, person), blob)
        )
        # Reversed: _put pops from the end, in the order _take appended.
        values[person] = None if opened is None else orjson.loads(opened)[::-1]
    _put(state, plan, sealed["s"], values)


def values_of(
    model: type[BaseModel],
    fields: dict[str, Any],
    subject: str | None,
    person: str,
    *,
    items: set[str] | None = None,
) -> list[tuple[str, str]]:
    """The text values of an opened event's ``fields`` sealed under ``person``'s key, each
    with the placeholder it reads as once they are erased (their erasure scrubs these).
    ``items`` collects those that are items of a list (an erased list reads as empty)."""
    out: list[tuple[str, str]] = []

    def walk(state: dict[str, Any], plan: _Plan, owner: str | None) -> None:
        owner = _owner(state, plan, owner)
        for name, default in plan.own if plan.withholds(state) else ():
            value = state.get(name)
            if owner != person or value is None:
                continue
            placeholder = plan.placeholder(state, default)
            text = ERASED_TEXT if isinstance(placeholder, list) else str(placeholder)
            for v in value if isinstance(value, list | tuple) else [value]:
                if isinstance(v, str) and v.strip():
                    out.append((v, text))
                    if items is not None and isinstance(placeholder, list):
                        items.add(v)
        for name, inner in plan.nested:
            for item in _items(state.get(name)):
                walk(item, inner, owner)

    plan = plan_of(model)
    if plan is not None:
        walk(fields, plan, subject)
    return out


_UNKNOWN = object()


class Subjects:
    """Whom each aggregate is about, learned from the event that created it (which names its
    subject) and remembered; ``first_of`` reads an older aggregate's first stored state."""

    def __init__(
        self,
        first_of: typing.Callable[[UUID], tuple[str, bytes] | None] | None = None,
        *,
        maxsize: int = 200_000,
    ) -> None:
        self.first_of = first_of
        self.maxsize = maxsize
        self._known: dict[UUID, UUID | None] = {}

    def of(self, event: BaseModel) -> UUID | None:
        """The subject of ``event``: its own, or its aggregate's (None: about nobody)."""
        oid: UUID = event.originator_id  # type: ignore[attr-defined]
        declared = subject_in(event)
        if declared is not None:
            self._remember(oid, declared)
            return declared
        if plan_of(type(event)) is None:
            return None  # nothing to seal: no need to know
        known = self._known.get(oid, _UNKNOWN)
        if known is _UNKNOWN:
            known = self._read(oid)
            self._remember(oid, known)
        return known  # type: ignore[return-value]

    def _read(self, oid: UUID) -> UUID | None:
        first = self.first_of(oid) if self.first_of is not None else None
        if first is None:
            return None
        topic, data = first
        try:
            field = resolve(topic).about
        except TopicError:
            return None
        if field == "originator_id":
            return oid
        value = orjson.loads(data).get(field) if field else None
        return None if value is None else UUID(str(value))

    def _remember(self, oid: UUID, subject: UUID | None) -> None:
        if len(self._known) >= self.maxsize:
            self._known.clear()
        self._known[oid] = subject
