"""What the ledger holds about one person: their events, read-model rows and files, redacted.

One pass over the notification log (up to its head when the export starts) finds every event
in which the person is

* the **subject**: an event of a record about them (their staff record, their reviews and
  objectives, CPD, observations of them, their evidence, pay recommendations about them,
  their access grants) — the record's subject is the field ``SUBJECTS`` names on the event
  that created it;
* the **actor**: they did it;
* **named**: any field (nested ones included) holds their id.

Each event is then redacted by whose record it is (docs/privacy-subject-access.md):

* their **own** record: kept whole, colleagues' names and what colleagues wrote about them
  included (an appraiser's notes on their appraisal are their personal data);
* the **organisation's** (trust, cycle, framework): kept, but other people's fields the event
  class declares ``personal`` are withheld (their own kept), its ``free_text`` unless they
  wrote it, and other people's entries of nested lists;
* **another person's** record (they appraised, observed, or were named in it): only that the
  step happened — type, time, who did it, the people and places it names — every other field
  (judgements, outcomes, free text, titles, pay) is withheld and listed as withheld.

Personal and free-text fields are read from the declarations on the event classes
(``events.facts``), never from a list kept here.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from events.base import TOPIC_PREFIX, DomainEvent, registered_topics
from events.facts import NOTHING, ModelFacts, facts_of
from projections.engine.core import EventLog, decode
from projections.engine.db import Database

Record = Literal["own", "organisation", "other"]
Relation = Literal["subject", "actor", "named"]

# The event that creates each kind of record about a person, and the field naming that
# person (None: the record is the person's own staff record, its id theirs).
SUBJECTS: dict[str, str | None] = {
    "StaffRegistered": None,
    "ReviewStarted": "appraisee_id",
    "ObjectiveDrafted": "appraisee_id",
    "CpdPlanned": "staff_id",
    "EvidenceFileAttached": "person_id",
    "EvidenceLinkAttached": "person_id",
    "ObservationRecorded": "observed_id",
    "PayRecommendationMade": "appraisee_id",
    "RoleGranted": "person_id",
}
# Records of the organisation rather than of a person.
ORGANISATION_MODULES = frozenset({"trust", "cycle", "framework", "reminders"})
# What each kind of record is called in the readable document.
RECORD_KINDS: dict[str, str] = {
    "StaffRegistered": "staff record",
    "ReviewStarted": "review",
    "ObjectiveDrafted": "objective",
    "CpdPlanned": "CPD activity",
    "EvidenceFileAttached": "evidence",
    "EvidenceLinkAttached": "evidence",
    "ObservationRecorded": "observation",
    "PayRecommendationMade": "pay recommendation",
    "RoleGranted": "access",
}
_ENVELOPE = frozenset({"timestamp", "actor_id", "actor_role", "prev_hash"})
PAGE = 5000
_UUID_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


@dataclass(slots=True)
class RecordInfo:
    """What is known of one record (aggregate) from the events that made it."""

    kind: str
    subject_id: str | None
    # The record's own label parts: an objective's title, a cycle id...
    title: str | None = None
    cycle_id: str | None = None


@dataclass(frozen=True, slots=True)
class ExportedEvent:
    """One event as the person receives it: what it was, their part in it, what is kept."""

    position: int
    timestamp: str
    record_id: str
    record_version: int
    event_type: str
    record: Record
    relations: tuple[Relation, ...]
    actor_id: str | None
    actor_role: str | None
    fields: dict[str, Any]
    withheld: tuple[str, ...]


@dataclass(slots=True)
class Collected:
    """The person's events, the records they touch, and the log position read up to."""

    person_id: str
    up_to_position: int
    events: list[ExportedEvent] = field(default_factory=list)
    records: dict[str, RecordInfo] = field(default_factory=dict)
    own: set[str] = field(default_factory=set)

    @property
    def own_records(self) -> list[str]:
        return sorted(self.own)


def _module_of(cls: type[DomainEvent]) -> str:
    return cls.__module__.rsplit(".", 1)[-1]


