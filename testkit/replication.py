"""A PostgreSQL primary and its streaming replica, both private, on free loopback ports.

The primary is a fresh cluster (``initdb``, ``wal_level = replica``, replication allowed from
127.0.0.1); the replica is ``pg_basebackup -R`` of it, started as a hot standby that streams
its WAL. Private rather than a copy of the shared cluster on 5432: ``pg_basebackup`` copies a
whole cluster, and the shared one holds whatever other runs left there (a 1M-event benchmark
database made a copy of it take 106 s and 2.8 GB here), and the shared cluster's
``pg_hba.conf`` would have to be changed to allow replication. No replication slot: WAL
is kept by ``wal_keep_size`` instead, so a run that dies leaves nothing behind but files.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from glob import glob
from pathlib import Path

import psycopg


def pg_bin(name: str) -> str | None:
    """A PostgreSQL server binary (Debian keeps them off the PATH)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_server_user(argv: list[str]) -> list[str]:
    """``argv`` run as ``postgres`` when we are root: initdb and postgres refuse root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@dataclass
class Cluster:
    """One running PostgreSQL server of the pair."""

    port: int
    data: Path
    log: Path

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def _pg_ctl(self, *args: str) -> None:
        pg_ctl = pg_bin("pg_ctl")
        assert pg_ctl
        subprocess.run(
            as_server_user([pg_ctl, "-D", str(self.data), *args]),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        self._pg_ctl("-w", "-t", "60", "-l", str(self.log), "start")

    def kill(self) -> None:
        pg_ctl = pg_bin("pg_ctl")
        assert pg_ctl
        subprocess.run(
            as_server_user([pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )

    def wait_for_database(self, dbname: str, timeout: float = 30.0) -> None:
        """Until ``dbname`` accepts connections (on the replica: has been replayed)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url(dbname), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


@dataclass
class ReplicatedPair:
    primary: Cluster
    replica: Cluster


def _conf(root: Path, port: int) -> str:
    return (
        f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{root}'\n"
        "fsync = off\nshared_buffers = 32MB\nmax_connections = 60\n"
        "wal_level = replica\nmax_wal_senders = 4\nwal_keep_size = 256MB\n"
        "hot_standby = on\nwal_receiver_status_interval = 1s\n"
    )


@contextmanager
def replicated_pair(dbname: str = "appraisals") -> Iterator[ReplicatedPair]:
    """Start a primary with ``dbname`` and a streaming replica of it; stop and remove both."""
    initdb, basebackup = pg_bin("initdb"), pg_bin("pg_basebackup")
    if not initdb or not basebackup or not pg_bin("pg_ctl"):
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) missing")
    root = Path(tempfile.mkdtemp(prefix="appraisals-replication-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    primary = Cluster(free_port(), root / "primary", root / "primary.log")
    subprocess.run(
        as_server_user(
            [initdb, "-D", str(primary.data), "-U", "postgres", "-A", "trust", "--no-sync"]
        ),
        check=True,
        capture_output=True,
    )
    (primary.data / "pg_hba.conf").write_text(
        "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        "host replication all 127.0.0.1/32 trust\n"
    )
    with (primary.data / "postgresql.conf").open("a") as conf:
        conf.write(_conf(root, primary.port))
    replica = Cluster(free_port(), root / "replica", root / "replica.log")
    try:
        primary.start()
        with psycopg.connect(primary.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        subprocess.run(
            as_server_user(
                [
                    basebackup,
                    *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
                    *("-D", str(replica.data)),
                    "-R",  # standby.signal, and primary_conninfo in postgresql.auto.conf
                    *("-X", "stream", "--checkpoint=fast", "--no-sync"),
                ]
            ),
            check=True,
            capture_output=True,
        )
        # The copy brought the primary's postgresql.conf: the replica appends its own port.
        with (replica.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {replica.port}\n")
        replica.start()
        replica.wait_for_database(dbname)
        yield ReplicatedPair(primary, replica)
    finally:
        replica.kill()
        primary.kill()
        shutil.rmtree(root, ignore_errors=True)
