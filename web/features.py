"""Where the replay issue's features plug in: summaries as they were at a past moment and the
audit log's verification. Until they exist the pages show those controls disabled, with a note."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def _find(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if callable(found) else None


def summary_as_of() -> Callable[..., Any] | None:
    """The function giving a school's or trust's summary as of a past moment, once it exists."""
    return None


def verify_log() -> Callable[..., Any] | None:
    """The function recomputing the audit log's hash chains, once it exists."""
    return None


__all__ = ["_find", "summary_as_of", "verify_log"]
