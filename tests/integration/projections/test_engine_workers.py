"""Projections on real PostgreSQL and Redis: crashes, competing workers, live rebuilds."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

from projections.catalogue import read_models
from projections.engine.service import Projections
from projections.engine.workers import RedisWakeup
from testkit.synthetic import History
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]

CRASHING_WORKER = """
import sys, time
from pathlib import Path
from events.codec import install_inherited_keyring
install_inherited_keyring()  # sealed personal data opens here as in the test's process
from projections.catalogue import read_models

url, marker = sys.argv[1], Path(sys.argv[2])
batches = []

def stall_in_the_fifth_batch(members, end):
    batches.append(end)
    if len(batches) == 5:
        marker.write_text(str(end))
        time.sleep(120)  # killed here, inside the open transaction

read_models(url, page_size=97, before_commit=stall_in_the_fifth_batch).catch_up()
"""

WORKER = """
import logging, sys
from events.codec import install_inherited_keyring
install_inherited_keyring()  # as the worker command does from its settings
from projections.catalogue import all_projections
from projections.engine.workers import run_worker
logging.basicConfig(level=logging.INFO)
run_worker(
    sys.argv[1], sys.argv[2], sys.argv[3],
    projections=all_projections(), threads=2, tick_seconds=0.5, page_size=40,
)
"""


def checksums(service: Projections) -> dict[str, str]:
    return {name: service.checksum(name) for name in service.names}


def count(service: Projections, view: str) -> int:
    with service.db.transaction(write=False) as tx:
        return int(tx.query(f"SELECT COUNT(*) FROM {view}")[0][0])


def wait_until_current(service: Projections, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(s.lag == 0 for s in service.status()):
            return
        time.sleep(0.2)
    raise AssertionError(f"projections still behind: {service.status()}")


def test_a_worker_killed_mid_batch_resumes_to_what_a_clean_rebuild_gives(
    pg_store: Any, tmp_path: Path
) -> None:
    head = pg_store.append(History(11).events(schools=2, staff_per_school=8, move_rate=0.3))
    marker = tmp_path / "in-batch"
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WORKER, pg_store.url, str(marker)], cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the worker ended before its fifth batch"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)

    service = read_models(pg_store.url, page_size=500)
    positions = {s.name: s.position for s in service.status()}
    assert min(positions.values()) < head  # the stalled batch never committed
    service.catch_up()
    assert count(service, "rm_event_index") == head
    resumed = checksums(service)
    service.rebuild()
    assert checksums(service) == resumed
    service.close()


def test_two_dramatiq_workers_on_redis_never_double_apply(
    pg_store: Any, redis_namespace: str, tmp_path: Path
) -> None:
    service = read_models(pg_store.url)
    service.ensure()
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, pg_store.url, REDIS_URL, redis_namespace],
            cwd=ROOT,
            stdout=(tmp_path / f"worker{i}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for i in range(2)
    ]
    wakeup = RedisWakeup(REDIS_URL, redis_namespace, service.names)
    try:
        events = list(History(5).events(schools=3, staff_per_school=6, move_rate=0.2))
        for i in range(0, len(events), 150):
            pg_store.append(events[i : i + 150], chunk=25)
            assert wakeup.notify()
            time.sleep(0.05)
        head = pg_store.head()
        wait_until_current(service, timeout=60)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(30)
        wakeup.broker.close()

    logs = "".join((tmp_path / f"worker{i}.log").read_text() for i in range(2))
    assert "Traceback" not in logs
    assert count(service, "rm_event_index") == count(service, "rm_audit_log") == head
    applied = checksums(service)
    service.rebuild()
    assert checksums(service) == applied
    service.close()


def test_a_rebuild_while_events_keep_arriving_misses_none(pg_store: Any) -> None:
    history = History(3).events(trusts=6, schools=2, staff_per_school=8, move_rate=0.2)
    pg_store.append(islice(history, 1500))
    service = read_models(pg_store.url, page_size=200, rebuild_page_size=300)
    service.catch_up()
    stop = threading.Event()

    def keep_writing() -> None:
        for event in history:
            if stop.is_set():
                return
            pg_store.append([event])

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        time.sleep(0.3)
        service.rebuild()
    finally:
        stop.set()
        writer.join(30)
    head = pg_store.head()
    service.catch_up()
    assert count(service, "rm_event_index") == count(service, "rm_audit_log") == head
    live = checksums(service)
    service.rebuild()
    assert checksums(service) == live
    service.close()


def test_an_enqueue_with_redis_down_is_logged_and_reports_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wakeup = RedisWakeup("redis://127.0.0.1:1/0", "nowhere", ["event_index"])
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="projections.engine.workers"):
        assert wakeup.notify() is False
    assert time.monotonic() - started < 5
    assert "could not enqueue" in caplog.text
