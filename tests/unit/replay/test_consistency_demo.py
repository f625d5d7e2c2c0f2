"""The demo trust: every read model agrees with the aggregates (the consistency oracle)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from appraisals import demo
from appraisals.wiring import build_store
from config.settings import Settings
from projections.catalogue import read_models
from tests.oracle import mismatches


@pytest.mark.parametrize(
    "size",
    [
        {"schools": 2, "staff": 40},
        # Several chunks: the spool-and-merge path, staff moving between schools.
        {"schools": 4, "staff": 84, "chunk_staff": 20},
    ],
    ids=["one-chunk", "chunked"],
)
def test_every_read_model_of_the_demo_agrees_with_the_aggregates(
    tmp_path: Path, size: dict[str, Any]
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    store = build_store(Settings(database_url=url))
    projections = read_models(url)
    try:
        projections.ensure()
        demo.generate(store, seed=3, **size)
        found = mismatches(store, projections)
        assert not found, "\n".join(str(m) for m in found[:30])
    finally:
        projections.close()
        store.close()
