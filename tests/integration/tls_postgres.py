"""A private PostgreSQL cluster that accepts only TLS, on a free loopback port.

Started by tests that need a database the shared one (5432, trust, no TLS) cannot stand in
for: ``initdb`` into a temporary directory, a self-signed certificate for ``localhost`` and
``127.0.0.1`` made with ``cryptography``, ``pg_hba.conf`` rejecting every non-TLS connection.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from testkit.replication import as_server_user, free_port, pg_bin

__all__ = ["TlsCluster", "free_port", "pg_bin", "self_signed", "tls_cluster"]


def self_signed(common_name: str, directory: Path, stem: str) -> tuple[Path, Path]:
    """A self-signed certificate (its own CA) for localhost and 127.0.0.1: (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{stem}.crt", directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass(frozen=True)
class TlsCluster:
    port: int
    ca_file: Path  # the server's own (self-signed) certificate: the right CA
    wrong_ca_file: Path  # another self-signed certificate: the wrong CA

    def url(self, dbname: str = "postgres", host: str = "127.0.0.1", **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgresql://postgres@{host}:{self.port}/{dbname}" + (f"?{query}" if query else "")


@contextmanager
def tls_cluster() -> Iterator[TlsCluster]:
    """Start the cluster, yield how to reach it, stop it and remove its files."""
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    root = Path(tempfile.mkdtemp(prefix="appraisals-tls-pg-"))
    data, certs = root / "data", root / "certs"
    certs.mkdir()
    cert, key = self_signed("localhost", certs, "server")
    wrong_ca, _ = self_signed("localhost", certs, "impostor")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        for path in (certs, cert, key):
            shutil.chown(path, "postgres")
    port = free_port()
    subprocess.run(
        as_server_user([initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    (data / "pg_hba.conf").write_text(
        "local all all trust\n"
        "hostssl all all 127.0.0.1/32 trust\n"
        "hostnossl all all 0.0.0.0/0 reject\n"
    )
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{root}'\n"
            f"ssl = on\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\n"
            "fsync = off\nshared_buffers = 16MB\nmax_connections = 40\n"
        )
    subprocess.run(
        as_server_user([pg_ctl, "-D", str(data), "-w", "-l", str(root / "log"), "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield TlsCluster(port=port, ca_file=cert, wrong_ca_file=wrong_ca)
    finally:
        subprocess.run(
            as_server_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
