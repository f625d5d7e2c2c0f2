"""Every setting in ``config/settings.py`` has a row in the README's settings table."""

from __future__ import annotations

import re
from pathlib import Path

from config.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def documented_settings(readme: str) -> set[str]:
    """The names in the settings table's first column; ``/ `_SUFFIX``` abbreviates a sibling
    of the row's first name (``APPRAISALS_S3_BUCKET` / `_PREFIX``)."""
    names: set[str] = set()
    for line in readme.splitlines():
        if not line.startswith("| `APPRAISALS_"):
            continue
        first_column = line.split("|")[1]
        full = re.findall(r"`(APPRAISALS_[A-Z0-9_]+)`", first_column)
        names.update(full)
        stem = full[0].rsplit("_", 1)[0]
        names.update(stem + short for short in re.findall(r"`(_[A-Z0-9_]+)`", first_column))
    return names


def test_every_setting_is_in_the_readme_settings_table() -> None:
    prefix = str(Settings.model_config.get("env_prefix", "")).upper()
    assert prefix == "APPRAISALS_"
    settings = {prefix + name.upper() for name in Settings.model_fields}
    assert settings - documented_settings(README.read_text()) == set()


def test_an_abbreviated_sibling_counts_as_documented() -> None:
    row = "| `APPRAISALS_S3_BUCKET` / `_PREFIX` | unset | the bucket |"
    assert documented_settings(row) == {"APPRAISALS_S3_BUCKET", "APPRAISALS_S3_PREFIX"}
