"""The one edge middleware (api/edge.py) over a bare ASGI app: proxies, limits, request ids,
security headers, metrics and the access log."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from api.edge import EdgeMiddleware, TrustedProxies
from api.observability import Metrics


async def echo(request: Request) -> Response:
    body = await request.body()
    client = request.client
    return JSONResponse(
        {
            "client": client.host if client else None,
            "scheme": request.url.scheme,
            "request_id": request.state.request_id,
            "bytes": len(body),
        }
    )


async def cached(_: Request) -> Response:
    return Response("x", headers={"Cache-Control": "max-age=60"})


def client(peer: str = "127.0.0.1", proxies: str = "", **limits: Any) -> tuple[TestClient, Metrics]:
    metrics = Metrics()
    app = Starlette(
        routes=[
            Route("/echo", echo, methods=["GET", "POST"]),
            Route("/cached", cached),
            Route("/static/app.css", cached),
        ]
    )
    networks = [ipaddress.ip_network(p) for p in proxies.split(",") if p]
    app.add_middleware(
        EdgeMiddleware,
        metrics=metrics,
        max_header_bytes=limits.get("max_header_bytes", 8192),
        max_request_line_bytes=limits.get("max_request_line_bytes", 4096),
        trusted_proxies=networks,
        max_body=limits.get("max_body", 1024),
    )
    return TestClient(app, client=(peer, 50000)), metrics


FORWARDED = {"X-Forwarded-For": "203.0.113.9, 10.0.0.5", "X-Forwarded-Proto": "https"}


def test_a_trusted_proxy_chain_names_the_nearest_untrusted_client_and_the_scheme() -> None:
    web, _ = client("127.0.0.1", proxies="127.0.0.1/32,10.0.0.0/8")
    answer = web.get("/echo", headers=FORWARDED)
    assert answer.json()["client"] == "203.0.113.9"
    assert answer.json()["scheme"] == "https"
    assert answer.headers["strict-transport-security"].startswith("max-age=")


def test_forwarded_headers_from_a_peer_that_is_not_trusted_are_ignored() -> None:
    web, _ = client("198.51.100.7", proxies="127.0.0.1/32")
    answer = web.get("/echo", headers=FORWARDED)
    assert answer.json() | {"request_id": None} == {
        "client": "198.51.100.7",
        "scheme": "http",
        "request_id": None,
        "bytes": 0,
    }
    assert "strict-transport-security" not in answer.headers


def test_without_trusted_proxies_forwarded_headers_are_ignored() -> None:
    web, _ = client("127.0.0.1")
    assert web.get("/echo", headers=FORWARDED).json()["client"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("chain", "expected"),
    [
        ("203.0.113.9", ("203.0.113.9", 0)),
        ("203.0.113.9:4711, 10.0.0.5", ("203.0.113.9", 4711)),
        ("[2001:db8::1]:443, 10.0.0.5", ("2001:db8::1", 443)),
        ("198.51.100.1, 203.0.113.9, 10.0.0.5", ("203.0.113.9", 0)),
        ("10.0.0.7, 10.0.0.5", ("10.0.0.7", 0)),  # every hop trusted: the first
        ("not-an-address, 10.0.0.5", ("not-an-address", 0)),
    ],
)
def test_the_client_is_the_nearest_hop_that_is_not_a_trusted_proxy(
    chain: str, expected: tuple[str, int]
) -> None:
    proxies = TrustedProxies([ipaddress.ip_network("10.0.0.0/8")])
    scope: dict[str, Any] = {"client": ("10.0.0.1", 1234), "scheme": "http"}
    proxies.apply(scope, [chain.encode()], b"ftp")
    assert scope["client"] == expected
    assert scope["scheme"] == "http"  # not a scheme a proxy may claim


def test_every_answer_carries_a_request_id_and_the_security_headers() -> None:
    web, _ = client()
    given = web.get("/echo", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123" == given.json()["request_id"]
    made = web.get("/echo")
    assert len(made.headers["x-request-id"]) == 32
    for answer in (given, made, web.get("/nowhere")):
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["cache-control"] == "no-store"


def test_a_header_the_app_set_is_kept_and_static_files_may_be_cached() -> None:
    web, _ = client()
    assert web.get("/cached").headers["cache-control"] == "max-age=60"
    static = web.get("/static/app.css")
    assert static.headers["cache-control"] == "max-age=60"
    assert "content-security-policy" in static.headers


def test_bodies_past_the_limit_are_a_413_problem_declared_or_streamed() -> None:
    web, _ = client(max_body=10)
    assert web.post("/echo", content=b"x" * 10).json()["bytes"] == 10
    declared = web.post("/echo", content=b"x" * 11)
    assert declared.status_code == 413
    assert declared.json()["type"].endswith("/payload-too-large")
    assert declared.headers["x-request-id"] and declared.headers["cache-control"] == "no-store"
    streamed = web.post("/echo", content=iter([b"x" * 6, b"x" * 6]))
    assert streamed.status_code == 413


def test_request_lines_and_headers_past_the_limits_are_refused() -> None:
    web, metrics = client(max_header_bytes=200, max_request_line_bytes=50)
    assert web.get("/echo?" + "q" * 60).status_code == 414
    assert web.get("/echo", headers={"X-Big": "y" * 300}).status_code == 431
    refused = metrics.registry.get_sample_value(
        "appraisals_http_requests_total", {"method": "GET", "route": "unmatched", "status": "414"}
    )
    assert refused is None  # refused before the request is counted, as before


def test_each_request_is_counted_timed_and_logged_once() -> None:
    web, metrics = client()
    with capture_logs() as logs:
        web.get("/echo", headers={"X-Request-ID": "r1"})
        web.get("/echo", headers={"X-Request-ID": "r2"})
        web.get("/nowhere")
    labels = {"method": "GET", "route": "/echo", "status": "200"}
    assert metrics.registry.get_sample_value("appraisals_http_requests_total", labels) == 2
    timed = {"method": "GET", "route": "/echo"}
    assert metrics.registry.get_sample_value("appraisals_http_request_seconds_count", timed) == 2
    lines = [(e["request_id"], e["route"], e["status"]) for e in logs if e["event"] == "request"]
    assert lines[:2] == [("r1", "/echo", 200), ("r2", "/echo", 200)]
    assert lines[2][1:] == ("unmatched", 404)
