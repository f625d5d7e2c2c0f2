"""A review's proof pack verifies offline (no database, no settings), and fails with a plain
message when any byte of an event is changed, an event is removed, or a signature forged."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID, uuid4

import orjson
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from anchors import FileAnchorSink
from appraisals.cli import app
from appraisals.wiring import build
from commands import messages as m
from config.settings import Settings, get_settings
from projections.catalogue import read_models
from projections.engine.connection import connect
from replay.anchoring import Anchorer
from replay.chain import seal
from replay.keys import PublicKeys, SigningKey
from replay.pack import build_pack, last_checkpoint, rendered_report, review_documents
from replay.proof import verify_pack
from testkit.scenario import build_org

pytestmark = pytest.mark.integration

KEY = SigningKey.generate()
KEYS = PublicKeys([KEY.public])
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
APPRAISALS = str(Path(sys.executable).with_name("appraisals"))


@dataclass
class Made:
    url: str
    review: UUID
    objective: UUID
    pack: Path
    key_file: Path
    anchors: Path


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Made]:
    tmp = tmp_path_factory.mktemp("pack")
    url = f"sqlite:///{tmp / 'events.db'}"
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
        db = connect(url)
        assert seal(db, KEY) is not None  # one segment...
        run(m.RecordProgress(objective_id=objective, percent=40, note="On track"), org.appraisee)
        run(m.RecordProgress(objective_id=objective, percent=70, note="Mock: 85%"), org.appraisee)
        assert seal(db, KEY) is not None  # ...and another
        anchors = tmp / "anchors.jsonl"
        Anchorer(FileAnchorSink(anchors), KEYS).anchor(db, NOW)
        read_models(db).catch_up(["directory"])
        documents = review_documents(db, org.review_id)
        documents.update(
            rendered_report(db, container.store.recorder, org.review_id, upto=last_checkpoint(db))
        )
        pack = build_pack(db, org.review_id, key=KEY, keys=KEYS, documents=documents, now=NOW)
        db.close()
    finally:
        container.close()
    path = tmp / "review.zip"
    path.write_bytes(pack.data)
    key_file = tmp / "trust-key.pem"
    key_file.write_text(KEY.public.pem)
    yield Made(url, org.review_id, objective, path, key_file, anchors)


def _altered(made: Made, tmp_path: Path, change: Callable[[dict[str, bytes]], None]) -> str:
    with zipfile.ZipFile(made.pack) as z:
        files = {n: z.read(n) for n in z.namelist()}
    change(files)
    out = tmp_path / "altered.zip"
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return str(out)


def _events(files: dict[str, bytes]) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in files["events.jsonl"].splitlines() if line]


def _put_events(files: dict[str, bytes], events: list[dict[str, object]]) -> None:
    files["events.jsonl"] = b"".join(orjson.dumps(e) + b"\n" for e in events)


def test_a_pack_verifies_offline_without_database_or_settings(made: Made, tmp_path: Path) -> None:
    # A panel's machine: no settings, no var/, a database URL that leads nowhere, production.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "APPRAISALS_ENV": "production",
        "APPRAISALS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing",
    }
    done = subprocess.run(
        [
            APPRAISALS,
            "audit",
            "verify-pack",
            str(made.pack),
            "--public-key",
            str(made.key_file),
            "--anchors",
            str(made.anchors),
            "--timeline",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("VERIFIED: proof pack of review")
    assert "2 chain segment(s)" in done.stdout
    assert "match the anchor file" in done.stdout
    assert "ProgressRecorded" in done.stdout
    assert not (tmp_path / "var").exists()
    with zipfile.ZipFile(made.pack) as z:
        report = orjson.loads(z.read("report.json"))
        timeline = orjson.loads(z.read("timeline.json"))
    assert report["review"]["appraisee_id"] and len(report["objectives"]) == 1
    assert any(e["actor_name"] == "Ann Appraisee" for e in timeline)


def test_without_a_trusted_key_the_pack_names_its_own_key_to_compare(made: Made) -> None:
    result = verify_pack(str(made.pack))
    assert result.verified and result.keys_from_pack
    assert KEY.key_id in result.describe() and "published key" in result.describe()


@pytest.mark.parametrize("which", [0, -1])
def test_any_byte_of_an_event_changed_fails(made: Made, tmp_path: Path, which: int) -> None:
    def change(files: dict[str, bytes]) -> None:
        events = _events(files)
        state = bytearray(base64.b64decode(str(events[which]["state"])))
        state[len(state) // 2] ^= 0x01
        events[which]["state"] = base64.b64encode(bytes(state)).decode()
        _put_events(files, events)

    result = verify_pack(_altered(made, tmp_path, change), trusted=KEYS)
    assert not result.verified
    assert "was changed: its stored record no longer hashes" in result.describe()
    assert result.describe().startswith("NOT VERIFIED")


@pytest.mark.parametrize("which", ["middle", "last"])
def test_an_event_removed_fails(made: Made, tmp_path: Path, which: str) -> None:
    def change(files: dict[str, bytes]) -> None:
        events = _events(files)
        objective = [i for i, e in enumerate(events) if e["aggregate_id"] == str(made.objective)]
        del events[objective[1] if which == "middle" else objective[-1]]
        _put_events(files, events)

    result = verify_pack(_altered(made, tmp_path, change), trusted=KEYS)
    assert not result.verified
    text = result.describe()
    assert "was removed: the manifest lists it" in text
    if which == "middle":
        assert f"{made.objective}: version 2 is missing" in text


def test_a_forged_checkpoint_signature_fails(made: Made, tmp_path: Path) -> None:
    def change(files: dict[str, bytes]) -> None:
        segments = orjson.loads(files["segments.json"])
        signature = segments[0]["checkpoint"]["signature"]
        segments[0]["checkpoint"]["signature"] = ("0" if signature[0] != "0" else "1") + signature[
            1:
        ]
        files["segments.json"] = orjson.dumps(segments)

    result = verify_pack(_altered(made, tmp_path, change), trusted=KEYS)
    assert not result.verified
    assert "the signature does not verify under key" in result.describe()


def test_a_pack_resigned_with_another_key_fails_against_the_trusts_key(
    made: Made, tmp_path: Path
) -> None:
    forger = SigningKey.generate()

    def change(files: dict[str, bytes]) -> None:
        segments = orjson.loads(files["segments.json"])
        for s in segments:
            c = s["checkpoint"]
            c["key_id"] = forger.key_id
            c["signature"] = forger.sign(
                f"appraisal-ledger checkpoint|{c['previous']}|{c['position']}|{c['events']}|"
                f"{c['chain']}".encode()
            )
        files["segments.json"] = orjson.dumps(segments)
        files["public-keys.pem"] = forger.public.pem.encode()

    result = verify_pack(_altered(made, tmp_path, change), trusted=KEYS)
    assert not result.verified
    assert f"signed by key {forger.key_id}, which is not among the trusted public keys" in (
        result.describe()
    )


def test_a_changed_report_fails(made: Made, tmp_path: Path) -> None:
    def change(files: dict[str, bytes]) -> None:
        files["report.json"] = files["report.json"].replace(b"phonics", b"maths")

    result = verify_pack(_altered(made, tmp_path, change), trusted=KEYS)
    assert "report.json was changed after the pack was made" in result.describe()


def test_the_pack_holds_the_rendered_report_at_its_checkpoint(made: Made) -> None:
    with zipfile.ZipFile(made.pack) as z:
        html = z.read("report.html").decode()
        pdf = z.read("report.pdf")
        manifest = orjson.loads(z.read("manifest.json"))
        segments = orjson.loads(z.read("segments.json"))
    assert "Improve Year 2 phonics" in html and "Ann Appraisee" in html
    assert pdf.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Improve Year 2 phonics" in text
    # Rendered at the pack's last checkpoint: the footer names the log head it shows.
    last = max(s["checkpoint"]["position"] for s in segments)
    assert f"from the ledger at log position {last}." in html
    assert {"report.html", "report.pdf"} <= set(manifest["documents"])


@pytest.mark.parametrize(
    ("member", "says"),
    [
        ("report.html", "report.html was changed after the pack was made"),
        ("report.pdf", "report.pdf was changed after the pack was made"),
    ],
)
def test_a_changed_rendered_report_fails(
    made: Made, tmp_path: Path, member: str, says: str
) -> None:
    def change(files: dict[str, bytes]) -> None:
        files[member] = files[member].replace(b"phonics", b"maths", 1) + b" "

    result = verify_pack(_altered(made, tmp_path, change), trusted=KEYS)
    assert not result.verified
    assert says in result.describe()


def test_a_removed_rendered_report_fails(made: Made, tmp_path: Path) -> None:
    def change(files: dict[str, bytes]) -> None:
        del files["report.pdf"]

    result = verify_pack(_altered(made, tmp_path, change), trusted=KEYS)
    assert "report.pdf, listed in the manifest, is missing from the pack" in result.describe()


def test_the_cli_makes_a_pack_and_refuses_an_unknown_review(
    made: Made, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPRAISALS_DATABASE_URL", made.url)
    monkeypatch.setenv("APPRAISALS_AUDIT_ANCHOR_FILE", str(tmp_path / "cli-anchors.jsonl"))
    # The service's own key: the one the log was sealed with.
    KEY.write(tmp_path / "signing.pem")
    monkeypatch.setenv("APPRAISALS_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "signing.pem"))
    monkeypatch.setenv("APPRAISALS_AUDIT_PUBLIC_KEYS_FILE", str(made.key_file))
    get_settings.cache_clear()
    try:
        out = tmp_path / "review.zip"
        runner = CliRunner()
        made_pack = runner.invoke(
            app, ["audit", "pack", "--review", str(made.review), "--out", str(out)]
        )
        assert made_pack.exit_code == 0, made_pack.output
        checked = runner.invoke(app, ["audit", "verify-pack", str(out)])
        assert checked.exit_code == 0 and "VERIFIED" in checked.output
        with zipfile.ZipFile(out) as z:
            assert {"report.html", "report.pdf"} <= set(z.namelist())
        unknown = runner.invoke(
            app, ["audit", "pack", "--review", str(uuid4()), "--out", str(tmp_path / "x.zip")]
        )
        assert unknown.exit_code == 1 and "there is no review" in unknown.output
        again = runner.invoke(
            app, ["audit", "pack", "--review", str(made.review), "--out", str(out)]
        )
        assert again.exit_code == 2 and "exists already" in again.output
    finally:
        get_settings.cache_clear()
