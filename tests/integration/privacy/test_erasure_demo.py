"""Erasing a real demo person (issue 18): a year of history as appraisee and appraiser, erased
through the command line on SQLite and PostgreSQL.

The needles are every value sealed under the person's key (names, email, every free-text
field: ``events.sealing.values_of`` over the whole log, opened while the key exists), their
names as the directory shows them, and nothing picked by hand. The demo writes its free text
from shared phrases, so some of their values are also other people's words (sealed under
another key) or organisational text (plain in the log): those are not theirs alone and must
stay in the rows about the others; they must leave every row about the person's own records.
Every other needle must leave every table, every file under the data directories and every
log line, while counts, summaries, the audit chain and proof packs are kept.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import psycopg
import pytest

from appraisals import demo
from appraisals.wiring import Container, build, build_blob_store
from commands import messages as m
from config.settings import Settings
from events import sealing
from events.codec import decode_state
from events.sealing import ERASED_PERSON
from privacy.export import build_export
from projections.directory import display_name
from replay.audit_keys import public_keys, signing_key
from replay.chain import seal
from replay.pack import build_pack, review_documents
from replay.proof import verify_pack
from replay.verify import verify
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration

TODAY = datetime(2026, 3, 1, tzinfo=UTC)
# What the person's history must hold: both sides of appraisal, and every kind of record.
RICH = (
    "ObjectiveDrafted",
    "ProgressRecorded",
    "SelfAssessmentSubmitted",
    "AssessmentWritten",
    "AppraiseeCommented",
    "CpdPlanned",
    "ObservationRecorded",
    "EvidenceFileAttached",
)
# An id as text (in any column, in any JSON).
UUID_TEXT = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")


@dataclass(frozen=True)
class Opened:
    position: int
    originator: str
    topic: str
    fields: dict[str, Any]
    # person -> the values sealed under their key in this event
    sealed: dict[str, list[str]]
    plain: bytes


@dataclass
class Needles:
    """The person's values: theirs alone, and those other people (or the trust) hold too."""

    own: list[str]
    shared: list[str]
    names: list[str]


@dataclass
class Result:
    url: str
    person: UUID
    needles: Needles
    # the ids of the records about them (their reviews, objectives, CPD, observations...)
    records: set[str]
    appraisee_review: UUID
    appraiser_review: UUID
    colleague: UUID
    counts_before: dict[str, int]
    counts_after: dict[str, int]
    structure_before: dict[str, Counter[tuple[Any, ...]]]
    structure_after: dict[str, Counter[tuple[Any, ...]]]
    dump_scrubbed: dict[str, Counter[tuple[Any, ...]]]
    dump_rebuilt: dict[str, Counter[tuple[Any, ...]]]
    traces_before: list[str]
    traces_scrubbed: list[str]
    traces_rebuilt: list[str]
    shared_in_their_rows: list[str]
    file_traces: list[str]
    files_before: int
    log_text: str
    cli: subprocess.CompletedProcess[str]
    audit_intact: bool
    audit_report: str
    packs_before: dict[str, tuple[list[str], bytes]]
    packs_after: dict[str, tuple[list[str], bytes]]
    colleague_before: str
    colleague_after: str
    export_positions: set[int]
    expected_positions: set[int]
    extra: dict[str, Any] = field(default_factory=dict)


# -- reading the database as it is ------------------------------------------------------------


def _rows(url: str, sql: str, *params: object) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return conn.execute(sql, [str(p) for p in params]).fetchall()
    with psycopg.connect(url) as conn:
        return conn.execute(sql.replace("?", "%s"), params).fetchall()


def _tables(url: str) -> list[str]:
    if url.startswith("sqlite"):
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        sql = (
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
    return sorted(str(r[0]) for r in _rows(url, sql))


def _columns(url: str, table: str) -> list[tuple[str, str]]:
    """(column, type) of one table."""
    if url.startswith("sqlite"):
        return [(str(r[1]), str(r[2]).upper()) for r in _rows(url, f'PRAGMA table_info("{table}")')]
    return [
        (str(r[0]), str(r[1]))
        for r in _rows(
            url,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position",
            table,
        )
    ]


def _as_text(url: str, table: str) -> list[tuple[str, ...]]:
    """Every row of a table, every column cast to text (lower case)."""
    cols = _columns(url, table)
    cast = 'lower(CAST("{c}" AS TEXT))' if url.startswith("sqlite") else 'lower("{c}"::text)'
    sql = f'SELECT {", ".join(cast.format(c=c) for c, _ in cols)} FROM "{table}"'
    return [tuple("" if v is None else str(v) for v in row) for row in _rows(url, sql)]


def _pattern(needles: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(n.lower()) for n in sorted(needles, key=len)[::-1]))


