"""The deployment recipe's proxy case: TLS ends at a reverse proxy on loopback, which forwards
plain HTTP to `appraisals serve --workers 2` with X-Forwarded-For and X-Forwarded-Proto.

From a trusted proxy the forwarded scheme and client address are honoured: a person signs in
to the dashboard over https, gets a Secure cookie, and posts a form; the access log names the
real client. From a proxy that is not trusted, the same headers are ignored (and the
dashboard's same-origin check refuses the post, as it must when it cannot know the scheme).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.integration.tls_postgres import free_port, self_signed

pytestmark = pytest.mark.integration

SECRET = "proxy-test-secret-0123456789abcdef0123456789"
CLIENT = "203.0.113.9"  # what the browser's own proxy chain says
APPRAISALS = [sys.executable, "-m", "appraisals"]
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "content-length"}


def _proxy_handler(upstream: int) -> type[BaseHTTPRequestHandler]:
    class Proxy(BaseHTTPRequestHandler):
        """Forwards each request to the upstream as nginx's proxy_pass would."""

        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=30)
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in HOP_BY_HOP | {"x-forwarded-for", "x-forwarded-proto"}:
                    conn.putheader(name, value)  # Host passes through unchanged
            prior = self.headers.get("X-Forwarded-For")
            peer = self.client_address[0]
            conn.putheader("X-Forwarded-For", f"{prior}, {peer}" if prior else peer)
            conn.putheader("X-Forwarded-Proto", "https")
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            answer = conn.getresponse()
            data = answer.read()
            self.send_response(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = _forward

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Proxy


@contextmanager
def tls_proxy(upstream: int, certs: Path) -> Iterator[tuple[int, Path]]:
    """A TLS-terminating reverse proxy on a free loopback port: (port, CA file)."""
    cert, key = self_signed("localhost", certs, "proxy")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _proxy_handler(upstream))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], cert
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serving(tmp_path: Path, trusted: str) -> Iterator[tuple[int, list[str]]]:
    """`appraisals serve --workers 2` with these trusted proxies: (port, its log lines)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPRAISALS_")}
    env.update(
        APPRAISALS_DATABASE_URL=f"sqlite:///{tmp_path / 'proxy.db'}",
        APPRAISALS_JWT_SECRET=SECRET,
        APPRAISALS_TRUSTED_PROXIES=trusted,
    )
    proc = subprocess.Popen(
        [*APPRAISALS, "serve", "--workers", "2", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 300  # two workers start slowly on a loaded machine
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        yield port, lines
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            # Up to the web processes' grace period and the background process's start-up
            # (it may still be starting when the test ends) on a loaded machine.
            _, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"serve did not stop within 120 s of SIGTERM: {err[-3000:]}")
        lines.extend(err.splitlines())
        assert proc.returncode == 0, err[-2000:]


def _token(tmp_path: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPRAISALS_")}
    env["APPRAISALS_JWT_SECRET"] = SECRET
    done = subprocess.run(
        [*APPRAISALS, "token", "--role", "auditor", "--trust", str(uuid.uuid4())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def browser(port: int, ca: Path) -> httpx.Client:
    """A browser at the proxy's https address: its forms send this site as their Origin."""
    site = f"https://localhost:{port}"
    tls = ssl.create_default_context(cafile=str(ca))
    return httpx.Client(base_url=site, verify=tls, headers={"Origin": site})


def _access(lines: list[str]) -> list[dict[str, object]]:
    parsed = [json.loads(line) for line in lines if line.startswith("{")]
    return [line for line in parsed if line.get("logger") == "appraisals.access"]


def test_through_a_trusted_tls_proxy_a_person_signs_in_and_posts_a_form(tmp_path: Path) -> None:
    token = _token(tmp_path)
    with (
        serving(tmp_path, trusted="127.0.0.1") as (upstream, logs),
        tls_proxy(upstream, tmp_path) as (port, ca),
        browser(port, ca) as web,
    ):
        assert web.get("/", headers={"X-Forwarded-For": CLIENT}).status_code == 200
        signed_in = web.post("/session", data={"token": token})
        assert signed_in.status_code == 303, signed_in.text[:300]
        assert "secure" in signed_in.headers["set-cookie"].lower()
        verified = web.post("/audit/verification")
        assert verified.status_code == 200, verified.text[:300]
        assert "intact" in verified.text
    access = _access(logs)
    assert [a["client"] for a in access if a["path"] == "/"] == [CLIENT]
    assert {a["path"] for a in access if a["status"] == 403} == set()


def test_forwarded_headers_from_an_untrusted_proxy_are_ignored(tmp_path: Path) -> None:
    token = _token(tmp_path)
    with (
        serving(tmp_path, trusted="10.9.8.7") as (upstream, logs),
        tls_proxy(upstream, tmp_path) as (port, ca),
        browser(port, ca) as web,
    ):
        assert web.get("/", headers={"X-Forwarded-For": CLIENT}).status_code == 200
        refused = web.post("/session", data={"token": token})
        assert refused.status_code == 403
    access = _access(logs)
    assert [a["client"] for a in access if a["path"] == "/"] == ["127.0.0.1"]
