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

``--erase-only --events N [--baseline DIR]`` runs part 3 alone on one store of N synthetic
events (700,000 load about 710k; 1,000,000 about 1.03M): a full rebuild, then one person
erased per round. With ``--baseline DIR`` (a checkout of the code to compare with, e.g.
``git archive main | tar -x -C DIR``) the rebuild and the erasure run in interleaved rounds
with that code and this, on the same store, each in a child process whose working directory
is its checkout (each round erases another person); printed: each round, the medians and
their ratio, and where each erasure's time went (finding the seals, opening their values,
scrubbing the read models). ``--sqlite`` runs it on an SQLite store; ``--write-only`` runs
part 1 alone.

The machine is shared: the load average is printed beside every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

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
    """Create the store (and its keys) and load ``target`` synthetic events into it (COPY on
    PostgreSQL, one ``executemany`` per history on SQLite)."""
    import sqlite3

    from appraisals.wiring import build_store
    from config.settings import sqlite_path
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
    batch = {"trusts": 1, "schools": 20, "staff_per_school": 50, "cycles": 2}
    try:
        if url.startswith("sqlite"):
            with closing(sqlite3.connect(sqlite_path(url))) as db:
                while n < target:
                    rows = [stored(event) for event in history.events(**batch)]
                    db.executemany(
                        "INSERT INTO appraisals_events "
                        "(originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
                        [(o.hex, v, t, s) for o, v, t, s in rows],
                    )
                    db.commit()
                    n += len(rows)
            return n
        with psycopg.connect(url) as conn:
            while n < target:
                with (
                    conn.cursor() as cur,
                    cur.copy(
                        "COPY appraisals_events (originator_id, originator_version, topic, state) "
                        "FROM STDIN"
                    ) as copy,
                ):
                    for event in history.events(**batch):
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
    return rebuild_in(HERE, url)


# Erases the ``offset``-th staff member still in post, with the code of the working directory
# (this checkout or the baseline's): their leaving, then ``Eraser.erase``, timing its phases.
_ERASE_CHILD = r"""
import json, os, sys, time, uuid
sys.path.insert(0, os.getcwd())
from collections import defaultdict
from datetime import date
import privacy.erasure as erasure
from appraisals.cli_access import OPERATOR
from appraisals.wiring import build
from commands import messages as m
from config.settings import Settings

url, offset = sys.argv[1], int(sys.argv[2])
spent = defaultdict(float)
for name in ("_sealed_under", "_values", "_scrub"):
    method = getattr(erasure.Eraser, name)
    def timed(*args, __method=method, __name=name, **kwargs):
        began = time.perf_counter()
        try:
            return __method(*args, **kwargs)
        finally:
            spent[__name] += time.perf_counter() - began
    setattr(erasure.Eraser, name, timed)
settings = Settings(
    database_url=url, audit_anchor_sink="none", privacy_retention_interval_seconds=0
)
container = build(settings, run_projections=False)
try:
    with container.projections.db.transaction(write=False) as tx:
        person = tx.query(
            "SELECT staff_id FROM rm_directory_people WHERE left_on IS NULL "
            "ORDER BY staff_id LIMIT 1 OFFSET ?",
            [offset],
        )[0][0]
    person = uuid.UUID(str(person))
    container.commands.execute(
        m.RecordStaffLeaving(staff_id=person, effective_date=date(2026, 1, 31), reason="left"),
        OPERATOR,
    )
    container.projections.catch_up()
    # Both checkouts' read models share the store: a read model whose live generation the
    # other built at another schema is not advanced here, so waiting for it would time out.
    container.eraser.wait_for = lambda position: container.projections.catch_up()
    done = container.eraser.erase(person, reason="their request", principal=OPERATOR)
    print(json.dumps({
        "seconds": done.seconds, "sealed_events": done.sealed_events,
        "aggregates": done.aggregates, "rows_scrubbed": done.rows_scrubbed,
        "find": spent["_sealed_under"], "open": spent["_values"], "scrub": spent["_scrub"],
        "load": "/".join(f"{x:.1f}" for x in os.getloadavg()),
    }))
finally:
    container.close()
"""


def _child_env() -> dict[str, str]:
    """The environment of a child run in another checkout: this store's master key (the
    development key lives in this checkout's var/), so both open the same keys."""
    return {
        **os.environ,
        "APPRAISALS_PRIVACY_MASTER_KEY": _settings(ADMIN_URL).privacy_master_key.get_secret_value(),
    }