def _traces(url: str, needles: list[str]) -> list[str]:
    """``table.column: needle`` for every needle found in any column of any table (cast to
    text, case-insensitive): the same as a ``strpos(lower(col::text), lower(needle))`` per
    needle, read once per table."""
    if not needles:
        return []
    found: set[str] = set()
    pattern = _pattern(needles)
    for table in _tables(url):
        names = [c for c, _ in _columns(url, table)]
        for row in _as_text(url, table):
            for column, cell in zip(names, row, strict=True):
                if pattern.search(cell):
                    found |= {f"{table}.{column}: {n!r}" for n in needles if n.lower() in cell}
    return sorted(found)


def _in_rows_about(url: str, needles: list[str], records: set[str]) -> list[str]:
    """Needles in rows naming one of ``records`` (the rows about those records)."""
    if not needles:
        return []
    found: set[str] = set()
    pattern = _pattern(needles)
    ids = {r.lower() for r in records} | {UUID(r).hex for r in records}
    for table in _tables(url):
        if not table.startswith("rm_"):
            continue
        for row in _as_text(url, table):
            if not any(i in ids for cell in row for i in UUID_TEXT.findall(cell)):
                continue
            text = "\x1f".join(row)
            if pattern.search(text):
                found |= {f"{table}: {n!r}" for n in needles if n.lower() in text}
    return sorted(found)


# The projections' own bookkeeping (positions, generations, rebuild timings), not read models.
_BOOKKEEPING = ("rm_registry", "rm_rebuild_costs")
_GENERATION = re.compile(r"_v\d+$")


def _read_models(url: str) -> dict[str, str]:
    """Every read-model table by its name without the generation (a rebuild makes new ones)."""
    return {
        _GENERATION.sub("", t): t
        for t in _tables(url)
        if t.startswith("rm_") and t not in _BOOKKEEPING
    }


def _counts(url: str) -> dict[str, int]:
    return {
        name: int(_rows(url, f'SELECT count(*) FROM "{t}"')[0][0])
        for name, t in _read_models(url).items()
    }


_TEXT_TYPES = ("TEXT", "", "VARCHAR", "JSON", "text", "character varying", "json", "jsonb")


