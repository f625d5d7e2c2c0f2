"""Subject access export on PostgreSQL: the demo trust and a larger one, against a floor.

    .venv/bin/python benchmarks/subject_access.py [--sizes 8:400,20:2000] [--rounds 5]

For each size it builds a fresh database with the demo through the command layer
(``appraisals.demo``), rebuilds the read models, then in interleaved rounds measures:

  floor   a raw paged read of the whole log (the engine's binary read, decoding nothing):
          what any export that looks at every event must pay at least;
  export  ``privacy.export.build_export`` for the demo's appraiser (events, rows, names);
  html    the readable document rendered;
and once, the PDF (WeasyPrint). Medians, the export/floor ratio, and the load average (the
machine is shared) are printed. The databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BASE_URL = "postgresql://postgres@127.0.0.1:5432/"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def floor(db: object) -> float:
    from projections.engine.core import EventLog
    from projections.engine.db import Database

    assert isinstance(db, Database)
    started = time.perf_counter()
    with db.transaction(write=False) as tx:
        log = EventLog()
        head, after = log.head(tx), 0
        while after < head:
            rows = log.read(tx, after, head, 5000, None)
            if not rows:
                break
            after = rows[-1][0]
    return time.perf_counter() - started


def run(schools: int, staff: int, rounds: int) -> None:
    from appraisals import demo
    from appraisals.wiring import build
    from config.settings import Settings
    from privacy.export import build_export
    from privacy.subject_access_render import render_html, render_pdf

    name = f"issue18x_sar_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        container = build(Settings(database_url=BASE_URL + name), run_projections=False)
        started = time.perf_counter()
        summary = demo.generate(container, schools=schools, staff=staff, seed=3)
        print(
            f"{schools} schools, {staff} staff: {summary.events:,} events generated in "
            f"{time.perf_counter() - started:.0f} s"
        )
        started = time.perf_counter()
        container.projections.catch_up()
        print(f"  read models caught up in {time.perf_counter() - started:.0f} s")
        db = container.projections.db
        person = summary.appraiser.principal.id
        floors, exports, htmls = [], [], []
        export = None
        for _ in range(rounds):
            floors.append(floor(db))
            started = time.perf_counter()
            export = build_export(db, person)
            exports.append(time.perf_counter() - started)
            started = time.perf_counter()
            render_html(export)
            htmls.append(time.perf_counter() - started)
        assert export is not None
        started = time.perf_counter()
        pdf = render_pdf(export)
        pdf_seconds = time.perf_counter() - started
        f, e, h = (statistics.median(x) for x in (floors, exports, htmls))
        print(
            f"  export of {summary.appraiser.name}: {len(export.events)} events, "
            f"{export.row_count} rows, {len(export.files)} files"
        )
        print(
            f"  floor (raw log read) {f * 1000:.0f} ms | export {e * 1000:.0f} ms "
            f"(x{e / f:.1f} the floor) | html {h * 1000:.0f} ms | pdf {pdf_seconds:.1f} s "
            f"({len(pdf) // 1024} KiB); median of {rounds} interleaved rounds; {load()}"
        )
        container.close()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8:400,20:2000", help="schools:staff,...")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(load())
    for size in args.sizes.split(","):
        schools, staff = (int(x) for x in size.split(":"))
        run(schools, staff, args.rounds)


if __name__ == "__main__":
    main()
