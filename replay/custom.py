"""Analysts' own projections: a small class over event types, run over the whole history.

An analyst writes, in a file of their own::

    from replay.custom import AnalystEvent, AnalystProjection, on

    class RevisionsPerCycle(AnalystProjection):
        \"\"\"How many objective revisions each cycle saw.\"\"\"

        columns = ("cycle_id", "revisions")

        def __init__(self) -> None:
            super().__init__()
            self.cycle_of: dict[str, str] = {}
            self.revisions: dict[str, int] = {}

        @on("ObjectiveDrafted")
        def drafted(self, e: AnalystEvent) -> None:
            self.cycle_of[e.aggregate_id] = e["cycle_id"]

        @on("ObjectiveRevised")
        def revised(self, e: AnalystEvent) -> None:
            cycle = self.cycle_of[e.aggregate_id]
            self.revisions[cycle] = self.revisions.get(cycle, 0) + 1

        def finish(self) -> None:
            for cycle, n in sorted(self.revisions.items()):
                self.emit(cycle_id=cycle, revisions=n)

and runs ``appraisals replay run file.py:RevisionsPerCycle --out result.csv``. Handlers get
each event of their types in log order, read from the log in pages by the engine's own
``EventLog`` and decoded by its ``decode``, as the built-in read models are; only the topics
the handlers name are read. ``emit`` adds an output row (in a handler, or in ``finish`` once
every event has been seen). Identities are pseudonymised (``replay.pseudonyms``) unless the
run is explicitly told otherwise.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from events.base import TOPIC_PREFIX, registered_topics, resolve
from projections.engine.core import EVENTS_TABLE, Event, EventLog, decode
from projections.engine.db import Database
from replay.pseudonyms import Pseudonymiser

# Log positions read per page.
SPAN = 10_000
F = TypeVar("F", bound=Callable[..., Any])
_AGGREGATE_TYPES = {
    "events.trust": "trust",
    "events.staff": "staff_member",
    "events.cycle": "appraisal_cycle",
    "events.review": "review",
    "events.objective": "objective",
    "events.cpd": "cpd_activity",
    "events.evidence": "evidence",
    "events.observation": "observation",
    "events.framework": "framework",
}


def on(*event_types: str) -> Callable[[F], F]:
    """Mark a method as the handler of these event types (``"ObjectiveRevised"``, ...)."""

    def mark(method: F) -> F:
        method.__analyst_events__ = (  # type: ignore[attr-defined]
            *getattr(method, "__analyst_events__", ()),
            *event_types,
        )
        return method

    return mark


@dataclass(frozen=True, slots=True)
class AnalystEvent:
    """One event as analysts see it. Ids of people and their records are pseudonyms."""

    position: int
    type: str
    aggregate_type: str
    aggregate_id: str
    version: int
    timestamp: datetime
    actor_id: str | None
    actor_role: str | None
    data: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.data[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    @property
    def day(self) -> date:
        """The (UTC) day the event happened."""
        return self.timestamp.date()


class AnalystProjection:
    """Base of analysts' projections: ``@on(...)`` handlers, ``emit`` rows, ``finish``."""

    # The output's columns, in order; by default every key emitted, in first-seen order.
    columns: ClassVar[tuple[str, ...] | None] = None

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def emit(self, row: Mapping[str, Any] | None = None, /, **values: Any) -> None:
        """Add one output row."""
        self.rows.append({**(row or {}), **values})

    def finish(self) -> None:
        """Called once after the last event: emit aggregated rows here."""

    @classmethod
    def handlers(cls) -> dict[str, list[str]]:
        """Event type -> names of the methods that handle it."""
        found: dict[str, list[str]] = {}
        for name, member in inspect.getmembers(cls, inspect.isfunction):
            for event_type in getattr(member, "__analyst_events__", ()):
                found.setdefault(event_type, []).append(name)
        return found

    def output_columns(self) -> list[str]:
        if self.columns is not None:
            return list(self.columns)
        seen: dict[str, None] = {}
        for row in self.rows:
            seen.update(dict.fromkeys(row))
        return list(seen)


