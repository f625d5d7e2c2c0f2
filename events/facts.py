"""Facts about events, read from the declarations on the event classes themselves.

Each event class declares, beside its fields (see ``events.base.DomainEvent``):

* ``audit_summary``: the audit log's one-line account, a ``str.format`` template over the
  event's own fields;
* ``personal``: the fields that name or identify a person (names, email);
* ``free_text``: the fields people write in their own words (notes, reasons, comments...).

A value model nested in an event (``PanelMember`` in ``PanelAppointed``, ``ObjectiveNote`` in
``AssessmentWritten``) declares ``personal`` and ``free_text`` the same way, and ``facts_of``
follows the event's field types to it. The audit log, the pseudonymised export for analysts
and the SQL rebuild read these facts here, so adding an event means declaring them once, on
the event.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel

from events.base import TOPIC_PREFIX, DomainEvent, registered_topics

_NO_FIELDS: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """What one model's fields hold, and the same for each field holding nested models."""

    personal: frozenset[str] = _NO_FIELDS
    free_text: frozenset[str] = _NO_FIELDS
    nested: typing.Mapping[str, ModelFacts] = field(default_factory=dict)

    @property
    def withheld(self) -> frozenset[str]:
        """Personal data and free text: what an export without names leaves out."""
        return self.personal | self.free_text

    def paths(self, which: str = "withheld") -> list[tuple[str, ...]]:
        """Every field of ``which`` kind (personal, free_text or withheld), nested ones as
        paths: ``("panel", "name")`` is the ``name`` of each member of ``panel``."""
        own: frozenset[str] = getattr(self, which)
        out: list[tuple[str, ...]] = [(name,) for name in sorted(own)]
        for name, inner in sorted(self.nested.items()):
            out += [(name, *path) for path in inner.paths(which)]
        return out


NOTHING = ModelFacts()


@cache
def facts_of(model: type[BaseModel]) -> ModelFacts:
    """The declared facts of an event class (or value model), nested models included."""
    nested = {
        name: inner
        for name, info in model.model_fields.items()
        for inner in [_nested_facts(info.annotation)]
        if inner is not NOTHING
    }
    personal = getattr(model, "personal", _NO_FIELDS)
    free_text = getattr(model, "free_text", _NO_FIELDS)
    unknown = (personal | free_text) - model.model_fields.keys()
    if unknown:
        raise TypeError(f"{model.__name__} declares facts about fields it lacks: {unknown}")
    if not (personal or free_text or nested):
        return NOTHING
    return ModelFacts(personal, free_text, nested)


def _nested_facts(annotation: Any) -> ModelFacts:
    """The facts of the model a field holds (directly, optionally or in a tuple/list)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return facts_of(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            inner = _nested_facts(arg)
            if inner is not NOTHING:
                return inner
    return NOTHING


def personal_fields(event: type[BaseModel]) -> frozenset[str]:
    """The event's own fields that name or identify a person."""
    return facts_of(event).personal


def free_text_fields(event: type[BaseModel]) -> frozenset[str]:
    """The event's own fields people write in their own words."""
    return facts_of(event).free_text


def audit_summary(event: type[DomainEvent]) -> str:
    """The event's audit-log template; its stored name when it declares none."""
    return event.audit_summary or event.topic.removeprefix(TOPIC_PREFIX)


def summaries() -> dict[str, str]:
    """Every registered event's audit template, by stored event name."""
    return {
        topic.removeprefix(TOPIC_PREFIX): audit_summary(cls)
        for topic, cls in registered_topics().items()
    }


def event_class(name: str) -> type[DomainEvent] | None:
    """The registered event class stored under ``name`` (``ObjectiveDrafted``)."""
    return registered_topics().get(TOPIC_PREFIX + name)
