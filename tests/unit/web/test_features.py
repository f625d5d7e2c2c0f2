"""The replay features plug in when present and are reported missing otherwise."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from web import features


def test_a_missing_module_or_function_is_no_feature() -> None:
    assert features._find("replay.no_such_module", "anything") is None
    assert features._find("web.features", "no_such_function") is None
    assert features._find("web.features", "end_of") is features.end_of


def test_without_the_replay_features_the_pages_get_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(features, "_find", lambda _module, _name: None)
    assert features.summary_as_of() is None
    assert features.trust_summary_on(None, None, None, date(2025, 6, 30)) is None  # type: ignore[arg-type]


def test_a_day_ends_at_its_last_microsecond_in_utc() -> None:
    assert features.end_of(date(2025, 6, 30)) == datetime(2025, 6, 30, 23, 59, 59, 999999, UTC)
