"""``appraisals demo`` reading as today, and ``appraisals import`` end to end on SQLite."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aggregates.errors import Conflict
from appraisals.cli import app
from config.settings import get_settings
from onboarding.mapping import load_mapping
from onboarding.staff_import import plan_sync
from projections import directory
from projections.catalogue import read_models
from projections.engine.service import Projections

pytestmark = pytest.mark.integration

HEADER = (
    "Staff Code,Forename,Surname,Preferred Name,Email,Job Title,Category,School,"
    "Line Manager Code,Start Date\n"
)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('onboarding') / 'appraisals.db'}"


@pytest.fixture
def cli(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("APPRAISALS_DATABASE_URL", url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _projections(url: str) -> Projections:
    service = read_models(url)
    service.ensure()
    service.catch_up()
    return service


def _head(url: str) -> int:
    service = _projections(url)
    try:
        return service.engine.head()
    finally:
        service.close()


def _trust(url: str) -> tuple[str, list[str]]:
    service = _projections(url)
    try:
        with service.db.transaction(write=False) as tx:
            trust = tx.query("SELECT DISTINCT trust_id FROM rm_directory_schools")[0][0]
        schools = [s.name for s in directory.schools(service.db, trust)]
        return str(trust), schools
    finally:
        service.close()


def test_a_second_demo_says_so_in_one_line_and_people_are_reprinted(
    cli: CliRunner, url: str
) -> None:
    first = cli.invoke(app, ["demo", "--schools", "2", "--staff", "40"])
    assert first.exit_code == 0, first.output
    head = _head(url)
    # One line on stderr and exit 1 through ``main`` (tests/integration/cli); here the error.
    second = cli.invoke(app, ["demo", "--schools", "2", "--staff", "40"])
    assert isinstance(second.exception, Conflict)
    assert "already holds the demo trust" in str(second.exception)
    assert "--people" in str(second.exception)
    assert _head(url) == head
    people = cli.invoke(app, ["demo", "--schools", "2", "--staff", "40", "--people"])
    assert people.exit_code == 0, people.output
    assert "staff member:" in people.output and "bearer tokens" in people.output.lower()
    year = date.today().year if date.today().month >= 9 else date.today().year - 1
    assert f"{year}-{(year + 1) % 100:02d} (open)" in people.output


def test_import_dry_run_lists_rejected_rows_by_line_and_records_nothing(
    cli: CliRunner, url: str, tmp_path: Path
) -> None:
    trust, schools = _trust(url)
    file = tmp_path / "staff.csv"
    file.write_text(
        HEADER
        + f"N1,Nia,New,,nia@new.example,Teacher,Teacher,{schools[0]},,2024-09-01\n"
        + "N2,Oli,Odd,,oli-at-nowhere,Teacher,Teacher,Nowhere,,2024-09-01\n"
    )
    head = _head(url)
    result = cli.invoke(app, ["import", "staff", str(file), "--trust", trust, "--dry-run"])
    assert result.exit_code == 1, result.output
    assert "line 3:" in result.output and "not an email address" in result.output
    assert "unknown school 'Nowhere'" in result.output
    assert _head(url) == head


def test_import_then_reimport_records_nothing_the_second_time(
    cli: CliRunner, url: str, tmp_path: Path
) -> None:
    trust, schools = _trust(url)
    file = tmp_path / "staff.csv"
    file.write_text(
        HEADER
        + f"N1,Nia,New,,nia@new.example,Teacher,Teacher,{schools[0]},,2024-09-01\n"
        + f"N2,Pat,Peer,,pat@new.example,Teacher,Teacher,{schools[0]},N1,2024-09-01\n"
    )
    plan = cli.invoke(app, ["import", "staff", str(file), "--trust", trust, "--dry-run"])
    assert plan.exit_code == 0, plan.output
    assert "2 to add" in plan.output and "add: Nia New <nia@new.example>" in plan.output
    done = cli.invoke(app, ["import", "staff", str(file), "--trust", trust])
    assert done.exit_code == 0, done.output
    assert "Recorded 3 changes" in done.output
    assert "missing from the export: not marked as leaving" in done.output
    head = _head(url)
    again = cli.invoke(app, ["import", "staff", str(file), "--trust", trust])
    assert again.exit_code == 0, again.output
    assert "Nothing to record" in again.output
    assert _head(url) == head


def test_a_50000_row_export_is_planned_in_bounded_memory(url: str) -> None:
    trust, schools = _trust(url)
    rows = (
        f"X{i},Given{i},Family{i},,p{i}@big.example,Teacher,Teacher,{schools[i % 2]},"
        f"{'X0' if i else ''},2024-09-01\n"
        for i in range(50_000)
    )
    service = _projections(url)
    tracemalloc.start()
    try:
        plan = plan_sync(
            service.db,
            __import__("uuid").UUID(trust),
            (line for chunk in ([HEADER], rows) for line in chunk),
            load_mapping("generic"),
            today=date.today(),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        service.close()
    assert plan.ok and plan.rows == 50_000 and len(plan.add) == 50_000
    assert peak < 400 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


def test_reviews_start_in_bulk_from_line_managers_after_confirmation(
    cli: CliRunner, url: str
) -> None:
    trust, _ = _trust(url)
    service = _projections(url)
    try:
        cycles = directory.cycles(service.db, __import__("uuid").UUID(trust))
    finally:
        service.close()
    current = next(c for c in cycles if c.state == "open")
    plan = cli.invoke(
        app, ["import", "reviews", "--trust", trust, "--cycle", str(current.cycle_id)]
    )
    assert plan.exit_code == 0, plan.output
    assert "Pat Peer, appraised by Nia New" in plan.output
    assert "Run again with --yes" in plan.output
    head = _head(url)
    assert _head(url) == head
    done = cli.invoke(
        app, ["import", "reviews", "--trust", trust, "--cycle", str(current.cycle_id), "--yes"]
    )
    assert done.exit_code == 0, done.output
    assert _head(url) > head
    again = cli.invoke(
        app, ["import", "reviews", "--trust", trust, "--cycle", str(current.cycle_id)]
    )
    assert "Pat Peer" not in again.output
