"""The real server: production mode refuses development keys; the request head is limited
while it is read (431 before a huge header is read in full)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest

from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration

APPRAISALS = str(Path(sys.executable).parent / "appraisals")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPRAISALS_")}
    env["APPRAISALS_DATABASE_URL"] = f"sqlite:///{tmp_path}/store.db"
    env.update(extra)
    return env


def test_production_mode_with_a_development_key_refuses_to_start(tmp_path: Path) -> None:
    # The install's development keys exist (as after any `make run`)...
    subprocess.run(
        [APPRAISALS, "token", "--role", "admin"],
        cwd=tmp_path,
        check=True,
        env=_env(tmp_path),
        capture_output=True,
    )
    keys = (tmp_path / "var" / "dev-keys.json").read_text()
    import json

    dev_secret = json.loads(keys)["jwt_secret"]
    strong = "p" * 40
    env = _env(
        tmp_path,
        APPRAISALS_ENV="production",
        APPRAISALS_JWT_SECRET=dev_secret,
        APPRAISALS_PSEUDONYM_KEY=strong,
    )
    done = subprocess.run(
        [APPRAISALS, "serve", "--port", "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [
        "refusing to start: APPRAISALS_JWT_SECRET is a development key; set a production one"
    ]


def test_binding_to_all_interfaces_is_production_and_refuses_missing_keys(tmp_path: Path) -> None:
    done = subprocess.run(
        [APPRAISALS, "serve", "--host", "0.0.0.0", "--port", "1"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "APPRAISALS_JWT_SECRET is a development key" in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    port = _free_port()
    url = create_database("appraisals_serve")
    base, name = url.rsplit("/", 1)
    with_password = base.replace("postgres@", "postgres:serve-secret-pw@") + "/" + name
    process = subprocess.Popen(
        [APPRAISALS, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=_env(tmp_path, APPRAISALS_DATABASE_URL=with_password),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            break
        time.sleep(0.1)
    try:
        yield port
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
        drop_database(url)
        # The start-up line names the store with its password redacted.
        assert '"event":"serving"' in output and "***" in output
        assert "serve-secret-pw" not in output


def test_a_huge_header_is_refused_431_before_it_is_read_in_full(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=10) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
        sent = 0
        answer = b""
        # Offer 128 MiB; the server must answer and close long before taking it all.
        with suppress(OSError):
            while sent < 128 * 1024 * 1024:
                conn.sendall(b"a" * 65536)
                sent += 65536
        with suppress(OSError):
            while chunk := conn.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]
    assert sent < 8 * 1024 * 1024


def test_a_huge_request_line_is_refused_414(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=10) as conn:
        with suppress(OSError):
            conn.sendall(b"GET /healthz?" + b"q" * 64 * 1024)
        answer = conn.recv(65536)
    assert answer.startswith(b"HTTP/1.1 414 ")


def test_normal_requests_keep_working_and_carry_security_headers(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=10) as conn:
        for _ in range(2):  # the same connection, kept alive
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while not answer.endswith(b'{"status":"ok"}'):
                answer += conn.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 ")
            assert b"content-security-policy" in answer.lower()


def test_a_large_body_sent_with_its_head_is_not_counted_as_head(server: int) -> None:
    # Head and a 100 KB body in one write, twice on one connection: the limits are the head's
    # only (the body is answered on its merits: 401, no bearer token), and the second request's
    # head is limited afresh.
    body = b'{"note": "' + b"n" * 100_000 + b'"}'
    request = (
        b"POST /v1/objectives/00000000-0000-4000-8000-000000000000/progress HTTP/1.1\r\n"
        b"Host: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (len(body), body)
    )
    with socket.create_connection(("127.0.0.1", server), timeout=30) as conn:
        for _ in range(2):
            conn.sendall(request)
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                chunk = conn.recv(65536)
                assert chunk, answer[:200]
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"h" * 64 * 1024)
        with suppress(OSError):
            answer = conn.recv(65536)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]
