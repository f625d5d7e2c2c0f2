"""Sealing personal data: the write path and a full rebuild with it on and off, and erasing
one person in a large store, on PostgreSQL, in one run.

    .venv/bin/python benchmarks/privacy.py [--events 130000] [--rounds 3] [--commands 200]

1. Write path: ``--commands`` single-event commands with free text (progress notes) through
   the command service, with the keyring installed (sealed) and not (plain), in interleaved
   rounds; the median per-command time of each and their ratio (goal: under 1.15).
2. Full rebuild: the same synthetic history (testkit/synthetic.py) loaded twice, sealed and
   plain, into two databases; every read model rebuilt (blue/green, as `appraisals
   projections rebuild`) in a child process, interleaved rounds; medians and ratio.
3. Erasure: one person of the sealed store erased (their leaving, then ``Eraser.erase``):
   seconds, against the same store's full rebuild.

The machine is shared: the load average is printed beside every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BASE = "postgresql://postgres@127.0.0.1:5432"


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def create_database(tag: str) -> str:
    name = f"issue18c_bench_{tag}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{BASE}/{name}"


def drop_database(url: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def _settings(url: str) -> Any:
    from config.settings import Settings

    return Settings(
        database_url=url, audit_anchor_sink="none", privacy_retention_interval_seconds=0
    )


def write_path(url: str, commands: int, rounds: int) -> dict[str, Any]:
    """Median seconds per command, sealed and plain, interleaved."""
    from appraisals.wiring import build
    from commands import messages as m
    from events import codec
    from testkit.scenario import build_org

    container = build(_settings(url), run_projections=False)
    keyring = codec.keyring()
    try:
        org = build_org(container.commands)
        svc = container.commands
        objective = svc.execute(
            m.DraftObjective(
                review_id=org.review_id,
                title="Raise attainment in Year 9 reading",
                success_criteria=["Reading ages up by a year"],
                due_date=date(2026, 6, 30),
            ),
            org.appraisee,
        ).aggregate_id
        svc.execute(m.AgreeObjective(objective_id=objective), org.appraisee)
        svc.execute(m.AgreeObjective(objective_id=objective), org.appraiser)
        times: dict[str, list[float]] = {"sealed": [], "plain": []}
        n = 0
        for r in range(rounds + 1):  # the first round warms up and is dropped
            order = ("sealed", "plain") if r % 2 == 0 else ("plain", "sealed")
            for mode in order:
                codec.install_keyring(keyring if mode == "sealed" else None)
                started = time.perf_counter()
                for _ in range(commands):
                    n += 1
                    svc.execute(
                        m.RecordProgress(
                            objective_id=objective,
                            percent=n % 100,
                            note=f"Week {n}: guided reading groups met; three pupils moved up",
                        ),
                        org.appraisee,
                    )
                if r:
                    times[mode].append((time.perf_counter() - started) / commands)
        codec.install_keyring(keyring)
    finally:
        container.close()
    sealed, plain = statistics.median(times["sealed"]), statistics.median(times["plain"])
    return {
        "sealed_ms": sealed * 1000,
        "plain_ms": plain * 1000,
        "ratio": sealed / plain,
        "rounds": times,
        "load": load_average(),
    }


def load_history(url: str, target: int, *, sealed: bool, seed: int = 1) -> int:
    """Create the store (and its keys) and COPY ``target`` synthetic events into it."""
    from appraisals.wiring import build_store
    from events import codec
    from events.sealing import Subjects
    from testkit import synthetic
    from testkit.synthetic import History, stored

    build_store(_settings(url)).close()
    keyring = codec.keyring()
    if not sealed:
        codec.install_keyring(None)
    synthetic._SUBJECTS = Subjects()
    n = 0
    history = History(seed)
    try:
        with psycopg.connect(url) as conn:
            while n < target:
                with (
                    conn.cursor() as cur,
                    cur.copy(
                        "COPY appraisals_events (originator_id, originator_version, topic, state) "
                        "FROM STDIN"
                    ) as copy,
                ):
                    for event in history.events(
                        trusts=1, schools=20, staff_per_school=50, cycles=2
                    ):
                        copy.write_row(stored(event))
                        n += 1
                conn.commit()
            conn.execute("ANALYZE appraisals_events")
            conn.commit()
    finally:
        codec.install_keyring(keyring)
    return n


def rebuild_child(url: str) -> None:
    from appraisals.wiring import build_store
    from projections.catalogue import read_models

    build_store(_settings(url)).close()  # installs this store's keyring (lanes inherit it)
    service = read_models(url)
    started = time.perf_counter()
    service.rebuild()
    print(json.dumps({"seconds": time.perf_counter() - started}))


def rebuild(url: str) -> tuple[float, float]:
    """Wall seconds of a full rebuild in a child process, and the CPU seconds of that child
    and its lane processes (steadier than the wall when the machine is shared)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [sys.executable, __file__, "--rebuild-child", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return float(json.loads(out.strip().splitlines()[-1])["seconds"]), cpu


def erase_one(url: str) -> dict[str, Any]:
    """Erase the person with the most sealed events in the store."""
    from appraisals.cli_access import OPERATOR
    from appraisals.wiring import build
    from commands import messages as m

    container = build(_settings(url), run_projections=False)
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT staff_id FROM rm_directory_people WHERE left_on IS NULL "
                "ORDER BY staff_id LIMIT 1"
            ).fetchone()
        assert row is not None
        person = row[0]
        container.commands.execute(
            m.RecordStaffLeaving(staff_id=person, effective_date=date(2026, 1, 31), reason="left"),
            OPERATOR,
        )
        container.projections.catch_up()
        assert container.eraser is not None
        done = container.eraser.erase(person, reason="their request", principal=OPERATOR)
        return {
            "seconds": done.seconds,
            "sealed_events": done.sealed_events,
            "aggregates": done.aggregates,
            "rows_scrubbed": done.rows_scrubbed,
            "load": load_average(),
        }
    finally:
        container.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=130_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--rebuild-child")
    parser.add_argument(
        "--erase-only",
        action="store_true",
        help="Only part 3: load --events sealed, rebuild once, erase one person (a 1M store)",
    )
    args = parser.parse_args()
    if args.rebuild_child:
        rebuild_child(args.rebuild_child)
        return
    if args.erase_only:
        erase_only(args.events)
        return
    urls = [create_database("write"), create_database("sealed"), create_database("plain")]
    try:
        w = write_path(urls[0], args.commands, args.rounds)
        print(
            f"write path: sealed {w['sealed_ms']:.2f} ms/command, plain {w['plain_ms']:.2f} "
            f"ms/command: ratio {w['ratio']:.3f} (median of {args.rounds} interleaved rounds; "
            f"load {w['load']})",
            flush=True,
        )
        sealed_url, plain_url = urls[1], urls[2]
        n = load_history(sealed_url, args.events, sealed=True)
        load_history(plain_url, args.events, sealed=False)
        print(f"loaded {n:,} events twice (sealed, plain); load {load_average()}", flush=True)
        times: dict[str, list[float]] = {"sealed": [], "plain": []}
        cpus: dict[str, list[float]] = {"sealed": [], "plain": []}
        for r in range(args.rounds):
            order = ("sealed", "plain") if r % 2 == 0 else ("plain", "sealed")
            for mode in order:
                seconds, cpu = rebuild(sealed_url if mode == "sealed" else plain_url)
                times[mode].append(seconds)
                cpus[mode].append(cpu)
                print(
                    f"round {r + 1}: {mode} rebuild {seconds:.1f}s, CPU {cpu:.1f}s "
                    f"(load {load_average()})",
                    flush=True,
                )
        sealed, plain = statistics.median(times["sealed"]), statistics.median(times["plain"])
        sealed_cpu, plain_cpu = statistics.median(cpus["sealed"]), statistics.median(cpus["plain"])
        print(
            f"full rebuild of {n:,} events: sealed {sealed:.1f}s, plain {plain:.1f}s: ratio "
            f"{sealed / plain:.3f}; CPU sealed {sealed_cpu:.1f}s, plain {plain_cpu:.1f}s: ratio "
            f"{sealed_cpu / plain_cpu:.3f} (medians of {args.rounds} interleaved rounds; "
            f"load {load_average()})",
            flush=True,
        )
        e = erase_one(sealed_url)
        print(
            f"erasing one person in {n:,} events: {e['seconds']:.2f}s ({e['sealed_events']} "
            f"sealed events, {e['aggregates']} aggregates, {e['rows_scrubbed']} rows) against "
            f"a full rebuild of {sealed:.1f}s; load {e['load']}"
        )
    finally:
        for url in urls:
            drop_database(url)


def erase_only(events: int) -> None:
    """Part 3 alone, at a size where building two stores and six rebuilds does not fit."""
    url = create_database("erase")
    try:
        started = time.perf_counter()
        n = load_history(url, events, sealed=True)
        print(
            f"loaded {n:,} sealed events in {time.perf_counter() - started:.0f}s; "
            f"load {load_average()}",
            flush=True,
        )
        seconds, cpu = rebuild(url)
        print(f"full rebuild {seconds:.1f}s, CPU {cpu:.1f}s (load {load_average()})", flush=True)
        e = erase_one(url)
        print(
            f"erasing one person in {n:,} events: {e['seconds']:.2f}s ({e['sealed_events']} "
            f"sealed events, {e['aggregates']} aggregates, {e['rows_scrubbed']} rows) against "
            f"a full rebuild of {seconds:.1f}s; load {e['load']}"
        )
    finally:
        drop_database(url)


if __name__ == "__main__":
    main()