def referenced_ids(value: Any) -> Iterator[str]:
    """Every id-looking string a value holds, nested values included."""
    if isinstance(value, str):
        if len(value) == 36 and value.count("-") == 4:
            yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from referenced_ids(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from referenced_ids(v)


def collect(db: Database, person_id: UUID, *, page: int = PAGE) -> Collected:
    """Every event the person is the subject, actor or named in, redacted, in log order."""
    pid = str(person_id)
    needle = pid.encode()
    classes = registered_topics()
    with db.transaction(write=False) as tx:
        log = EventLog()
        head = log.head(tx)
        out = Collected(pid, head)
        after = 0
        while after < head:
            rows = log.read(tx, after, head, page, None)
            if not rows:
                break
            for row in rows:
                _consider(out, row, needle, classes)
            after = rows[-1][0]
    return out


def _consider(
    out: Collected, row: tuple[Any, ...], needle: bytes, classes: Mapping[str, type[DomainEvent]]
) -> None:
    position, originator, version, topic, state = row
    raw = bytes(state)
    name = topic[len(TOPIC_PREFIX) :]
    mentions = needle in raw
    creates = name in SUBJECTS and version == 1
    if not (mentions or creates or originator in out.own):
        return
    event = decode((position, originator, version, topic, raw))
    data = event.data
    if creates:
        subject_field = SUBJECTS[name]
        subject = originator if subject_field is None else data.get(subject_field)
        out.records.setdefault(
            originator,
            RecordInfo(
                RECORD_KINDS[name],
                subject,
                data.get("name" if name == "StaffRegistered" else "title"),
                data.get("cycle_id"),
            ),
        )
        if subject == out.person_id:
            out.own.add(originator)
    if name == "StaffRenamed" and originator in out.own:
        out.records[originator].title = data.get("new_name")
    if name == "ObjectiveRevised" and originator in out.own:
        info = out.records.get(originator)
        for change in data.get("changes", ()):
            if info is not None and change.get("field") == "title":
                info.title = change.get("new")
    if not (mentions or originator in out.own):
        return
    relations: list[Relation] = []
    if originator in out.own:
        relations.append("subject")
    if data.get("actor_id") == out.person_id:
        relations.append("actor")
    body = {k: v for k, v in data.items() if k not in _ENVELOPE}
    if out.person_id in referenced_ids(body):
        relations.append("named")
    if not relations:
        return
    cls = classes.get(topic)
    record = _record_of(out, originator, cls)
    fields, withheld = redact(
        cls, body, record, actor=data.get("actor_id") == out.person_id, person=out.person_id
    )
    out.events.append(
        ExportedEvent(
            position=position,
            timestamp=str(data.get("timestamp")),
            record_id=originator,
            record_version=version,
            event_type=name,
            record=record,
            relations=tuple(relations),
            actor_id=data.get("actor_id"),
            actor_role=data.get("actor_role"),
            fields=fields,
            withheld=withheld,
        )
    )


def _record_of(out: Collected, originator: str, cls: type[DomainEvent] | None) -> Record:
    if originator in out.own:
        return "own"
    if originator not in out.records and (cls is None or _module_of(cls) in ORGANISATION_MODULES):
        return "organisation"
    return "other"


def redact(
    cls: type[DomainEvent] | None,
    body: dict[str, Any],
    record: Record,
    *,
    actor: bool,
    person: str = "",
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The fields of an event the person receives, and the names of those withheld."""
    if record == "own":
        return dict(body), ()
    facts = NOTHING if cls is None else facts_of(cls)
    if record == "organisation" and cls is not None:
        return _organisation(facts, body, actor=actor, person=person)
    # Another person's record (or an event of a kind this code does not know): the step
    # and the people and places it names, nothing of what it says.
    kept: dict[str, Any] = {}
    withheld: list[str] = []
    for key, value in body.items():
        if _is_reference(key, value):
            kept[key] = value
        else:
            withheld.append(key)
    return kept, tuple(sorted(withheld))


def _organisation(
    facts: ModelFacts, body: dict[str, Any], *, actor: bool, person: str
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """An organisation record's fields: personal data only where it is the person's own (the
    model names them: a governor's own appointment), free text only if they wrote it; of a
    nested list (a closed cycle's unfinished reviews) only the items naming them."""
    own_model = bool(person) and any(
        key.endswith("_id") and value == person for key, value in body.items()
    )
    hidden = (_NONE if own_model else facts.personal) | (_NONE if actor else facts.free_text)
    kept: dict[str, Any] = {}
    withheld: list[str] = []
    for key, value in body.items():
        inner = facts.nested.get(key)
        if key in hidden:
            withheld.append(key)
        elif inner is None or not inner.withheld:
            kept[key] = value
        elif isinstance(value, list):
            mine = [v for v in value if isinstance(v, dict) and person in referenced_ids(v)]
            kept[key] = [_organisation(inner, v, actor=actor, person=person)[0] for v in mine]
            if len(mine) < len(value):
                withheld.append(f"{key} (other people's entries)")
        elif isinstance(value, dict) and person in referenced_ids(value):
            kept[key] = _organisation(inner, value, actor=actor, person=person)[0]
        else:
            withheld.append(key)
    return kept, tuple(sorted(withheld))


_NONE: frozenset[str] = frozenset()


def _is_reference(key: str, value: Any) -> bool:
    if key.endswith("_id"):
        return value is None or isinstance(value, str)
    if key.endswith("_ids"):
        return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    return False


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "[withheld]"


_FORMATTER = string.Formatter()


def summary_line(event: ExportedEvent, template: str, names: Mapping[str, str]) -> str:
    """The event's one-line account with names for ids and ``[withheld]`` for what is not
    the person's to receive."""
    values = _Fields()
    for key, value in event.fields.items():
        values[key] = readable(value, names)
    if event.event_type == "ObjectiveRevised" and "changes" in event.fields:
        values["fields"] = ", ".join(c.get("field", "") for c in event.fields["changes"])
    try:
        return template.format_map(values)
    except (ValueError, IndexError, AttributeError):
        return event.event_type


def readable(value: Any, names: Mapping[str, str]) -> str:
    """A value as a person reads it: ids as names, lists joined, nothing left as an id."""
    if value is None:
        return "none"
    if isinstance(value, str):
        return _UUID_TEXT.sub(lambda m: names.get(m.group(0), "an unnamed record"), value)
    if isinstance(value, list | tuple):
        return ", ".join(readable(v, names) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {readable(v, names)}" for k, v in value.items())
    return str(value)


def ids_of(events: Iterable[ExportedEvent]) -> set[str]:
    """Every id the exported events mention (records, actors and kept fields)."""
    found: set[str] = set()
    for e in events:
        found.add(e.record_id)
        if e.actor_id:
            found.add(e.actor_id)
        found.update(referenced_ids(e.fields))
    return found


def timestamp_of(event: ExportedEvent) -> datetime:
    return datetime.fromisoformat(event.timestamp)
