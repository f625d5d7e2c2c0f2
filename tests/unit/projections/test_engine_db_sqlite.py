"""SQLiteDatabase.close while another thread is inside a statement.

Closing a ``sqlite3`` connection while another thread executes on it is a use-after-free in
CPython's sqlite3 (a segfault): the process dies, so each case runs in a child interpreter and
the test reads its exit status.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CHILD = textwrap.dedent(
    """
    import sys, threading
    from projections.engine.db_sqlite import SQLiteDatabase

    db = SQLiteDatabase("sqlite:///" + sys.argv[1])
    with db.transaction() as tx:
        tx.execute("CREATE TABLE t (a INTEGER)")
    results = []
    inside = threading.Event()

    def reader():
        for _ in range(40):
            with db.transaction(write=False) as tx:
                inside.set()
                rows = tx.query(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i < 20000) SELECT count(*) FROM n"
                )
                results.append(rows[0][0])

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for _ in range(50):  # close again and again while both readers are mid-query
        inside.wait()
        db.close()
    for t in threads:
        t.join()
    db.close()
    assert results == [20000] * 80, results
    print("ok")
    """
)


def test_closing_while_other_threads_query_neither_crashes_nor_loses_their_answers(
    tmp_path: Path,
) -> None:
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "read.db")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert child.returncode == 0, (child.returncode, child.stderr[-2000:])
    assert child.stdout.strip() == "ok"