def _normal(value: Any) -> Any:
    if isinstance(value, Decimal | float):
        return round(float(value), 6)
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, str) and UUID_TEXT.fullmatch(value):
        return UUID(value).hex
    if isinstance(value, list | dict):  # PostgreSQL's jsonb, as SQLite's text holds it
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _structure(url: str, *, text: bool) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every read model's rows as a multiset: without their text columns (``text=False``:
    the numbers, dates, statuses and ids a summary is made of), or whole."""
    out: dict[str, Counter[tuple[Any, ...]]] = {}
    for name, table in _read_models(url).items():
        cols = [
            c
            for c, t in _columns(url, table)
            if text or (t not in _TEXT_TYPES and not c.endswith("_at"))
        ]
        if not cols:
            continue
        quoted = ", ".join(f'"{c}"' for c in cols)
        out[name] = Counter(
            tuple(_normal(v) for v in row) for row in _rows(url, f'SELECT {quoted} FROM "{table}"')
        )
    return out


# -- the log, opened while the key exists -----------------------------------------------------


def _open_log(container: Container) -> list[Opened]:
    recorder = container.store.recorder
    head = recorder.max_notification_id() or 0
    out = []
    for n in recorder.select_notifications(1, head):
        raw = orjson.loads(n.state)
        cls, fields = decode_state(n.topic, n.state, n.originator_id, n.originator_version or 0)
        sealed: dict[str, list[str]] = {}
        if sealing.SEALED_KEY in raw:
            subject = raw[sealing.SEALED_KEY]["s"]
            for person, _ in raw[sealing.SEALED_KEY]["v"]:
                values = sealing.values_of(cls, fields, subject, person)
                sealed[person] = [v for v, _ in values]
        out.append(Opened(n.id, str(n.originator_id), n.topic, fields, sealed, n.state))
    return out


def _richest(log: list[Opened]) -> str:
    """The person with the most kinds of record sealed under their key, among those who
    appraise others and whose history holds every kind of ``RICH``."""
    kinds: dict[str, set[str]] = defaultdict(set)
    appraises: Counter[str] = Counter()
    for e in log:
        for person in e.sealed:
            kinds[person].add(e.topic.split("/")[1])
        if e.topic == "appraisals/ReviewStarted":
            appraises[str(e.fields["appraiser_id"])] += 1
    candidates = [p for p in kinds if appraises[p] and set(RICH) <= kinds[p]]
    assert candidates, "the demo has someone who is appraisee and appraiser with every record"
    return max(candidates, key=lambda p: (len(kinds[p]), appraises[p], p))


def _needles(log: list[Opened], person: str) -> Needles:
    mine: set[str] = set()
    others: set[str] = set()
    names: set[str] = set()
    for e in log:
        for who, values in e.sealed.items():
            (mine if who == person else others).update(values)
        if e.originator == person and e.topic in (
            "appraisals/StaffRegistered",
            "appraisals/StaffRenamed",
        ):
            name = str(e.fields.get("name") or e.fields["new_name"])
            preferred = e.fields.get("preferred_name")
            names |= {n for n in (name, preferred, display_name(name, preferred)) if n}
    mine |= names
    # Organisational text (templates, priorities, school names) is plain in the records about
    # nobody; plain text in a record about a person would be theirs, not the trust's.
    about_someone = {
        e.originator for e in log if (orjson.loads(e.plain).get(sealing.SEALED_KEY) or {}).get("s")
    }
    plain = b"\n".join(e.plain for e in log if e.originator not in about_someone).decode().lower()
    shared = {v for v in mine if v in others or v.lower() in plain}
    # A single short word (a preferred name such as "Sam") is somebody else's word too.
    return Needles(sorted(mine - shared), sorted(shared), sorted(names))


def _records_about(log: list[Opened], person: str) -> set[str]:
    """Their own records: every aggregate with a value sealed under their key as subject
    (their reviews, objectives, CPD, evidence, observations of them), but not their staff
    record, which rows about others name too (as appraiser)."""
    out = set()
    for e in log:
        if person in e.sealed and e.originator != person:
            raw = orjson.loads(e.plain)[sealing.SEALED_KEY]
            if raw["s"] == person:
                out.add(e.originator)
    return out


def _pack(
    container: Container, settings: Settings, review: UUID, tmp: Path
) -> tuple[list[str], bytes]:
    db = container.projections.db
    key = signing_key(settings)
    seal(db, key)
    pack = build_pack(
        db,
        review,
        key=key,
        keys=public_keys(settings),
        documents=review_documents(db, review),
        now=datetime.now(UTC),
    )
    path = tmp / f"pack-{review}-{datetime.now(UTC).timestamp()}.zip"
    path.write_bytes(pack.data)
    return verify_pack(str(path)).problems, pack.data


def _unzipped(data: bytes) -> str:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "\n".join(z.read(n).decode(errors="replace") for n in z.namelist())


def _file_traces(root: Path, needles: list[str]) -> list[str]:
    pattern = _pattern(needles)
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            text = path.read_bytes().decode("latin-1").lower()
            if pattern.search(text):
                found += [f"{path.relative_to(root)}: {n!r}" for n in needles if n.lower() in text]
    return found


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _settings(url: str, tmp: Path) -> Settings:
    return Settings(
        database_url=url,
        blob_dir=str(tmp / "blobs"),
        audit_anchor_sink="none",
        privacy_retention_interval_seconds=0,
        log_level="DEBUG",
    )


def _cli_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPRAISALS_")}
    env.update(
        APPRAISALS_DATABASE_URL=settings.database_url,
        APPRAISALS_BLOB_DIR=settings.blob_dir,
        APPRAISALS_PRIVACY_MASTER_KEY=settings.privacy_master_key.get_secret_value(),
        APPRAISALS_AUDIT_ANCHOR_SINK="none",
        APPRAISALS_PRIVACY_RETENTION_INTERVAL_SECONDS="0",
        APPRAISALS_LOG_LEVEL="DEBUG",
    )
    return env


# -- the run ------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def erased(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Result]:
    tmp = tmp_path_factory.mktemp(f"erase-demo-{request.param}")
    url = (
        f"sqlite:///{tmp / 'appraisals.db'}"
        if request.param == "sqlite"
        else create_database("issue18_erase_demo")
    )
    settings = _settings(url, tmp)
    handler = _Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    container = build(settings, run_projections=False)
    try:
        yield _run(container, settings, url, tmp, handler)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        container.close()
        if request.param == "postgresql":
            drop_database(url)


def _run(container: Container, settings: Settings, url: str, tmp: Path, handler: _Lines) -> Result:
    summary = demo.generate(
        container.store, schools=2, staff=16, seed=3, blobs=build_blob_store(settings), today=TODAY
    )
    container.projections.catch_up()
    log = _open_log(container)
    person = _richest(log)
    pid = UUID(person)
    needles = _needles(log, person)
    records = _records_about(log, person)
    reviews = _rows(
        url, "SELECT review_id, appraisee_id, appraiser_id, cycle_id FROM rm_review_status"
    )
    previous = summary.previous_cycle.id
    appraisee_review = next(
        UUID(str(r[0])) for r in reviews if str(r[1]) == person and UUID(str(r[3])) == previous
    )
    appraised = [r for r in reviews if str(r[2]) == person and UUID(str(r[3])) == previous]
    appraiser_review, colleague = UUID(str(appraised[0][0])), UUID(str(appraised[0][1]))

    # Item 4: their own export, before erasure, covers every event about, by or naming them.
    from tests.integration.privacy.test_subject_access_demo import (
        expected_positions,
        opened,
    )

    head = container.store.recorder.max_notification_id() or 0
    stored = [opened(n) for n in container.store.recorder.select_notifications(1, head)]
    own_export = build_export(container.projections.db, pid)
    export_positions = {e.position for e in own_export.events}

    packs_before = {
        "appraisee": _pack(container, settings, appraisee_review, tmp),
        "appraiser": _pack(container, settings, appraiser_review, tmp),
    }
    colleague_before = build_export(container.projections.db, colleague).json().decode()
    counts_before = _counts(url)
    traces_before = _traces(url, needles.own)
    blobs = Path(settings.blob_dir)
    files_before = len(_file_traces(blobs, needles.names))

    admin = summary.trust_admin.principal
    container.commands.execute(
        m.RecordStaffLeaving(staff_id=pid, effective_date=date(2026, 2, 27), reason="Resigned"),
        admin,
    )
    container.projections.catch_up()
    structure_before = _structure(url, text=False)

    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "appraisals",
            "privacy",
            "erase",
            "--person",
            person,
            "--reason",
            "their written request of 1 March",
        ],
        env=_cli_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    container.projections.catch_up()
    counts_after = _counts(url)
    structure_after = _structure(url, text=False)
    traces_scrubbed = _traces(url, needles.own)
    shared_in_their_rows = _in_rows_about(url, needles.shared, records)
    file_traces = _file_traces(tmp, needles.own)
    report = verify(container.projections.db, public_keys(settings))
    packs_after = {
        "appraisee": _pack(container, settings, appraisee_review, tmp),
        "appraiser": _pack(container, settings, appraiser_review, tmp),
    }
    colleague_after = build_export(container.projections.db, colleague).json().decode()
    dump_scrubbed = _structure(url, text=True)
    container.projections.rebuild(container.projections.names)
    dump_rebuilt = _structure(url, text=True)
    traces_rebuilt = _traces(url, needles.own)
    return Result(
        url=url,
        person=pid,
        needles=needles,
        records=records,
        appraisee_review=appraisee_review,
        appraiser_review=appraiser_review,
        colleague=colleague,
        counts_before=counts_before,
        counts_after=counts_after,
        structure_before=structure_before,
        structure_after=structure_after,
        dump_scrubbed=dump_scrubbed,
        dump_rebuilt=dump_rebuilt,
        traces_before=traces_before,
        traces_scrubbed=traces_scrubbed,
        traces_rebuilt=traces_rebuilt,
        shared_in_their_rows=shared_in_their_rows,
        file_traces=file_traces,
        files_before=files_before,
        log_text="\n".join([*handler.lines, cli.stdout, cli.stderr]),
        cli=cli,
        audit_intact=report.intact,
        audit_report=report.describe(),
        packs_before=packs_before,
        packs_after=packs_after,
        colleague_before=colleague_before,
        colleague_after=colleague_after,
        export_positions=export_positions,
        expected_positions=expected_positions(stored, person),
    )


# -- what it must show --------------------------------------------------------------------------


def test_the_person_has_a_year_of_history_on_both_sides_of_appraisal(erased: Result) -> None:
    r = erased
    assert r.appraiser_review != r.appraisee_review
    assert len(r.records) >= 10, "reviews, objectives, CPD, evidence, observations of them"
    assert len(r.needles.own) >= 10 and r.needles.names
    # Their needles were readable in the read models before (their absence after means
    # something); a few live in the log alone (a sign-off comment no view shows).
    readable = {t.split(": ", 1)[1] for t in r.traces_before}
    assert len(readable) >= len(r.needles.own) - 3 and repr(r.needles.names[0]) in readable
    assert r.files_before >= 1, "their evidence files name them"
    # The demo formats its phrases with school and cycle names only: nobody else's words name
    # them, so the limit of docs/privacy.md section 4 (a colleague's text naming them is the
    # colleague's) does not arise here, and their names must go from everywhere.
    assert set(r.needles.names) <= set(r.needles.own)


def test_their_export_before_erasure_covers_every_event_about_by_or_naming_them(
    erased: Result,
) -> None:
    assert erased.export_positions == erased.expected_positions


def test_the_command_line_erases_them_and_says_so_in_ids_and_counts(erased: Result) -> None:
    r = erased
    assert r.cli.returncode == 0, r.cli.stderr
    assert f"erased {r.person}" in r.cli.stdout
    # Run at DEBUG: whatever it logged (on stderr, as JSON lines) is checked below.
    assert "Traceback" not in r.cli.stderr


def test_no_trace_of_their_names_email_or_words_in_any_table(erased: Result) -> None:
    assert erased.traces_scrubbed == []


def test_words_they_share_with_others_leave_every_row_about_their_own_records(
    erased: Result,
) -> None:
    # The demo's phrases repeat across people: the same words in a colleague's record are the
    # colleague's, and stay (asserted by the rebuild comparison below); in the rows about the
    # erased person's own reviews, objectives, CPD and observations they are theirs.
    assert erased.needles.shared
    assert erased.shared_in_their_rows == []


def test_no_trace_in_any_file_under_the_data_directories(erased: Result) -> None:
    # Their evidence files are deleted; SQLite's file and write-ahead log keep no old copy.
    assert erased.file_traces == []


def test_no_trace_in_any_log_line(erased: Result) -> None:
    text = erased.log_text.lower()
    assert text.strip()
    assert [n for n in erased.needles.own if n.lower() in text] == []


def test_read_models_keep_their_counts_and_structure(erased: Result) -> None:
    r = erased
    # Two events (their leaving, the erasure) reach the audit log and the event index; the
    # directory's search words of their name become the placeholder's two words; the
    # leaving's reason is sealed under their key, a row of personal_seals (the erasure's
    # own reason is plain).
    assert r.counts_after == {
        **r.counts_before,
        "rm_audit_log": r.counts_before["rm_audit_log"] + 2,
        "rm_event_index": r.counts_before["rm_event_index"] + 2,
        "rm_personal_seals": r.counts_before["rm_personal_seals"] + 1,
        "rm_directory_search": r.counts_after["rm_directory_search"],
    }
    changed = {
        t
        for t in r.structure_after
        if r.structure_after[t] != r.structure_before.get(t) and t != "rm_directory_search"
    }
    assert changed == {"rm_audit_log", "rm_event_index"}  # the erasure event's own row
    for t in changed:
        assert sum((r.structure_after[t] - r.structure_before[t]).values()) == 1


def test_the_audit_chain_still_verifies(erased: Result) -> None:
    assert erased.audit_intact, erased.audit_report


def test_proof_packs_of_reviews_they_were_in_still_verify(erased: Result) -> None:
    r = erased
    for role in ("appraisee", "appraiser"):
        problems_before, before = r.packs_before[role]
        problems_after, after = r.packs_after[role]
        assert problems_before == [] and problems_after == [], role
        name = r.needles.names[0]
        assert name in _unzipped(before), role
        text = _unzipped(after).lower()
        assert [n for n in r.needles.own if n.lower() in text] == [], role
        assert ERASED_PERSON in _unzipped(after), role


def test_a_colleagues_export_shows_erased_person_and_none_of_their_values(erased: Result) -> None:
    r = erased
    assert r.needles.names[0] in r.colleague_before
    assert ERASED_PERSON in r.colleague_after
    text = r.colleague_after.lower()
    assert [n for n in r.needles.own if n.lower() in text] == []


def test_a_full_rebuild_brings_no_needle_back_and_derives_the_same_rows(erased: Result) -> None:
    r = erased
    assert r.traces_rebuilt == []
    # Every row of every read model, text included: the scrub wrote what a rebuild derives,
    # and kept what was the colleagues' (their words in the rows about them).
    assert r.dump_rebuilt == r.dump_scrubbed
