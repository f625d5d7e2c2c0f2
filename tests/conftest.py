"""Shared fixtures: a fixed clock, and a fresh PostgreSQL database per test session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg
import pytest
import redis

if TYPE_CHECKING:
    from testkit.replication import ReplicatedPair

PG_ADMIN_URL = os.environ.get(
    "APPRAISALS_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("APPRAISALS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def fixed_now() -> datetime:
    return datetime(2025, 9, 15, 9, 30, tzinfo=UTC)


def create_database(prefix: str = "appraisals_test") -> str:
    """Create a uniquely named database; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    url = create_database()
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def redis_namespace() -> Iterator[str]:
    """A unique Redis key prefix, so runs never see each other's keys; removed afterwards."""
    namespace = f"appraisals-test-{uuid.uuid4().hex[:10]}"
    yield namespace
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        keys = list(client.scan_iter(match=f"{namespace}*"))
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass  # Redis down (a test may have stopped it on purpose): nothing to clean
    finally:
        client.close()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A local S3-compatible server (moto's server, its own process) on a free port."""
    import shutil
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    proc = subprocess.Popen(
        [exe, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def pg_replication() -> Iterator[ReplicatedPair]:
    """A private PostgreSQL primary with an ``appraisals`` database and a hot standby that
    streams it (pg_basebackup -R), each on a free port. Stopped and removed after."""
    from testkit.replication import replicated_pair

    with replicated_pair("appraisals") as pair:
        yield pair
