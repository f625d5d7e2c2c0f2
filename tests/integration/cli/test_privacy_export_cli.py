"""``appraisals privacy export`` as an operator runs it: a file in the format asked for, the
export recorded as an event, one-line errors for an unknown person or format."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from uuid import uuid4

import orjson
import pytest

from appraisals.wiring import build
from config.settings import Settings
from testkit.scenario import Org, build_org

pytestmark = pytest.mark.integration


def appraisals(*args: str, cwd: Path, url: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPRAISALS_")}
    env["APPRAISALS_DATABASE_URL"] = url
    env["APPRAISALS_BLOB_DIR"] = str(cwd / "blobs")
    return subprocess.run(
        [sys.executable, "-m", "appraisals", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, Org]:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    container = build(Settings(database_url=url, blob_dir=str(tmp_path / "blobs")))
    try:
        org = build_org(container.commands)
    finally:
        container.close()
    return url, org


def test_the_cli_writes_the_export_and_records_it(store: tuple[str, Org], tmp_path: Path) -> None:
    url, org = store
    out = tmp_path / "ann.json"
    done = appraisals(
        "privacy",
        "export",
        "--person",
        str(org.appraisee_id),
        "--out",
        str(out),
        cwd=tmp_path,
        url=url,
    )
    assert done.returncode == 0, done.stderr
    body = orjson.loads(out.read_bytes())
    assert body["person"]["name"] == "Ann Appraisee"
    assert "Ann Appraisee:" in done.stderr.decode()
    bundle = tmp_path / "ann.zip"
    done = appraisals(
        "privacy",
        "export",
        "--person",
        str(org.appraisee_id),
        "--format",
        "zip",
        "--out",
        str(bundle),
        cwd=tmp_path,
        url=url,
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(io.BytesIO(bundle.read_bytes())) as z:
        again = orjson.loads(z.read("export.json"))
    # The first export is itself in the second, as an event of the person's own record.
    assert [e["event_type"] for e in again["events"]][-1] == "SubjectAccessExported"


def test_an_unknown_person_or_format_is_a_one_line_error(
    store: tuple[str, Org], tmp_path: Path
) -> None:
    url, org = store
    done = appraisals("privacy", "export", "--person", str(uuid4()), cwd=tmp_path, url=url)
    assert done.returncode == 1
    assert b"no staff record" in done.stderr and b"Traceback" not in done.stderr
    done = appraisals(
        "privacy",
        "export",
        "--person",
        str(org.appraisee_id),
        "--format",
        "docx",
        cwd=tmp_path,
        url=url,
    )
    assert done.returncode == 2
    assert b"unknown format" in done.stderr