@dataclass
class Run:
    """What a run produced: the projection (with its rows) and how much it read."""

    projection: AnalystProjection
    events: int = 0
    head: int = 0
    columns: list[str] = field(default_factory=list)


class UnknownEventType(ValueError):
    pass


def run(
    db: Database,
    projection: AnalystProjection,
    *,
    pseudonymiser: Pseudonymiser | None,
    table: str = EVENTS_TABLE,
    span: int = SPAN,
    progress: Callable[[int, int], None] | None = None,
) -> Run:
    """Feed the whole log (the handled types only), in log order, to ``projection``."""
    handlers = type(projection).handlers()
    # Restricted events (the pay recommendation) are never given to analysts' code.
    known = {
        t.removeprefix(TOPIC_PREFIX): cls
        for t, cls in registered_topics().items()
        if not cls.restricted
    }
    unknown = sorted(set(handlers) - set(known))
    if unknown:
        raise UnknownEventType(
            f"no such event type: {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    dispatch = {
        TOPIC_PREFIX + t: [getattr(projection, name) for name in names]
        for t, names in handlers.items()
    }
    kinds = {
        TOPIC_PREFIX + t: _AGGREGATE_TYPES.get(c.__module__, "unknown") for t, c in known.items()
    }
    topics = frozenset(dispatch)
    log = EventLog(table)
    with db.transaction(write=False) as tx:
        head = log.head(tx)
    outcome = Run(projection, head=head)
    after = 0
    while after < head and topics:
        # A bounded range of positions per page (all its rows of these topics): one index
        # range each, however sparse the topics are in the log.
        upto = min(after + span, head)
        with db.transaction(write=False) as tx:
            rows = log.read(tx, after, upto, span, topics)
        for event in (decode(r) for r in rows):
            seen = _analyst_event(event, kinds[event.topic], pseudonymiser)
            for handle in dispatch[event.topic]:
                handle(seen)
        outcome.events += len(rows)
        after = upto
        if progress is not None:
            progress(after, head)
    projection.finish()
    outcome.columns = projection.output_columns()
    return outcome


def _analyst_event(e: Event, kind: str, pseudonymiser: Pseudonymiser | None) -> AnalystEvent:
    data = dict(e.data)
    timestamp = datetime.fromisoformat(data.pop("timestamp"))
    actor = data.pop("actor_id", None)
    role = data.pop("actor_role", None)
    data.pop("prev_hash", None)
    aggregate = e.originator_id
    if pseudonymiser is not None:
        aggregate = pseudonymiser.aggregate(kind, aggregate)
        actor = pseudonymiser(actor) if actor else None
        data = pseudonymiser.data(resolve(e.topic), data)
    return AnalystEvent(
        e.position, e.type, kind, aggregate, e.originator_version, timestamp, actor, role, data
    )


def load(spec: str) -> type[AnalystProjection]:
    """The projection class named by ``path/to/file.py:ClassName`` (or the file's only one)."""
    path_text, _, name = spec.partition(":")
    path = Path(path_text)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    stem = re.sub(r"\W", "_", path.stem)
    module_name = f"analyst_{stem}_{abs(hash(path.resolve()))}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    module_spec.loader.exec_module(module)
    candidates = {
        n: c
        for n, c in vars(module).items()
        if isinstance(c, type)
        and issubclass(c, AnalystProjection)
        and c is not AnalystProjection
        and c.__module__ == module_name
    }
    if name:
        found = candidates.get(name)
        if found is None:
            raise LookupError(f"{path} defines no AnalystProjection called {name}")
        return found
    if len(candidates) != 1:
        raise LookupError(f"name one of {', '.join(sorted(candidates)) or 'none'}: {spec}:Name")
    return next(iter(candidates.values()))


def cell(value: Any) -> Any:
    """An output value as CSV or a database column takes it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset | dict):
        return str(value)
    return value


def table_rows(outcome: Run) -> Iterator[list[Any]]:
    for row in outcome.projection.rows:
        yield [cell(row.get(c)) for c in outcome.columns]
