"""The ``appraisals replay`` and ``appraisals audit`` commands, end to end on a small demo:
analysts' projections from a file (pseudonymised by default), aggregates and summaries as of
a moment, sealing, verifying and exporting the log."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from appraisals import demo
from appraisals.cli import app
from appraisals.demo.summary import DemoSummary
from appraisals.wiring import build_store
from config.settings import Settings, get_settings
from projections.catalogue import read_models

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "docs" / "examples"

PER_EVENT = '''
from replay.custom import AnalystEvent, AnalystProjection, on


class Who(AnalystProjection):
    """One row per staff registration and per review started: who, as the analyst sees it."""

    @on("StaffRegistered")
    def registered(self, e: AnalystEvent) -> None:
        self.emit(kind="staff", id=e.aggregate_id, name=e["name"], email=e["email"],
                  actor=e.actor_id, school=None)

    @on("ReviewStarted")
    def started(self, e: AnalystEvent) -> None:
        self.emit(kind="review", id=e["appraisee_id"], name=None, email=None,
                  actor=e.actor_id, school=e["school_id"])
'''


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, DemoSummary]:
    path = tmp_path_factory.mktemp("cli") / "appraisals.db"
    url = f"sqlite:///{path}"
    events = build_store(Settings(database_url=url))
    summary = demo.generate(events, schools=2, staff=40, seed=5)
    events.close()
    service = read_models(url)
    service.ensure()
    service.catch_up()
    service.close()
    return url, summary


@pytest.fixture
def cli(store: tuple[str, DemoSummary], monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("APPRAISALS_DATABASE_URL", store[0])
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_a_worked_example_runs_from_its_file_to_a_csv(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "revised.csv"
    spec = f"{EXAMPLES / 'revised_after_mid_year.py'}:RevisedAfterMidYear"
    result = cli.invoke(app, ["replay", "run", spec, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert {r["cycle"] for r in rows} == {"2024-25", "2025-26"}
    assert len(rows) == 4  # two schools, two cycles
    assert all(int(r["objectives"]) >= int(r["revised_after_mid_year"]) for r in rows)
    assert sum(int(r["objectives"]) for r in rows) > 0

    agreed = cli.invoke(app, ["replay", "run", str(EXAMPLES / "days_to_agreement.py")])
    assert agreed.exit_code == 0, agreed.output
    table = list(csv.DictReader(io.StringIO(agreed.stdout)))
    assert len(table) == 4 and all(r["opened"] for r in table)


def test_analysts_see_pseudonyms_unless_told_otherwise(
    cli: CliRunner, tmp_path: Path, store: tuple[str, DemoSummary]
) -> None:
    spec = tmp_path / "who.py"
    spec.write_text(PER_EVENT)
    hidden = cli.invoke(app, ["replay", "run", f"{spec}:Who"])
    assert hidden.exit_code == 0, hidden.output
    rows = list(csv.DictReader(io.StringIO(hidden.stdout)))
    staff = [r for r in rows if r["kind"] == "staff"]
    reviews = [r for r in rows if r["kind"] == "review"]
    assert staff and reviews
    assert all(r["id"].startswith("p-") and r["actor"].startswith("p-") for r in rows)
    assert all(r["name"] == "" and r["email"] == "" for r in staff)
    # The same person is the same pseudonym wherever they appear; schools stay readable.
    assert {r["id"] for r in reviews} <= {r["id"] for r in staff}
    assert {r["school"] for r in reviews} <= {str(s) for s in store[1].school_ids}

    shown = cli.invoke(app, ["replay", "run", f"{spec}:Who", "--no-pseudonymise"])
    assert shown.exit_code == 0
    named = list(csv.DictReader(io.StringIO(shown.stdout)))
    assert all("@" in r["email"] for r in named if r["kind"] == "staff")
    assert "not pseudonymised" in shown.stderr


def test_rows_go_to_a_table_and_bad_projections_are_refused(
    cli: CliRunner, tmp_path: Path, store: tuple[str, DemoSummary]
) -> None:
    spec = f"{EXAMPLES / 'days_to_agreement.py'}:DaysToAgreement"
    result = cli.invoke(app, ["replay", "run", spec, "--table", "agreement"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(store[0].removeprefix("sqlite:///")) as conn:
        assert conn.execute("SELECT count(*) FROM analyst_agreement").fetchone() == (4,)
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from replay.custom import AnalystProjection, on\n"
        "class Bad(AnalystProjection):\n"
        "    @on('ObjectiveExploded')\n"
        "    def boom(self, e): ...\n"
    )
    refused = cli.invoke(app, ["replay", "run", f"{bad}:Bad"])
    assert refused.exit_code == 2 and "ObjectiveExploded" in refused.stderr
    missing = cli.invoke(app, ["replay", "run", f"{bad}:Nope"])
    assert missing.exit_code == 2
    assert cli.invoke(app, ["replay", "run", spec, "--table", "Drop;"]).exit_code == 2


def test_an_aggregate_and_a_summary_as_of_a_moment(
    cli: CliRunner, store: tuple[str, DemoSummary]
) -> None:
    summary = store[1]
    trust = cli.invoke(app, ["replay", "aggregate", str(summary.trust_id), "--version", "2"])
    assert trust.exit_code == 0, trust.output
    body = orjson.loads(trust.stdout)
    assert body["kind"] == "trust" and body["version"] == 2 and len(body["events"]) == 2
    moment = "2025-03-01T00:00:00Z"
    school = cli.invoke(
        app,
        [
            "replay",
            "summary",
            "--cycle",
            str(summary.previous_cycle.id),
            "--school",
            str(summary.school_ids[0]),
            "--as-of",
            moment,
        ],
    )
    assert school.exit_code == 0, school.output
    answer = orjson.loads(school.stdout)
    assert answer["summary"]["cycle_name"] == "2024-25"
    assert answer["summary"]["reviews_complete"] == 0  # reports come in the summer
    assert answer["summary"]["planning_done"] > 0
    trust_summary = cli.invoke(
        app,
        [
            "replay",
            "summary",
            "--cycle",
            str(summary.previous_cycle.id),
            "--trust",
            str(summary.trust_id),
            "--as-of",
            moment,
        ],
    )
    assert trust_summary.exit_code == 0
    assert len(orjson.loads(trust_summary.stdout)["summary"]["schools"]) == 2


def test_seal_verify_and_export_the_log(cli: CliRunner, tmp_path: Path) -> None:
    assert cli.invoke(app, ["audit", "seal"]).exit_code == 0
    verified = cli.invoke(app, ["audit", "verify", "--json"])
    assert verified.exit_code == 0, verified.output
    report = orjson.loads(verified.stdout)
    assert report["intact"] and report["sealed_through"] == report["head"] > 0
    out = tmp_path / "log.csv"
    exported = cli.invoke(app, ["audit", "export", "--format", "csv", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == report["head"]
    revised = cli.invoke(
        app, ["audit", "export", "--format", "jsonl", "--type", "ObjectiveRevised"]
    )
    lines = [orjson.loads(line) for line in revised.stdout.splitlines()]
    assert lines and {line["event_type"] for line in lines} == {"ObjectiveRevised"}
