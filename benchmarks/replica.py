"""Read replica benchmark: query throughput on the primary alone against primary + replica,
and how far a streaming replica trails the primary's read models under write load.

Run: ``.venv/bin/python benchmarks/replica.py [--seconds 4 --rounds 3 --clients 8]``. It
starts a private PostgreSQL primary and a hot standby of it (``pg_basebackup -R``, as the
tests do), fills the database through the command layer, then:

  * queries/s: ``--clients`` threads run the objective and review queries the API serves,
    either all on the primary or routed as the service routes them (reads without
    ``min_position`` on the replica); rounds interleaved, the median of each printed with
    the same-run ratio;
  * replica delay: commands from ``--writers`` threads while projections run in-process; a
    poller notes when each log position reached the primary's ``objective_current`` and
    when it reached the replica's; the difference is how long a ``min_position`` read
    waits for the replica after the primary has its write.

Both servers share this machine's cores, so the throughput ratio shows the routing's cost
and nothing of a second machine's capacity: see docs/deployment.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appraisals.wiring import Container, build
from commands import messages as m
from config.settings import Settings
from projections import objective_current, review_status
from projections.engine.db import Database
from projections.engine.replica import POSITIONS
from testkit.replication import replicated_pair
from testkit.scenario import build_org


def fill(c: Container, objectives: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """An organisation with ``objectives`` objectives over its review: (objective, review)."""
    org = build_org(c.commands)
    made = []
    for i in range(objectives):
        o = c.commands.execute(
            m.DraftObjective(
                review_id=org.review_id,
                title=f"Objective {i}",
                success_criteria=["A measurable outcome"],
                due_date=date(2026, 7, 1),
            ),
            org.appraiser,
        ).aggregate_id
        made.append((o, org.review_id))
        if i >= 2:  # at most three active objectives per review: the rest are withdrawn
            c.commands.execute(m.WithdrawObjective(objective_id=o, reason="bench"), org.appraiser)
    return made


def query_rate(
    pick: object, targets: list[tuple[uuid.UUID, uuid.UUID]], clients: int, seconds: float
) -> float:
    """Queries per second from ``clients`` threads, each reading through ``pick()``."""
    stop = time.monotonic() + seconds
    counts = [0] * clients

    def run(k: int) -> None:
        i = k
        while time.monotonic() < stop:
            objective, review = targets[i % len(targets)]
            db: Database = pick()  # type: ignore[operator]
            objective_current.get_objective(db, objective)
            review_status.get_review(db, review)
            counts[k] += 2
            i += clients

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - started)


# The read model a progress read needs; each side's position of it is polled.
WATCHED = "objective_current"


def replica_delays(c: Container, replica_url: str, writers: int, seconds: float) -> list[float]:
    """Milliseconds between a position reaching the primary's read models and the replica's."""
    primary_seen: dict[int, float] = {}
    replica_seen: dict[int, float] = {}
    stop, writing = threading.Event(), threading.Event()

    def poll(url: str, seen: dict[int, float]) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            last = 0
            while not stop.is_set():
                rows = conn.execute(POSITIONS).fetchall()
                low = min(int(p) for n, p in rows if n == WATCHED)
                now = time.monotonic()
                for p in range(last + 1, low + 1):
                    seen[p] = now
                last = max(last, low)
                time.sleep(0.002)

    def write(k: int, made: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
        org_principal = principals[k]
        i = 0
        while not writing.is_set():
            objective = made[i % len(made)][0]
            c.commands.execute(
                m.RecordProgress(objective_id=objective, percent=i % 100, note="bench"),
                org_principal,
            )
            i += 1

    principals = []
    sets = []
    for _ in range(writers):
        org = build_org(c.commands)
        o = c.commands.execute(
            m.DraftObjective(
                review_id=org.review_id,
                title="Progress under load",
                success_criteria=["Measured"],
                due_date=date(2026, 7, 1),
            ),
            org.appraiser,
        ).aggregate_id
        c.commands.execute(m.AgreeObjective(objective_id=o), org.appraiser)
        c.commands.execute(m.AgreeObjective(objective_id=o), org.appraisee)
        principals.append(org.appraisee)
        sets.append([(o, org.review_id)])
    c.projections.catch_up()
    start = c.store.recorder.max_notification_id() or 0
    pollers = [
        threading.Thread(target=poll, args=(c.settings.database_url, primary_seen)),
        threading.Thread(target=poll, args=(replica_url, replica_seen)),
    ]
    threads = [threading.Thread(target=write, args=(k, sets[k])) for k in range(writers)]
    for t in pollers + threads:
        t.start()
    time.sleep(seconds)
    writing.set()
    for t in threads:
        t.join()
    # Let both sides settle before the pollers end.
    end = c.store.recorder.max_notification_id() or 0
    deadline = time.monotonic() + 60
    while (end not in replica_seen or end not in primary_seen) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for t in pollers:
        t.join()
    return [
        (replica_seen[p] - primary_seen[p]) * 1000
        for p in range(start + 1, end + 1)
        if p in primary_seen and p in replica_seen
    ]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--objectives", type=int, default=300)
    args = parser.parse_args()
    with replicated_pair("appraisals") as pair:
        settings = Settings(
            database_url=pair.primary.url("appraisals"),
            read_database_url=pair.replica.url("appraisals"),
            pool_size=args.clients,
        )
        c = build(settings, run_projections=False)
        try:
            targets = fill(c, args.objectives)
            c.projections.catch_up()
            assert c.replica is not None
            while not c.replica.reached(c.store.recorder.max_notification_id() or 0):
                time.sleep(0.05)
            primary = c.projections.db
            routed = {"primary only": lambda: primary, "primary + replica": c.read_db}
            rates: dict[str, list[float]] = {k: [] for k in routed}
            for pick in routed.values():  # warm both pools up to the clients' number
                query_rate(pick, targets, args.clients, 1.0)
            for _ in range(args.rounds):
                for label, pick in routed.items():
                    rates[label].append(query_rate(pick, targets, args.clients, args.seconds))
            served = dict(c.replica.served)
        finally:
            c.close()
        # Projections in-process, as `appraisals serve` runs them without Redis.
        c = build(settings)
        c.start()
        try:
            delays = replica_delays(
                c, pair.replica.url("appraisals"), args.writers, args.seconds * 2
            )
        finally:
            c.close()
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (2 shared cores)")
    print(f"queries/s, {args.clients} clients, median of {args.rounds} interleaved rounds:")
    medians = {k: statistics.median(v) for k, v in rates.items()}
    for label, values in rates.items():
        rounds = ", ".join(f"{v:.0f}" for v in values)
        print(f"  {label:18} {medians[label]:8.0f}   rounds: {rounds}")
    ratio = medians["primary + replica"] / medians["primary only"]
    print(f"  ratio primary+replica / primary only: {ratio:.2f}x")
    print(f"  read transactions served: {served}")
    if delays:
        print(
            f"replica behind the primary's read models, {len(delays)} events from "
            f"{args.writers} writers: p50 {pct(delays, 0.5):.1f} ms, "
            f"p99 {pct(delays, 0.99):.1f} ms, max {max(delays):.1f} ms"
        )
        within = sum(1 for d in delays if d <= 500) / len(delays)
        print(f"  a min_position read served by the replica within the 0.5 s wait: {within:.1%}")


if __name__ == "__main__":
    main()
