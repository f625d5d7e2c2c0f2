"""The composition root runs the reminder scheduler only when it is switched on."""

from __future__ import annotations

from pathlib import Path

from appraisals.wiring import build
from config.settings import Settings


def test_serve_runs_the_embedded_scheduler_when_reminders_are_scheduled(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/a.db"
    off = build(Settings(database_url=url))
    try:
        assert off.wake_chases is None
    finally:
        off.close()
    on = build(Settings(database_url=url, reminders_schedule=True))
    try:
        assert on.wake_chases is not None
        on.start()
        scheduler = on.wake_chases.__self__  # type: ignore[attr-defined]
        assert scheduler.scheduler.running
        assert scheduler.scheduler.get_job("run_reminders") is not None
    finally:
        on.close()
    assert not scheduler.scheduler.running
