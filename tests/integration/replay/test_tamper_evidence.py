"""Tamper evidence on both stores: edit a payload, delete a row, swap two rows with SQL, and
``verify`` names the first affected event each time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from appraisals.wiring import build
from commands import messages as m
from config.settings import Settings
from projections.engine.connection import connect
from projections.engine.db import Database
from replay.chain import read_records, seal
from replay.keys import PublicKeys, SigningKey
from replay.verify import verify
from testkit.scenario import build_org
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration

KEY = SigningKey.generate()


@dataclass
class Store:
    db: Database
    objective: UUID
    # Log position -> (aggregate id, version)
    at: dict[int, tuple[str, int]]

    @property
    def postgres(self) -> bool:
        return self.db.dialect == "postgresql"

    @property
    def position(self) -> str:
        return "notification_id" if self.postgres else "rowid"

    def sql(self, statement: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(statement)

    def position_of(self, aggregate: UUID, version: int) -> int:
        return next(p for p, v in self.at.items() if v == (str(aggregate), version))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'events.db'}"
    else:
        url = create_database("appraisals_tamper")
    container = build(Settings(database_url=url), run_projections=False)
    try:
        org = build_org(container.commands)
        run = container.commands.execute
        objective = run(
            m.DraftObjective(
                review_id=org.review_id,
                title="Improve Year 2 phonics",
                success_criteria=["90% pass the screening check"],
                due_date=date(2026, 6, 30),
            ),
            org.appraiser,
        ).aggregate_id
        run(m.AgreeObjective(objective_id=objective), org.appraiser)
        run(m.AgreeObjective(objective_id=objective), org.appraisee)
        run(m.RecordProgress(objective_id=objective, percent=40, note="On track"), org.appraisee)
        db = connect(url)
        with db.transaction(write=False) as tx:
            column = "notification_id" if db.dialect == "postgresql" else "rowid"
            rows = tx.query(
                f"SELECT {column}, originator_id, originator_version FROM appraisals_events"
            )
        at = {int(p): (str(UUID(str(o))), int(v)) for p, o, v in rows}
        yield Store(db, objective, at)
        db.close()
    finally:
        container.close()
        if request.param == "postgresql":
            drop_database(url)


def test_an_untouched_sealed_log_verifies_intact(store: Store) -> None:
    sealed = seal(store.db, KEY, segment=7)
    head = max(store.at)
    assert sealed is not None and sealed.position == head and sealed.added == len(store.at)
    result = verify(store.db, KEY.public)
    assert result.intact and result.intact_up_to == head and result.sealed == head
    assert result.checkpoints == -(-len(store.at) // 7)
    assert "intact up to position" in result.describe()


def test_an_edited_payload_is_named(store: Store) -> None:
    seal(store.db, KEY)
    drafted = store.position_of(store.objective, 1)
    if store.postgres:
        store.sql(
            "UPDATE appraisals_events SET state = convert_to(replace(convert_from(state, "
            f"'UTF8'), '2026-06-30', '2026-07-31'), 'UTF8') WHERE notification_id = {drafted}"
        )
    else:
        store.sql(
            "UPDATE appraisals_events SET state = CAST(replace(CAST(state AS TEXT), '2026-06-30', "
            f"'2026-07-31') AS BLOB) WHERE rowid = {drafted}"
        )
    result = verify(store.db, KEY.public)
    first = result.first
    assert first is not None
    assert (first.position, first.aggregate_id, first.version) == (
        drafted,
        str(store.objective),
        1,
    )
    assert first.problem == "edited"
    assert result.intact_up_to == drafted - 1
    assert "NOT intact" in result.describe()


def test_a_deleted_row_is_named(store: Store) -> None:
    seal(store.db, KEY)
    agreed = store.position_of(store.objective, 2)
    store.sql(f"DELETE FROM appraisals_events WHERE {store.position} = {agreed}")
    result = verify(store.db, KEY.public)
    first = result.first
    assert first is not None
    assert (first.position, first.aggregate_id, first.version, first.problem) == (
        agreed,
        str(store.objective),
        2,
        "deleted",
    )
    # The objective's own chain shows the gap too.
    assert any(f.problem == "missing" and f.version == 3 for f in result.findings)


def test_two_swapped_rows_are_named(store: Store) -> None:
    seal(store.db, KEY)
    late = store.position_of(store.objective, 1)
    early = min(p for p in store.at if p > 3)  # an event of the organisation's
    col = store.position
    store.sql(f"UPDATE appraisals_events SET {col} = -1 WHERE {col} = {early}")
    store.sql(f"UPDATE appraisals_events SET {col} = {early} WHERE {col} = {late}")
    store.sql(f"UPDATE appraisals_events SET {col} = {late} WHERE {col} = -1")
    result = verify(store.db, KEY.public)
    first = result.first
    assert first is not None
    assert first.position == early and first.problem == "reordered"
    assert (first.aggregate_id, first.version) == store.at[early]
    assert str(store.objective) in first.detail


def test_an_edit_after_the_last_seal_shows_in_the_aggregates_chain(store: Store) -> None:
    # Nothing sealed: the objective's next event carries the hash of the record before it.
    drafted = store.position_of(store.objective, 1)
    if store.postgres:
        store.sql(
            "UPDATE appraisals_events SET state = convert_to(replace(convert_from(state, "
            f"'UTF8'), '2026-06-30', '2026-07-31'), 'UTF8') WHERE notification_id = {drafted}"
        )
    else:
        store.sql(
            "UPDATE appraisals_events SET state = CAST(replace(CAST(state AS TEXT), '2026-06-30', "
            f"'2026-07-31') AS BLOB) WHERE rowid = {drafted}"
        )
    result = verify(store.db, KEY.public)
    assert result.sealed == 0
    first = result.first
    assert first is not None
    assert (first.position, first.aggregate_id, first.version, first.problem) == (
        drafted,
        str(store.objective),
        1,
        "edited",
    )


def test_a_history_rewritten_with_its_seal_fails_the_signed_checkpoint(store: Store) -> None:
    seal(store.db, KEY)
    progress = store.position_of(store.objective, 4)  # the objective's last event
    if store.postgres:
        store.sql(
            "UPDATE appraisals_events SET state = convert_to(replace(convert_from(state, "
            "'UTF8'), '\"percent\":40', '\"percent\":45'), 'UTF8') "
            f"WHERE notification_id = {progress}"
        )
    else:
        store.sql(
            "UPDATE appraisals_events SET state = CAST(replace(CAST(state AS TEXT), "
            f"'\"percent\":40', '\"percent\":45') AS BLOB) WHERE rowid = {progress}"
        )
    # The forger recomputes the per-position hash too, but cannot sign a new checkpoint.
    with store.db.transaction() as tx:
        record = read_records(tx, progress - 1, progress, 1)[0]
        tx.execute(
            "UPDATE audit_chain SET digest = ? WHERE position = ?", [record[3][:32], progress]
        )
    result = verify(store.db, KEY.public)
    first = result.first
    assert first is not None and first.problem == "checkpoint"
    assert first.position <= progress


def test_sealing_is_incremental_and_checkpoints_need_the_key(store: Store) -> None:
    head = max(store.at)
    assert seal(store.db, KEY, upto=head - 3) is not None
    assert seal(store.db, KEY) is not None
    result = verify(store.db, KEY.public)
    assert result.intact and result.checkpoints == 2
    other = verify(store.db, SigningKey.generate().public)
    assert not other.intact and other.first is not None
    assert other.first.problem == "checkpoint" and "not validly signed" in other.first.detail


def test_a_history_resealed_with_the_attackers_own_key_is_caught_by_the_public_key(
    store: Store,
) -> None:
    # Whoever edits the database can recompute the chain and sign it with a key of their own;
    # the verifier trusts only the service's published public key.
    seal(store.db, KEY)
    store.sql("DELETE FROM audit_checkpoints")
    store.sql("DELETE FROM audit_chain")
    attacker = SigningKey.generate()
    assert seal(store.db, attacker) is not None
    result = verify(store.db, KEY.public)
    assert not result.intact and result.first is not None
    assert f"key {attacker.key_id} is not among the trusted public keys" in result.first.detail


def test_checkpoints_of_a_rotated_key_verify_with_the_keyring_of_both(store: Store) -> None:
    head = max(store.at)
    newer = SigningKey.generate()
    assert seal(store.db, KEY, upto=head - 3) is not None
    assert seal(store.db, newer) is not None
    assert verify(store.db, PublicKeys([KEY.public, newer.public])).intact
    only_new = verify(store.db, newer.public)
    assert not only_new.intact and only_new.first is not None
    assert KEY.key_id in only_new.first.detail
