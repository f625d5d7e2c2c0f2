"""``codec.decode``: the fast path (validated straight from the stored bytes) gives exactly the
event the dict path gives, for every event of a realistic history; older versions are still
upcast; a record in another shape falls back; typed fields hold their types."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import orjson
import pytest
from pydantic import ValidationError

from events import objective as ob
from events.base import TopicError, resolve
from events.codec import VERSION_KEY, decode, decode_state, encode
from testkit.synthetic import History


def _slow(topic: str, data: bytes, oid: UUID | str, version: int) -> object:
    cls, state = decode_state(topic, data, oid, version)
    return cls.model_validate({**state, "originator_id": oid, "originator_version": version})


def test_the_fast_path_decodes_every_event_of_a_history_as_the_dict_path_does() -> None:
    seen: set[str] = set()
    for event in History(3).events(trusts=1, schools=2, staff_per_school=4, cycles=2):
        topic, data = encode(event)
        for oid in (event.originator_id, str(event.originator_id)):
            got = decode(topic, data, oid, event.originator_version)
            assert got == event == _slow(topic, data, oid, event.originator_version)
            assert type(got) is type(event)
        seen.add(topic)
    assert len(seen) >= 25


def test_typed_fields_hold_their_types() -> None:
    event = next(
        e
        for e in History(3).events(trusts=1, schools=1, staff_per_school=2, cycles=1)
        if isinstance(e, ob.ObjectiveDrafted)
    )
    got = decode(*encode(event), str(event.originator_id), event.originator_version)
    assert isinstance(got, ob.ObjectiveDrafted)
    assert isinstance(got.originator_id, UUID) and isinstance(got.review_id, UUID)
    assert isinstance(got.timestamp, datetime) and isinstance(got.due_date, date)
    assert isinstance(got.success_criteria, tuple)


def test_an_older_version_is_upcast() -> None:
    state = {
        "timestamp": "2025-09-01T09:00:00+00:00",
        "actor_id": str(UUID(int=1)),
        "actor_role": "staff",
        "review_id": str(UUID(int=2)),
        "cycle_id": str(UUID(int=3)),
        "appraisee_id": str(UUID(int=4)),
        "title": "Reading",
        "description": "Whole-class reading",
        "success_criteria": "- Scores rise\n- Pupils read daily",
        "due_date": "2026-03-01",
        VERSION_KEY: 1,
    }
    got = decode("appraisals/ObjectiveDrafted", orjson.dumps(state), str(UUID(int=9)), 1)
    assert isinstance(got, ob.ObjectiveDrafted)
    assert got.success_criteria == ("Scores rise", "Pupils read daily")


def test_a_record_without_its_version_or_in_another_order_takes_the_dict_path() -> None:
    event = next(iter(History(3).events(trusts=1, schools=1, staff_per_school=1, cycles=1)))
    topic, data = encode(event)
    state = orjson.loads(data)
    version = state.pop(VERSION_KEY)
    reordered = orjson.dumps({VERSION_KEY: version, **state})
    assert decode(topic, reordered, event.originator_id, event.originator_version) == event
    if resolve(topic).class_version == 1:
        bare = orjson.dumps(state)
        assert decode(topic, bare, event.originator_id, event.originator_version) == event


def test_a_newer_version_than_the_code_is_refused() -> None:
    event = next(iter(History(3).events(trusts=1, schools=1, staff_per_school=1, cycles=1)))
    topic, data = encode(event)
    state = {**orjson.loads(data), VERSION_KEY: 99}
    with pytest.raises(TopicError):
        decode(topic, orjson.dumps(state), event.originator_id, event.originator_version)


def test_an_originator_id_cannot_smuggle_fields_into_the_json() -> None:
    event = next(iter(History(3).events(trusts=1, schools=1, staff_per_school=1, cycles=1)))
    topic, data = encode(event)
    smuggled = f'{event.originator_id}","actor_role":"admin'
    with pytest.raises(ValidationError):
        decode(topic, data, smuggled, event.originator_version)