def erase_in(root: Path, url: str, offset: int) -> dict[str, Any]:
    """Erase the ``offset``-th staff member in post with the code checked out at ``root``."""
    out = subprocess.run(
        [sys.executable, "-c", _ERASE_CHILD, url, str(offset)],
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
        env=_child_env(),
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def rebuild_in(root: Path, url: str) -> tuple[float, float]:
    """Wall seconds of a full rebuild of every read model with the code checked out at
    ``root``, in a child process, and the CPU seconds of that child and its lane processes
    (steadier than the wall when the machine is shared)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "privacy.py"), "--rebuild-child", url],
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
        env=_child_env(),
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return float(json.loads(out.strip().splitlines()[-1])["seconds"]), cpu


def erase_one(url: str) -> dict[str, Any]:
    """Erase the first staff member in post (by id), with this checkout's code."""
    return erase_in(HERE, url, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=130_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--rebuild-child")
    parser.add_argument(
        "--erase-only",
        action="store_true",
        help="Only part 3: load --events sealed, rebuild, erase one person a round (a 1M store)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="With --erase-only: a checkout to compare with, in interleaved rounds",
    )
    parser.add_argument("--write-only", action="store_true", help="Only part 1")
    parser.add_argument("--sqlite", action="store_true", help="With --erase-only: on SQLite")
    args = parser.parse_args()
    if args.rebuild_child:
        rebuild_child(args.rebuild_child)
        return
    if args.erase_only:
        erase_only(args.events, args.rounds, args.baseline, args.sqlite)
        return
    if args.write_only:
        url = create_database("write")
        try:
            w = write_path(url, args.commands, args.rounds)
            print(
                f"write path: sealed {w['sealed_ms']:.2f} ms/command, plain "
                f"{w['plain_ms']:.2f} ms/command: ratio {w['ratio']:.3f} (median of "
                f"{args.rounds} interleaved rounds: {w['rounds']}; load {w['load']})"
            )
        finally:
            drop_database(url)
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


def erase_only(events: int, rounds: int, baseline: Path | None, sqlite: bool = False) -> None:
    """Part 3 alone, at a size where building two stores and six rebuilds does not fit; with
    a baseline checkout, its rebuild and erasure against this code's, interleaved."""
    workdir = tempfile.mkdtemp(prefix="erase-bench-")
    url = f"sqlite:///{workdir}/store.db" if sqlite else create_database("erase")
    roots = {"this": HERE} if baseline is None else {"baseline": baseline, "this": HERE}
    try:
        started = time.perf_counter()
        n = load_history(url, events, sealed=True)
        print(
            f"loaded {n:,} sealed events in {time.perf_counter() - started:.0f}s; "
            f"load {load_average()}",
            flush=True,
        )
        rebuilds: dict[str, list[float]] = {name: [] for name in roots}
        for r in range(rounds if baseline is not None else 1):
            # This code's rebuild last: the erasures read the read models it builds.
            for name in sorted(roots, reverse=r % 2 == 1) if r < rounds - 1 else roots:
                seconds, cpu = rebuild_in(roots[name], url)
                rebuilds[name].append(seconds)
                print(
                    f"round {r + 1}: {name} rebuild {seconds:.1f}s, CPU {cpu:.1f}s "
                    f"(load {load_average()})",
                    flush=True,
                )
        erasures: dict[str, list[dict[str, Any]]] = {name: [] for name in roots}
        offset = 0
        for r in range(rounds):
            for name in sorted(roots, reverse=r % 2 == 1):
                e = erase_in(roots[name], url, offset)
                offset += 1
                erasures[name].append(e)
                print(
                    f"round {r + 1}: {name} erased one person in {n:,} events: "
                    f"{e['seconds']:.2f}s (finding their seals {e['find']:.2f}s, opening "
                    f"their values {e['open']:.2f}s, scrubbing the read models "
                    f"{e['scrub']:.2f}s; {e['sealed_events']} sealed events, "
                    f"{e['aggregates']} aggregates, {e['rows_scrubbed']} rows; load {e['load']})",
                    flush=True,
                )
        for name in roots:
            rebuilt = statistics.median(rebuilds[name])
            erased = statistics.median(e["seconds"] for e in erasures[name])
            print(
                f"{name}: full rebuild {rebuilt:.1f}s, erasing one person {erased:.2f}s "
                f"(medians of {len(rebuilds[name])} and {len(erasures[name])} rounds)"
            )
        if baseline is not None:
            ratio = statistics.median(rebuilds["this"]) / statistics.median(rebuilds["baseline"])
            fast = statistics.median(e["seconds"] for e in erasures["this"])
            slow = statistics.median(e["seconds"] for e in erasures["baseline"])
            print(
                f"this / baseline: rebuild {ratio:.3f}x, erasure {fast / slow:.3f}x "
                f"({slow / fast:.0f} times faster); load {load_average()}"
            )
    finally:
        if not sqlite:
            drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
