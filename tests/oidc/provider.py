"""A real OpenID Provider on loopback for the sign-in tests: panva/oidc-provider (npm,
installed into tests/oidc by `make test`) run with the machine's Node.js.

``running_provider(...)`` starts it with test clients and accounts and stops it afterwards;
``sign_in_without_browser`` drives its login page with plain HTTP to get a code (for tests
of the client that need real tokens but no browser).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

HERE = Path(__file__).parent
API_AUDIENCE = "https://appraisals.test/api"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass(frozen=True)
class Provider:
    issuer: str
    clients: tuple[Client, ...]


@contextmanager
def running_provider(
    tmp: Path,
    clients: list[Client],
    accounts: dict[str, dict[str, Any]],
    *,
    id_token_ttl: int = 3600,
    port: int | None = None,
) -> Iterator[Provider]:
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").exists():
        pytest.fail("the test OpenID Provider needs Node.js and `npm ci` in tests/oidc (make test)")
    port = port or free_port()
    config = tmp / f"oidc-provider-{port}.json"
    config.write_text(
        json.dumps(
            {
                "port": port,
                "clients": [
                    {
                        "client_id": c.client_id,
                        "client_secret": c.client_secret,
                        "redirect_uris": [c.redirect_uri],
                    }
                    for c in clients
                ],
                "accounts": accounts,
                "idTokenTtl": id_token_ttl,
                "apiAudience": API_AUDIENCE,
            }
        )
    )
    log = (tmp / f"oidc-provider-{port}.log").open("w")
    process = subprocess.Popen(
        [node, str(HERE / "provider.mjs"), str(config)],
        cwd=HERE,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(issuer + "/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"the OpenID Provider did not start: {config.with_suffix('.log')}")
            time.sleep(0.1)
        yield Provider(issuer, tuple(clients))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def sign_in_without_browser(authorization_url: str, login: str) -> dict[str, str]:
    """Log in at the provider's own login page over plain HTTP; the query the provider
    redirects back with (code, state, iss), without calling the redirect URI."""
    http = requests.Session()
    url = authorization_url
    for _ in range(10):
        response = http.get(url, allow_redirects=False, timeout=10)
        if response.status_code in (302, 303):
            location = urljoin(url, response.headers["location"])
            if "code=" in location or "error=" in location:
                return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
            url = location
            continue
        action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
        uid = re.search(r'name="uid" value="([^"]+)"', response.text)
        assert action, f"no login form at {url}: {response.status_code}"
        form = {"prompt": "login", "login": login, "password": "test"}
        if uid:
            form["uid"] = uid.group(1)
        response = http.post(urljoin(url, action.group(1)), data=form, allow_redirects=False)
        url = urljoin(url, response.headers["location"])
    raise AssertionError("the provider never redirected back")
