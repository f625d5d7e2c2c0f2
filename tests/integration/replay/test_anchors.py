"""Anchors outside the database catch what the database alone cannot: the last events deleted
together with their chain rows and checkpoints (truncation), a restore to an earlier state
(rollback), and a seal rewritten or re-signed. Each passes ``verify`` without anchors."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest

from anchors import FileAnchorSink
from appraisals.wiring import build
from commands import messages as m
from config.settings import Settings
from projections.engine.connection import connect
from projections.engine.db import Database
from replay.anchoring import Anchorer
from replay.chain import seal
from replay.keys import PublicKeys, SigningKey
from replay.verify import Verification, verify
from testkit.scenario import Org, build_org
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration

KEY = SigningKey.generate()
KEYS = PublicKeys([KEY.public])
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class Ledger:
    url: str
    db: Database
    org: Org
    objective: UUID
    sink: FileAnchorSink

    @property
    def column(self) -> str:
        return "notification_id" if self.db.dialect == "postgresql" else "rowid"

    def sql(self, statement: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(statement)

    def head(self) -> int:
        with self.db.transaction(write=False) as tx:
            return int(tx.query(f"SELECT MAX({self.column}) FROM appraisals_events")[0][0])

    def seal_and_anchor(self, upto: int | None = None) -> None:
        assert seal(self.db, KEY, upto=upto) is not None
        Anchorer(self.sink, KEYS).anchor(self.db, NOW)

    def verify(self, *, anchored: bool) -> Verification:
        return verify(
            self.db,
            KEYS,
            anchors=self.sink.read() if anchored else None,
            anchor_source=self.sink.name,
        )


def _progress(url: str, org: Org, objective: UUID, note: str) -> None:
    container = build(Settings(database_url=url), run_projections=False)
    try:
        container.commands.execute(
            m.RecordProgress(objective_id=objective, percent=50, note=note), org.appraisee
        )
    finally:
        container.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'events.db'}"
    else:
        url = create_database("appraisals_anchors")
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
        for n in range(5):
            run(
                m.RecordProgress(objective_id=objective, percent=10 * n, note="On track"),
                org.appraisee,
            )
        db = connect(url)
        yield Ledger(url, db, org, objective, FileAnchorSink(tmp_path / "anchors" / "a.jsonl"))
        db.close()
    finally:
        container.close()
        if request.param == "postgresql":
            drop_database(url)


def _problems(result: Verification) -> list[str]:
    return [f.problem for f in result.findings]


def test_an_untouched_log_matches_its_anchors(ledger: Ledger) -> None:
    head = ledger.head()
    ledger.seal_and_anchor(upto=head - 5)
    ledger.seal_and_anchor()
    result = ledger.verify(anchored=True)
    assert result.intact, result.describe()
    assert result.anchors is not None
    assert result.anchors.anchored_through == head
    assert result.anchors.confirmed_through == head
    assert "the database matches them through position" in result.describe()
    # Anchoring again writes nothing: the sink holds every checkpoint once.
    assert Anchorer(ledger.sink, KEYS).anchor(ledger.db, NOW) == 0
    assert len(ledger.sink.read()) == 2


@pytest.mark.parametrize("cut_inside_a_checkpoint", [False, True])
def test_the_last_five_events_deleted_with_their_seal_pass_alone_and_fail_with_anchors(
    ledger: Ledger, cut_inside_a_checkpoint: bool
) -> None:
    head = ledger.head()
    # Sealed (and anchored) as the server does it: in runs as the log grows.
    ledger.seal_and_anchor(upto=head - (7 if cut_inside_a_checkpoint else 5))
    ledger.seal_and_anchor()
    cut = head - 5
    # The database administrator removes the events, their chain rows and their checkpoint.
    ledger.sql(f"DELETE FROM appraisals_events WHERE {ledger.column} > {cut}")
    ledger.sql(f"DELETE FROM audit_chain WHERE position > {cut}")
    ledger.sql(f"DELETE FROM audit_checkpoints WHERE position > {cut}")
    if cut_inside_a_checkpoint:
        ledger.sql(f"DELETE FROM audit_chain WHERE position > {head - 7}")
        ledger.sql(f"DELETE FROM audit_checkpoints WHERE position > {head - 7}")
    # The hole: the database alone says intact.
    alone = ledger.verify(anchored=False)
    assert alone.intact, alone.describe()
    # The anchors do not.
    result = ledger.verify(anchored=True)
    assert not result.intact
    first = result.first
    assert first is not None
    assert first.problem == "truncated"
    assert f"events end at position {cut}" in first.detail
    assert "deleted together with their seal" in first.detail
    assert "NOT intact" in result.describe()


TABLES = ("appraisals_events", "audit_chain", "audit_checkpoints")


def _back_up(ledger: Ledger, tmp_path: Path) -> None:
    """A backup of the log and its seal: SQLite's online backup, or on PostgreSQL a copy of
    the tables and the position sequence (what a logical dump keeps)."""
    if ledger.db.dialect == "sqlite":
        live = ledger.url.removeprefix("sqlite:///")
        with sqlite3.connect(live) as source, sqlite3.connect(tmp_path / "backup.db") as copy:
            source.backup(copy)
        return
    for table in TABLES:
        ledger.sql(f"CREATE TABLE backup_{table} AS SELECT * FROM {table}")
    ledger.sql(
        "CREATE TABLE backup_sequence AS SELECT last_value FROM "
        "appraisals_events_notification_id_seq"
    )


def _restore(ledger: Ledger, tmp_path: Path) -> None:
    if ledger.db.dialect == "sqlite":
        live = ledger.url.removeprefix("sqlite:///")
        with sqlite3.connect(tmp_path / "backup.db") as copy, sqlite3.connect(live) as target:
            copy.backup(target)
        return
    for table in TABLES:
        ledger.sql(f"DELETE FROM {table}")
        ledger.sql(f"INSERT INTO {table} SELECT * FROM backup_{table}")
    ledger.sql(
        "SELECT setval('appraisals_events_notification_id_seq', "
        "(SELECT last_value FROM backup_sequence))"
    )


def test_a_database_restored_from_an_earlier_backup_is_a_rollback(
    ledger: Ledger, tmp_path: Path
) -> None:
    ledger.seal_and_anchor()
    _back_up(ledger, tmp_path)
    # Life goes on: more events, sealed and anchored.
    _progress(ledger.url, ledger.org, ledger.objective, "Phonics screening booked")
    _progress(ledger.url, ledger.org, ledger.objective, "Mock check: 88%")
    ledger.seal_and_anchor()
    # The database is restored from the backup, and goes on with another history.
    _restore(ledger, tmp_path)
    _progress(ledger.url, ledger.org, ledger.objective, "Behind: staff absence")
    assert seal(ledger.db, KEY) is not None
    alone = ledger.verify(anchored=False)
    assert alone.intact, alone.describe()
    result = ledger.verify(anchored=True)
    assert "rolled back" in _problems(result)
    rolled = next(f for f in result.findings if f.problem == "rolled back")
    assert "restored to an earlier state" in rolled.detail
    # The sealer then anchors the fork too, and the verdict stays.
    assert Anchorer(ledger.sink, KEYS).anchor(ledger.db, NOW) == 1
    assert "rolled back" in _problems(ledger.verify(anchored=True))


def test_a_seal_rewritten_with_the_services_own_key_shows_only_against_anchors(
    ledger: Ledger,
) -> None:
    head = ledger.head()
    ledger.seal_and_anchor(upto=head - 5)
    ledger.seal_and_anchor()
    # The chain rows and checkpoints are thrown away and the service reseals (with its real
    # key) in other runs: every signature holds, so the database alone says intact.
    ledger.sql("DELETE FROM audit_checkpoints")
    ledger.sql("DELETE FROM audit_chain")
    assert seal(ledger.db, KEY, upto=head - 2) is not None
    assert seal(ledger.db, KEY) is not None
    assert ledger.verify(anchored=False).intact
    result = ledger.verify(anchored=True)
    assert set(_problems(result)) == {"rewritten seal", "unanchored"}
    first = result.first
    assert first is not None
    assert first.problem == "rewritten seal" and "events it covers" in first.detail
    assert "are unchanged" in first.detail


def test_a_checkpoint_resigned_by_another_key_is_named_against_its_anchor(
    ledger: Ledger,
) -> None:
    ledger.seal_and_anchor()
    attacker = SigningKey.generate()
    ledger.sql("DELETE FROM audit_checkpoints")
    ledger.sql("DELETE FROM audit_chain")
    assert seal(ledger.db, attacker) is not None
    result = ledger.verify(anchored=True)
    assert {"checkpoint", "rewritten seal"} <= set(_problems(result))
    rewritten = next(f for f in result.findings if f.problem == "rewritten seal")
    assert attacker.key_id in rewritten.detail


def test_an_event_rewritten_and_resealed_by_the_service_is_caught_by_its_anchor(
    ledger: Ledger,
) -> None:
    ledger.seal_and_anchor()
    if ledger.db.dialect == "postgresql":
        ledger.sql(
            "UPDATE appraisals_events SET state = convert_to(replace(convert_from(state, "
            "'UTF8'), '2026-06-30', '2026-07-31'), 'UTF8')"
        )
    else:
        ledger.sql(
            "UPDATE appraisals_events SET state = CAST(replace(CAST(state AS TEXT), '2026-06-30', "
            "'2026-07-31') AS BLOB)"
        )
    ledger.sql("DELETE FROM audit_checkpoints")
    ledger.sql("DELETE FROM audit_chain")
    assert seal(ledger.db, KEY) is not None
    # The edited draft's objective chain would show it: its next event carries the old hash.
    result = ledger.verify(anchored=True)
    assert "rolled back" in _problems(result)


def test_a_forged_anchor_line_is_reported_and_ignored(ledger: Ledger) -> None:
    ledger.seal_and_anchor()
    lines = ledger.sink.path.read_text().splitlines()
    forged = lines[0].replace('"events":', '"events":1', 1)
    with ledger.sink.path.open("a") as f:
        f.write(forged + "\n" + "not json\n")
    result = ledger.verify(anchored=True)
    assert _problems(result).count("anchor") == 2
    assert any("not validly signed" in f.detail for f in result.findings)


# The command line is the same on both stores: once, on SQLite, is enough.
@pytest.mark.parametrize("ledger", ["sqlite"], indirect=True)
def test_the_cli_says_intact_alone_and_truncated_with_anchors(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from appraisals.cli import app
    from config.settings import get_settings

    head = ledger.head()
    ledger.seal_and_anchor(upto=head - 5)
    ledger.seal_and_anchor()
    for table, column in (("appraisals_events", "rowid"), ("audit_chain", "position")):
        ledger.sql(f"DELETE FROM {table} WHERE {column} > {head - 5}")
    ledger.sql(f"DELETE FROM audit_checkpoints WHERE position > {head - 5}")
    key_file = tmp_path / "service-key.pem"
    key_file.write_text(KEY.public.pem)
    monkeypatch.setenv("APPRAISALS_DATABASE_URL", ledger.url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        alone = runner.invoke(app, ["audit", "verify", "--public-key", str(key_file)])
        assert alone.exit_code == 0 and "intact up to position" in alone.output
        anchored = runner.invoke(
            app,
            ["audit", "verify", "--public-key", str(key_file), "--anchors", str(ledger.sink.path)],
        )
        assert anchored.exit_code == 1, anchored.output
        assert "NOT intact" in anchored.output and "the log was cut short" in anchored.output
        unreadable = runner.invoke(
            app, ["audit", "verify", "--public-key", str(key_file), "--anchors", "s3://"]
        )
        assert unreadable.exit_code == 2 and "cannot read the anchors" in unreadable.output
    finally:
        get_settings.cache_clear()
