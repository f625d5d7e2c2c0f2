"""A streaming replica of the shared PostgreSQL cluster, on a free loopback port.

``pg_basebackup -R`` copies the running cluster (127.0.0.1:5432) into a temporary directory
and writes the standby's connection settings; the copy starts as a hot standby that streams
the primary's WAL, so every test database created on the primary appears on it. No
replication slot is made: a test run that dies leaves nothing holding WAL on the shared
cluster.

The shared cluster must accept replication connections from 127.0.0.1. A machine set up
like the CI's (Debian's PostgreSQL 15, trust for ``all`` databases) does not: ``all`` never
matches a replication connection. ``allow_replication`` adds the one line that does to its
``pg_hba.conf`` and reloads it, once; ``wal_level`` and ``max_wal_senders`` need a restart to
change, so they are checked, not changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from tests.integration.tls_postgres import _as_server_user, free_port, pg_bin

HBA_LINE = "host replication all 127.0.0.1/32 trust"
# A hot standby refuses to start with less of these than its primary has.
MATCHED = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def _replication_allowed(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NULL "
        "AND 'replication' = ANY(database) AND type = 'host' "
        "AND (address IS NULL OR address IN ('127.0.0.1', 'all', '0.0.0.0'))"
    ).fetchone()
    return bool(row and row[0])


def allow_replication(admin_url: str) -> None:
    """Let 127.0.0.1 open replication connections to the shared cluster (idempotent)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        level = conn.execute("SHOW wal_level").fetchone()
        senders = conn.execute("SHOW max_wal_senders").fetchone()
        if not level or level[0] not in ("replica", "logical"):
            raise RuntimeError(f"wal_level is {level}: a replica needs 'replica' (restart)")
        if not senders or int(senders[0]) < 2:
            raise RuntimeError(f"max_wal_senders is {senders}: a replica needs 2 or more")
        if _replication_allowed(conn):
            return
        row = conn.execute("SHOW hba_file").fetchone()
        assert row is not None
        hba = Path(str(row[0]))
        try:
            with hba.open("a") as f:
                f.write(
                    f"\n# Streaming replicas started by the appraisal-ledger tests\n{HBA_LINE}\n"
                )
        except OSError as e:
            raise RuntimeError(
                f"cannot add {HBA_LINE!r} to {hba} ({e}); add it and reload PostgreSQL"
            ) from None
        conn.execute("SELECT pg_reload_conf()")
        # The postmaster re-reads pg_hba.conf on SIGHUP, a moment later.
        time.sleep(0.5)


@dataclass
class Replica:
    port: int
    data: Path
    log: Path

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def _pg_ctl(self, *args: str) -> None:
        pg_ctl = pg_bin("pg_ctl")
        assert pg_ctl
        subprocess.run(
            _as_server_user([pg_ctl, "-D", str(self.data), *args]),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        self._pg_ctl("-w", "-t", "60", "-l", str(self.log), "start")

    def wait_for_database(self, dbname: str, timeout: float = 30.0) -> None:
        """Until the database created on the primary has been replayed here."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url(dbname), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def _primary_settings(admin_url: str) -> dict[str, str]:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return {name: str(conn.execute(f"SHOW {name}").fetchone()[0]) for name in MATCHED}  # type: ignore[index]


@contextmanager
def streaming_replica(admin_url: str) -> Iterator[Replica]:
    """Start a hot standby of the cluster behind ``admin_url``; stop it and remove it after."""
    basebackup, pg_ctl = pg_bin("pg_basebackup"), pg_bin("pg_ctl")
    if not basebackup or not pg_ctl:
        raise RuntimeError("PostgreSQL server binaries (pg_basebackup, pg_ctl) are not installed")
    allow_replication(admin_url)
    params = conninfo_to_dict(admin_url)
    root = Path(tempfile.mkdtemp(prefix="appraisals-replica-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, log = root / "data", root / "log"
    command = [
        basebackup,
        "-h",
        str(params.get("host", "127.0.0.1")),
        "-p",
        str(params.get("port", "5432")),
        "-U",
        str(params.get("user", "postgres")),
        "-D",
        str(data),
        "-R",  # standby.signal and primary_conninfo
        "-X",
        "stream",
        "--checkpoint=fast",
        "--no-sync",
    ]
    for attempt in range(3):
        done = subprocess.run(_as_server_user(command), capture_output=True, text=True)
        if done.returncode == 0:
            break
        shutil.rmtree(data, ignore_errors=True)
        if attempt == 2:
            raise RuntimeError(f"pg_basebackup failed: {done.stderr.strip()}")
        time.sleep(1)  # pg_hba.conf just reloaded, or a checkpoint in the way
    port = free_port()
    matched = "".join(f"{k} = {v}\n" for k, v in _primary_settings(admin_url).items())
    # Debian keeps the primary's postgresql.conf and pg_hba.conf outside the data directory,
    # so the copy has none: the standby gets its own.
    (data / "postgresql.conf").write_text(
        f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{root}'\n"
        "hot_standby = on\nfsync = off\nshared_buffers = 32MB\n"
        "max_standby_streaming_delay = 30s\nwal_receiver_status_interval = 1s\n" + matched
    )
    (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    (data / "pg_ident.conf").write_text("")
    if os.geteuid() == 0:
        for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
            shutil.chown(data / name, "postgres")
    replica = Replica(port=port, data=data, log=log)
    replica.start()
    try:
        yield replica
    finally:
        subprocess.run(
            _as_server_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
