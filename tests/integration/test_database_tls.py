"""Database URLs reach libpq whole: TLS, application_name and friends, on both connection paths.

Runs against a private PostgreSQL cluster that accepts TLS connections only (tls_postgres.py),
started on a free port by this module; the shared cluster on 5432 is not touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from appraisals.wiring import Container, build, build_store, eventsourcing_env
from config.settings import Settings
from projections.engine.db_postgres import libpq_params
from testkit.scenario import build_org
from tests.integration.tls_postgres import TlsCluster, tls_cluster

pytestmark = pytest.mark.integration

APP = "appraisals-tls-test"
# What each backend says about its own connection.
WHO_AM_I = (
    "SELECT s.ssl, a.application_name FROM pg_stat_ssl s "
    "JOIN pg_stat_activity a ON a.pid = s.pid WHERE s.pid = pg_backend_pid()"
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[TlsCluster]:
    with tls_cluster() as c:
        with psycopg.connect(c.url(sslmode="require"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE appraisals")
        yield c


@pytest.fixture
def container(cluster: TlsCluster) -> Iterator[Container]:
    url = cluster.url("appraisals", sslmode="require", application_name=APP)
    c = build(Settings(database_url=url), run_projections=False)
    yield c
    c.close()


def test_the_private_cluster_refuses_connections_without_tls(cluster: TlsCluster) -> None:
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        psycopg.connect(cluster.url(sslmode="disable"), connect_timeout=5).close()


def test_sslmode_and_application_name_reach_the_event_store_pool_and_writer(
    container: Container,
) -> None:
    recorder: Any = container.store.recorder
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(WHO_AM_I)
        row = curs.fetchone()
    assert (row["ssl"], row["application_name"]) == (True, APP)
    # The append path keeps its own per-thread connection: it must be encrypted too.
    writer = recorder._writer()
    writer.execute(WHO_AM_I)
    assert writer.fetchone() == (True, APP)


def test_sslmode_and_application_name_reach_the_read_model_pool(container: Container) -> None:
    db: Any = container.projections.db  # PostgresDatabase
    with db.connection() as conn:
        row = conn.execute(WHO_AM_I).fetchone()
    assert row == (True, APP)


def test_commands_and_projections_work_end_to_end_over_tls(container: Container) -> None:
    org = build_org(container.commands)
    container.projections.catch_up()
    head = container.store.recorder.max_notification_id()
    assert head and head > 0
    status = {s.name: s.position for s in container.projections.status()}
    assert org.trust_id and all(position == head for position in status.values())


def test_verify_full_with_the_right_ca_and_host_name_connects(cluster: TlsCluster) -> None:
    url = cluster.url(
        "appraisals", host="localhost", sslmode="verify-full", sslrootcert=str(cluster.ca_file)
    )
    store = build_store(Settings(database_url=url))
    try:
        assert store.recorder.max_notification_id() is not None
    finally:
        store.close()


def test_verify_full_with_a_wrong_ca_refuses_to_connect(cluster: TlsCluster) -> None:
    url = cluster.url(
        "appraisals",
        host="localhost",
        sslmode="verify-full",
        sslrootcert=str(cluster.wrong_ca_file),
        connect_timeout="5",
    )
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        build_store(Settings(database_url=url))


def test_every_libpq_parameter_and_a_unix_socket_host_survive_parsing() -> None:
    url = (
        "postgresql://ana:p%40ss@/ledger?host=/run/postgresql&port=5433&sslmode=verify-full"
        "&sslrootcert=/etc/ca.pem&application_name=web&target_session_attrs=read-write"
        "&options=-c%20statement_timeout%3D5s"
    )
    params = libpq_params(url)
    assert params == {
        "user": "ana",
        "password": "p@ss",
        "dbname": "ledger",
        "host": "/run/postgresql",
        "port": "5433",
        "sslmode": "verify-full",
        "sslrootcert": "/etc/ca.pem",
        "application_name": "web",
        "target_session_attrs": "read-write",
        "options": "-c statement_timeout=5s",
    }
    env = eventsourcing_env(Settings(database_url=url))
    assert env["POSTGRES_HOST"] == "/run/postgresql"
    assert psycopg.conninfo.conninfo_to_dict(env["POSTGRES_CONNINFO"]) == params


def test_an_unknown_url_parameter_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="sslmdoe"):
        libpq_params("postgresql://h/db?sslmdoe=require")
