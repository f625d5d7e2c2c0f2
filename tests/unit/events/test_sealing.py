"""Sealing personal data in stored events: plain structure, sealed values, placeholders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from events import codec
from events.base import Role
from events.cycle import CycleClosed, UnfinishedReview
from events.objective import ObjectiveDrafted, ObjectiveWithdrawn
from events.sealing import ERASED_PERSON, ERASED_TEXT, Subjects
from events.staff import StaffRegistered
from events.values import StaffCategory
from privacy.crypto import AESGCM, new_data_key, open_, seal

NOW = datetime(2026, 9, 1, tzinfo=UTC)


class MemoryKeyring:
    """Per-person keys in a dict; erasing deletes one."""

    def __init__(self) -> None:
        self.keys: dict[str, AESGCM] = {}

    def seal(self, person: str, aad: bytes, plaintext: bytes) -> str:
        key = self.keys.setdefault(person, AESGCM(new_data_key()))
        return seal(key, plaintext, aad)

    def open(self, person: str, aad: bytes, sealed: str) -> bytes | None:
        key = self.keys.get(person)
        return None if key is None else open_(key, sealed, aad)

    def forget(self, person: str, *, erased: bool = False) -> None:
        if erased:
            self.keys.pop(person, None)

    def forget_erased(self) -> None:
        """In memory the erasures are this ring's own (``forget``)."""


@pytest.fixture
def keyring() -> Iterator[MemoryKeyring]:
    ring = MemoryKeyring()
    previous = codec.install_keyring(ring)
    yield ring
    codec.install_keyring(previous)


def _registered(name: str = "Jane Smith", email: str = "jane@example.org") -> StaffRegistered:
    staff = uuid4()
    return StaffRegistered(
        originator_id=staff,
        originator_version=1,
        timestamp=NOW,
        actor_id=uuid4(),
        actor_role=Role.ADMIN,
        trust_id=uuid4(),
        name=name,
        email=email,
        job_title="Teacher",
        category=StaffCategory.TEACHER,
    )


def test_personal_fields_are_stored_sealed_and_structure_plain(keyring: MemoryKeyring) -> None:
    event = _registered()
    _, data = codec.encode(event)
    assert b"Jane" not in data and b"jane@example.org" not in data
    stored = orjson.loads(data)
    assert stored["job_title"] == "Teacher" and stored["trust_id"] == str(event.trust_id)
    assert stored["_p"]["s"] == str(event.originator_id)
    assert list(keyring.keys) == [str(event.originator_id)]


@pytest.mark.usefixtures("keyring")
def test_a_sealed_event_decodes_to_itself() -> None:
    event = _registered()
    topic, data = codec.encode(event)
    assert codec.decode(topic, data, event.originator_id, 1) == event


def test_an_erased_persons_fields_read_as_placeholders_never_an_error(
    keyring: MemoryKeyring,
) -> None:
    event = _registered()
    topic, data = codec.encode(event)
    del keyring.keys[str(event.originator_id)]
    back = codec.decode(topic, data, event.originator_id, 1)
    assert isinstance(back, StaffRegistered)
    assert (back.name, back.email, back.preferred_name) == (ERASED_PERSON, ERASED_PERSON, None)
    assert back.job_title == "Teacher"


@pytest.mark.usefixtures("keyring")
def test_a_sealed_value_copied_into_another_event_does_not_open() -> None:
    from privacy.crypto import InvalidTag

    event = _registered()
    topic, data = codec.encode(event)
    with pytest.raises(InvalidTag):
        codec.decode(topic, data, event.originator_id, 2)


def test_free_text_takes_the_key_of_the_person_the_record_is_about(
    keyring: MemoryKeyring,
) -> None:
    appraisee = uuid4()
    drafted = ObjectiveDrafted(
        originator_id=uuid4(),
        originator_version=1,
        timestamp=NOW,
        actor_id=uuid4(),
        actor_role=Role.STAFF,
        review_id=uuid4(),
        cycle_id=uuid4(),
        appraisee_id=appraisee,
        title="Raise reading ages in Year 7",
        description="Phonics catch-up",
        success_criteria=("Half a year's gain",),
        due_date=date(2027, 6, 1),
    )
    subjects = Subjects()
    topic, data = codec.encode(drafted, subjects.of(drafted))
    assert orjson.loads(data)["_p"]["s"] == str(appraisee)
    withdrawn = ObjectiveWithdrawn(
        originator_id=drafted.originator_id,
        originator_version=2,
        timestamp=NOW,
        actor_id=uuid4(),
        actor_role=Role.STAFF,
        reason="Moved to the sixth form",
    )
    # A later event of the aggregate does not name its appraisee: it is remembered.
    _, later = codec.encode(withdrawn, subjects.of(withdrawn))
    assert orjson.loads(later)["_p"]["s"] == str(appraisee)
    del keyring.keys[str(appraisee)]
    back = codec.decode(topic, data, drafted.originator_id, 1)
    assert isinstance(back, ObjectiveDrafted)
    assert (back.title, back.description, back.success_criteria, back.due_date) == (
        ERASED_TEXT,
        ERASED_TEXT,
        (),
        date(2027, 6, 1),
    )


def test_a_nested_persons_fields_take_their_own_key(keyring: MemoryKeyring) -> None:
    jane, ali = uuid4(), uuid4()
    closed = CycleClosed(
        originator_id=uuid4(),
        originator_version=3,
        timestamp=NOW,
        actor_id=uuid4(),
        actor_role=Role.TRUST_LEADER,
        reason="End of year",
        unfinished=tuple(
            UnfinishedReview(
                review_id=uuid4(),
                school_id=uuid4(),
                appraisee_id=who,
                appraisee_name=name,
                left_at="planning",
            )
            for who, name in ((jane, "Jane Smith"), (ali, "Ali Khan"))
        ),
    )
    topic, data = codec.encode(closed)
    assert b"Jane Smith" not in data and b"Ali Khan" not in data
    # A cycle's own words are about the organisation: plain.
    assert b"End of year" in data
    del keyring.keys[str(jane)]
    back = codec.decode(topic, data, closed.originator_id, 3)
    assert isinstance(back, CycleClosed)
    assert [u.appraisee_name for u in back.unfinished] == [ERASED_PERSON, "Ali Khan"]


@given(
    st.text(min_size=1, max_size=40),
    st.emails(),
    st.one_of(st.none(), st.text(min_size=1, max_size=20)),
)
def test_every_staff_registration_round_trips_sealed(
    name: str, email: str, preferred: str | None
) -> None:
    ring = MemoryKeyring()
    previous = codec.install_keyring(ring)
    try:
        event = _registered(name, email).model_copy(update={"preferred_name": preferred})
        topic, data = codec.encode(event)
        assert codec.decode(topic, data, event.originator_id, 1) == event
    finally:
        codec.install_keyring(previous)


def test_without_a_keyring_events_are_written_plain() -> None:
    previous = codec.install_keyring(None)
    try:
        _, data = codec.encode(_registered())
    finally:
        codec.install_keyring(previous)
    assert b"Jane Smith" in data and b"_p" not in data


@pytest.mark.usefixtures("keyring")
def test_subjects_reads_an_older_aggregates_subject_from_its_first_record() -> None:
    staff = _registered()
    topic, data = codec.encode(staff)
    subjects = Subjects(lambda oid: (topic, data) if oid == staff.originator_id else None)
    assert subjects.of(staff) == staff.originator_id
    assert Subjects(lambda _: (topic, data))._read(UUID(int=5)) == UUID(int=5)
