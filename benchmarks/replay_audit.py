"""Replay and audit on PostgreSQL with >= 1,000,000 events, against baselines in the same run.

    .venv/bin/python benchmarks/replay_audit.py [--database NAME] [--schools 40 --staff 20000]

Without ``--database`` it builds a fresh database with the demo at scale through the command
layer (``appraisals.demo``: a trust of 40 schools and 20,000 staff over two cycles, about
1.06M events, ~3 minutes) and rebuilds the read models; with it, it reuses that database
(the read models are caught up, the chain sealed). Then, in one run:

  (1) an aggregate as of a moment, for an aggregate with 500 events (an objective given 500
      progress records through the command layer): p50/p99 of ``replay.aggregates.as_of``
      at random moments of its life, and of a whole GET /v1/audit/aggregates/{id}?as_of=;
  (2) a school's cycle summary as of a moment: p50/p99 of ``school_summary_as_of`` at random
      schools, cycles and moments (the answer cache is cleared before each), with the events
      replayed; a trust's summary as of a moment for comparison;
  (3) ``audit verify`` events/s against a raw scan of the same table in the same run: the
      engine's binary paged read (as benchmarks/projections.py reads) and psycopg's default
      text read, each decoding nothing; run twice, alternating;
  and the cost of sealing the whole log, and of the two analysts' worked examples.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BASE_URL = "postgresql://postgres@127.0.0.1:5432/"
PAGE = 10_000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(values: list[float]) -> str:
    return f"p50 {pct(values, 0.5) * 1000:.1f} ms, p99 {pct(values, 0.99) * 1000:.1f} ms"


def build(name: str, schools: int, staff: int) -> None:
    from appraisals import demo
    from appraisals.wiring import build_store
    from config.settings import Settings
    from projections.catalogue import read_models

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = BASE_URL + name
    store = build_store(Settings(database_url=url))
    started = time.perf_counter()
    summary = demo.generate(store, schools=schools, staff=staff, seed=7)
    store.close()
    print(f"demo: {summary.events:,} events in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    service = read_models(url, page_size=PAGE)
    service.ensure()
    service.rebuild()
    service.close()
    print(f"read models rebuilt in {time.perf_counter() - started:.0f} s")


def raw_scan(url: str, *, binary: bool) -> float:
    """Page through the whole log, decoding nothing: events/s."""
    n, last = 0, 0
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        while True:
            rows = conn.execute(
                "SELECT notification_id, originator_id::text, originator_version, topic, state "
                "FROM appraisals_events WHERE notification_id > %s "
                "ORDER BY notification_id LIMIT %s",
                (last, PAGE),
                binary=binary,
            ).fetchall()
            if not rows:
                break
            n += len(rows)
            last = rows[-1][0]
    return n / (time.perf_counter() - started)


def long_aggregate(container: Any, db: Any, events: int) -> UUID:
    """An objective with ``events`` events: progress recorded through the command layer."""
    from commands import messages as m
    from commands.principal import Principal
    from events.base import Role

    with db.transaction(write=False) as tx:
        rows = tx.query(
            "SELECT objective_id, appraisee_id, trust_id, version FROM rm_objective_current "
            "WHERE status = 'agreed' AND outcome IS NULL ORDER BY version DESC, objective_id "
            "LIMIT 200"
        )
    for objective_id, appraisee_id, trust_id, version in rows:
        appraisee = Principal(appraisee_id, Role.STAFF, trust_id=trust_id)
        try:
            for i in range(int(version), events):
                container.commands.execute(
                    m.RecordProgress(
                        objective_id=objective_id, percent=i % 101, note=f"Check-in {i}"
                    ),
                    appraisee,
                )
        except Exception as e:  # a closed cycle, someone who left: try another
            if int(version) >= events:
                return UUID(str(objective_id))
            print(f"  ({objective_id}: {type(e).__name__}; trying another)")
            continue
        return UUID(str(objective_id))
    raise RuntimeError("no objective takes progress records")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="reuse this database (>= 1M events)")
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--staff", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--summary-samples", type=int, default=60)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from api.auth import mint_token
    from appraisals.app import create_app
    from appraisals.wiring import build as build_container
    from commands.principal import Principal
    from config.settings import Settings
    from events.base import Role
    from projections import event_index
    from replay import summaries
    from replay.aggregates import as_of
    from replay.chain import seal
    from replay.custom import load, run
    from replay.keys import SigningKey
    from replay.pseudonyms import Pseudonymiser
    from replay.verify import verify

    logging.getLogger("httpx").setLevel(logging.WARNING)
    name = args.database or f"bench_replay_{uuid.uuid4().hex[:8]}"
    if not args.database:
        build(name, args.schools, args.staff)
    url = BASE_URL + name
    # The whole log is sealed afresh below (and measured), under this run's key.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS audit_chain, audit_checkpoints")
    settings = Settings(database_url=url, context_cache_ttl=0, log_level="WARNING")
    container = build_container(settings, run_projections=False)
    db = container.projections.db
    key = SigningKey.generate()  # this run's own key
    rng = random.Random(1)

    started = time.perf_counter()
    container.projections.catch_up()
    print(f"read models caught up in {time.perf_counter() - started:.1f} s")

    # (1) An aggregate with 500 events.
    started = time.perf_counter()
    objective = long_aggregate(container, db, 500)
    container.projections.catch_up()
    print(f"objective {objective} has 500 events ({time.perf_counter() - started:.1f} s)")
    recorder: Any = container.store.recorder
    life = [e.timestamp for e in event_index.aggregate_events(db, objective)]
    assert len(life) >= 500, len(life)
    span = (life[-1] - life[0]).total_seconds()
    times = []
    for _ in range(args.samples):
        at = life[0] + timedelta(seconds=rng.random() * span)
        t = time.perf_counter()
        as_of(recorder, objective, at=at)
        times.append(time.perf_counter() - t)
    print(f"(1) aggregate as of a moment, 500 events: {ms(times)} ({args.samples} samples)")
    auditor = Principal(uuid.uuid4(), Role.AUDITOR, trust_id=None)
    with db.transaction(write=False) as tx:
        trust_id = tx.query(
            "SELECT trust_id FROM rm_objective_current WHERE objective_id = ?", [objective]
        )[0][0]
    auditor = Principal(uuid.uuid4(), Role.AUDITOR, trust_id=trust_id)
    token = mint_token(
        auditor, secret=settings.jwt_secret.get_secret_value(), issuer=settings.jwt_issuer
    )
    http = []
    with TestClient(create_app(container=container)) as client:
        for _ in range(min(args.samples, 100)):
            at = life[0] + timedelta(seconds=rng.random() * span)
            t = time.perf_counter()
            r = client.get(
                f"/v1/audit/aggregates/{objective}",
                params={"as_of": at.isoformat()},
                headers={"Authorization": f"Bearer {token}"},
            )
            http.append(time.perf_counter() - t)
            assert r.status_code == 200
    print(f"    the same through GET /v1/audit/aggregates/{{id}}?as_of=: {ms(http)}")

    # (2) A school's summary as of a moment.
    with db.transaction(write=False) as tx:
        groups = tx.query("SELECT school_id, cycle_id, trust_id FROM rm_school_cycle_summary")
        first, last = tx.query("SELECT min(timestamp), max(timestamp) FROM rm_event_index")[0]
    first, last = datetime.fromisoformat(str(first)), datetime.fromisoformat(str(last))
    times, replayed = [], []
    for _ in range(args.summary_samples):
        school, cycle, _ = rng.choice(groups)
        at = first + (last - first) * rng.random()
        summaries._ANSWERS = summaries._Answers()  # no cached answers
        t = time.perf_counter()
        answer = summaries.school_summary_as_of(db, school, cycle, at=at)
        times.append(time.perf_counter() - t)
        replayed.append(answer.replayed)
    print(
        f"(2) school summary as of a moment: {ms(times)} ({args.summary_samples} samples; "
        f"{statistics.mean(replayed):,.0f} events replayed on average, "
        f"max {max(replayed):,})"
    )
    school, cycle, trust = groups[0]
    t = time.perf_counter()
    answer_t = summaries.trust_summary_as_of(db, trust, cycle, at=last)
    print(
        f"    a trust summary as of a moment: {time.perf_counter() - t:.1f} s "
        f"({answer_t.replayed:,} events replayed)"
    )

    # Sealing the whole log, then (3) verify against raw scans.
    started = time.perf_counter()
    sealed = seal(db, key)
    seconds = time.perf_counter() - started
    assert sealed is not None
    rate = sealed.added / seconds if seconds and sealed.added else 0
    print(f"sealed {sealed.added:,} events in {seconds:.1f} s ({rate:,.0f} events/s)")
    for attempt in (1, 2):
        binary = raw_scan(url, binary=True)
        text = raw_scan(url, binary=False)
        result = verify(db, key.public)
        assert result.intact, result.describe()
        v = result.events_per_second
        print(
            f"(3) run {attempt}: verify {v:,.0f} events/s ({result.events:,} events); raw scan "
            f"binary {binary:,.0f}/s -> {v / binary:.2f}x, text {text:,.0f}/s -> {v / text:.2f}x"
        )

    # Analysts' worked examples over the whole history.
    pseudonymiser = Pseudonymiser(settings.pseudonym_key.get_secret_value().encode())
    examples = Path(__file__).resolve().parents[1] / "docs" / "examples"
    for spec in ("revised_after_mid_year.py", "days_to_agreement.py"):
        t = time.perf_counter()
        outcome = run(db, load(str(examples / spec))(), pseudonymiser=pseudonymiser)
        print(
            f"analysts' {spec}: {outcome.events:,} events, {len(outcome.projection.rows)} rows "
            f"in {time.perf_counter() - t:.1f} s"
        )
    container.close()
    print(f"database {name} kept (drop it with: dropdb -h 127.0.0.1 -U postgres {name})")


if __name__ == "__main__":
    main()
