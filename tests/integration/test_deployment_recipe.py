"""The deployment recipe's files agree with the code: settings that exist, commands and options
the CLI accepts, the runtime set only from the lock, a non-root image, valid systemd units.

(The image itself is not built here: this machine has no Docker daemon. `make run` installs
the same locked runtime set with the same commands.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from config.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "deploy" / "systemd"
RECIPE = [
    ROOT / "compose.yaml",
    ROOT / "Dockerfile",
    *SYSTEMD.glob("*"),
    ROOT / "docs" / "deployment.md",
]


def _help(*command: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "appraisals", *command, "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    return done.stdout


def _check_command(argv: list[str]) -> None:
    """``appraisals <sub> --opt ...``: the subcommand exists and accepts every option."""
    assert argv[0].endswith("appraisals"), argv
    sub = argv[1]
    text = _help(sub)
    for option in (a for a in argv[2:] if a.startswith("--")):
        assert option in text, f"`appraisals {sub}` has no {option}"


def test_every_setting_named_in_the_recipe_exists() -> None:
    fields = {f"APPRAISALS_{name.upper()}" for name in Settings.model_fields}
    for path in RECIPE:
        named = set(re.findall(r"\bAPPRAISALS_[A-Z_]+\b", path.read_text()))
        assert named <= fields, (path.name, sorted(named - fields))


def test_the_compose_file_runs_postgres_redis_web_and_workers_with_real_commands() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker"} <= set(services)
    _check_command(services["web"]["command"])
    _check_command(services["worker"]["command"])
    assert "APPRAISALS_TRUSTED_PROXIES" in services["web"]["environment"]
    assert services["worker"]["deploy"]["replicas"] >= 2


def test_the_image_installs_the_runtime_set_from_the_lock_and_runs_as_a_user() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = text.split("\nFROM ")
    assert len(stages) == 3, "a build stage and a runtime stage"
    assert "--require-hashes" in stages[1] and "requirements/runtime.txt" in stages[1]
    assert "requirements/test.txt" not in text
    runtime = stages[2]
    user = re.search(r"^USER (\S+)", runtime, re.M)
    assert user and not user.group(1).startswith(("root", "0"))
    cmd = re.search(r"^CMD (\[.*\])", runtime, re.M)
    assert cmd
    _check_command(yaml.safe_load(cmd.group(1)))


def test_the_systemd_units_are_valid_and_start_real_commands(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    appraisals = Path(sys.executable).with_name("appraisals")
    for unit in sorted(SYSTEMD.glob("*.service")):
        text = unit.read_text()
        exec_start = re.search(r"^ExecStart=(.*)$", text, re.M)
        assert exec_start
        argv = exec_start.group(1).split()
        _check_command(argv)
        if analyze is None:
            continue
        # Verified as installed: the binary where this checkout's virtualenv has it.
        name = unit.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(text.replace(argv[0], str(appraisals)))
        done = subprocess.run(
            [analyze, "verify", str(tmp_path / name)], capture_output=True, text=True
        )
        problems = [
            line
            for line in done.stderr.splitlines()
            if "Unknown" in line or "Invalid" in line or "not executable" in line
        ]
        assert done.returncode == 0 and not problems, done.stderr
