"""Determinism: rebuilding a read model gives identical contents, every time, on both stores
(``appraisals projections checksum NAME`` before and after each of two rebuilds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from appraisals import demo
from appraisals.cli import app
from appraisals.wiring import build_store
from config.settings import Settings, get_settings
from projections.catalogue import all_projections
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'appraisals.db'}"
    else:
        url = create_database("appraisals_determinism")
    store = build_store(Settings(database_url=url))
    demo.generate(store, schools=2, staff=30, seed=9)
    store.close()
    monkeypatch.setenv("APPRAISALS_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    if request.param == "postgresql":
        drop_database(url)


def test_rebuilding_every_read_model_twice_gives_identical_checksums(url: str) -> None:
    del url
    cli = CliRunner()
    names = [p.name for p in all_projections()]

    def checksums() -> dict[str, str]:
        out = {}
        for name in names:
            result = cli.invoke(app, ["projections", "checksum", name])
            assert result.exit_code == 0, result.output
            out[name] = result.stdout.strip()
        return out

    live = checksums()  # built incrementally, as the runners do
    assert all(len(c) == 32 for c in live.values())
    for _ in range(2):
        rebuilt = cli.invoke(app, ["projections", "rebuild"])
        assert rebuilt.exit_code == 0, rebuilt.output
        assert checksums() == live
