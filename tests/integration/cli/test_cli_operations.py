"""The command line as an operator meets it: one-line errors, --debug, --version, --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.integration.tls_postgres import free_port

pytestmark = pytest.mark.integration


def appraisals(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPRAISALS_")}
    env.update({f"APPRAISALS_{k.upper()}": v for k, v in settings.items()})
    return subprocess.run(
        [sys.executable, "-m", "appraisals", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_version_is_printed_by_python_dash_m(tmp_path: Path) -> None:
    done = appraisals("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == f"appraisals {version('appraisal-ledger')}"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://db/appraisals", "must start with sqlite:// or postgresql://"),
        ("postgresql://db/appraisals?sslmdoe=require", 'invalid URI query parameter: "sslmdoe"'),
        (f"postgresql://127.0.0.1:{free_port()}/x?connect_timeout=3", "Connection refused"),
    ],
    ids=["unsupported-scheme", "misspelt-parameter", "database-down"],
)
def test_an_expected_error_is_one_line_and_exit_1(tmp_path: Path, url: str, says: str) -> None:
    done = appraisals("projections", "status", cwd=tmp_path, database_url=url)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("appraisals: error: ")
    assert says in lines[0]


def test_debug_shows_the_traceback_of_an_expected_error(tmp_path: Path) -> None:
    done = appraisals(
        "--debug", "projections", "status", cwd=tmp_path, database_url="mysql://db/appraisals"
    )
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr


def test_running_the_demo_twice_says_so_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = appraisals("demo", "--schools", "1", "--staff", "10", cwd=tmp_path, database_url=url)
    assert first.returncode == 0, first.stderr
    again = appraisals("demo", "--schools", "1", "--staff", "10", cwd=tmp_path, database_url=url)
    assert again.returncode == 1
    assert again.stderr.strip().splitlines() == [
        "appraisals: error: the store already holds the demo trust of seed 0: use an empty "
        "store or another seed (`appraisals demo --people` reprints its people and tokens) "
        "(--debug for details)"
    ]


def test_projections_status_prints_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'status.db'}"
    done = appraisals("projections", "status", "--json", cwd=tmp_path, database_url=url)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows and {"name", "version", "position", "head", "lag", "state"} <= set(rows[0])


def test_an_auditor_verifies_the_log_with_the_printed_public_key_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    demo = appraisals("demo", "--schools", "1", "--staff", "10", cwd=tmp_path, database_url=url)
    assert demo.returncode == 0, demo.stderr
    assert appraisals("audit", "seal", cwd=tmp_path, database_url=url).returncode == 0
    printed = appraisals("audit", "key", cwd=tmp_path, database_url=url)
    assert printed.returncode == 0 and "BEGIN PUBLIC KEY" in printed.stdout
    public = tmp_path / "service.pub"
    public.write_text(printed.stdout)
    # The auditor's machine: no private key, no keyring, only the published public key.
    (tmp_path / "var" / "audit-signing-key.pem").unlink()
    (tmp_path / "var" / "audit-public-keys.pem").unlink()
    done = appraisals(
        "audit", "verify", "--public-key", str(public), "--json", cwd=tmp_path, database_url=url
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["intact"] and report["checkpoints"] >= 1
    assert not (tmp_path / "var" / "audit-signing-key.pem").exists()
