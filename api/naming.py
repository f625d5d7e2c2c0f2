"""Names beside ids: every answer that carries the id of a person, school, cycle or priority
also carries its display name, from the directory read model (``projections.directory``).

``names_for`` collects the ids an answer holds and looks them all up at once; history views
use ``label_then`` to show names as they were when a thing happened.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from projections.directory import UUID_TEXT, Names, label_then, named_text
from projections.engine.db import Database

NAMES_DESCRIPTION = (
    "Display names (as of now) of the people, schools, cycles and priorities whose ids this "
    "answer carries"
)


def ids_in(value: Any, found: set[str] | None = None) -> set[str]:
    """Every UUID held anywhere in a value (models, dataclasses, mappings, sequences)."""
    found = set() if found is None else found
    if isinstance(value, UUID):
        found.add(str(value))
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            ids_in(getattr(value, name), found)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            ids_in(getattr(value, f.name), found)
    elif isinstance(value, Mapping):
        for v in value.values():
            ids_in(v, found)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            ids_in(v, found)
    elif isinstance(value, str) and len(value) == 36 and UUID_TEXT.fullmatch(value):
        found.add(value)
    return found


def names_for(db: Database, *values: Any) -> dict[UUID, str]:
    """The display names of every known id in ``values``."""
    ids: set[str] = set()
    for v in values:
        ids_in(v, ids)
    return {UUID(k): v for k, v in Names(db).now(ids).items()}


__all__ = ["NAMES_DESCRIPTION", "ids_in", "label_then", "named_text", "names_for"]
