"""The one ASGI middleware every HTTP request passes through, before routing and after it.

In the order a request meets them: the client address and scheme from trusted proxies'
``X-Forwarded-For``/``-Proto``; the request line and header limits (414/431, for servers that
did not enforce them already, see ``api/security/protocol.py``); the request id (the client's
``X-Request-ID`` or a new one); the body limit (413 problem). On the way out: ``X-Request-ID``
and the security headers on every response, then one metrics observation and one access log
line per request, with the principal when known.

These were three middlewares (uvicorn's proxy headers, hardening, request), each a wrapper
with its own ``send`` closure and its own pass over the headers; here one wrapper, one pass,
and the security headers worked out once per kind of answer, not per request.
"""

from __future__ import annotations

import ipaddress
import os
import time
import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observability import MAX_BODY_BYTES, Metrics, access_log, too_large, upload_limit
from api.security.headers import CSP, DOCS_CSP, DOCS_PATHS, HSTS, refuse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Header = tuple[bytes, bytes]

_SCHEMES = frozenset({"http", "https", "ws", "wss"})


class EdgeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        max_header_bytes: int,
        max_request_line_bytes: int,
        trusted_proxies: Sequence[Network] = (),
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_header_bytes = max_header_bytes
        self.max_request_line_bytes = max_request_line_bytes
        self.proxies = TrustedProxies(trusted_proxies) if trusted_proxies else None
        self.max_body = max_body
        self._hardening = {
            (docs, cacheable, https): _security_headers(docs, cacheable, https)
            for docs in (False, True)
            for cacheable in (False, True)
            for https in (False, True)
        }
        # prometheus_client's labels() validates and locks on every call; its children are
        # kept here by their labels.
        self._counts: dict[tuple[str, str, int], Counter] = {}
        self._latencies: dict[tuple[str, str], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[Header] = scope["headers"]
        size = 0
        request_id = length = None
        forwarded_for: list[bytes] = []
        forwarded_proto = None
        for name, value in headers:
            size += len(name) + len(value) + 4
            if name == b"x-request-id":
                request_id = value
            elif name == b"content-length":
                length = value
            elif name == b"x-forwarded-for":
                forwarded_for.append(value)
            elif name == b"x-forwarded-proto":
                forwarded_proto = value
        if self.proxies is not None and (forwarded_for or forwarded_proto is not None):
            self.proxies.apply(scope, forwarded_for, forwarded_proto)

        line = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if line > self.max_request_line_bytes:
            await refuse(send, 414, "URI too long", "the request line is too long")
            return
        if size > self.max_header_bytes:
            await refuse(
                send,
                431,
                "Request header fields too large",
                f"request headers are limited to {self.max_header_bytes} bytes",
            )
            return

        rid = (request_id or b"").decode("latin-1")[:100] or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        rid_header = (b"x-request-id", rid.encode("latin-1"))
        path: str = scope["path"]
        hardening = self._hardening[
            (
                path.startswith(DOCS_PATHS),
                # Everything but the static files is personal or changes by the moment.
                path.startswith("/static/"),
                scope.get("scheme") == "https",
            )
        ]
        started = time.perf_counter()
        status = 500

        async def send_edged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                out: list[Header] = list(message.get("headers") or ())
                out.append(rid_header)
                present = {k.lower() for k, _ in out}
                out += [h for h in hardening if h[0] not in present]
                message["headers"] = out
            await send(message)

        max_body = self.max_body
        if scope["method"] == "POST" and _is_upload(path):
            max_body = upload_limit(scope, max_body)
        if length is not None and length.isdigit() and int(length) > max_body:
            status = 413
            await too_large(send_edged, max_body)
            self._observe(scope, status, started, rid)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send_edged)
        except _BodyTooLarge:
            status = 413
            await too_large(send_edged, max_body)
        finally:
            self._observe(scope, status, started, rid)

    def _observe(self, scope: Scope, status: int, started: float, request_id: str) -> None:
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        count = self._counts.get((method, path, status))
        if count is None:
            count = self._counts[(method, path, status)] = self.metrics.requests.labels(
                method, path, str(status)
            )
        count.inc()
        latency = self._latencies.get((method, path))
        if latency is None:
            latency = self._latencies[(method, path)] = self.metrics.latency.labels(method, path)
        latency.observe(elapsed)
        state: dict[str, Any] = scope.get("state") or {}
        principal = state.get("principal")
        client = scope.get("client")
        access_log.info(
            "request",
            request_id=request_id,
            method=method,
            path=scope["path"],
            route=path,
            status=status,
            ms=round(elapsed * 1000, 2),
            client=client[0] if client else None,
            principal=str(principal.id) if principal else None,
            role=principal.role.value if principal else None,
            pid=os.getpid(),  # which process answered, when `serve --workers N` runs several
        )


class TrustedProxies:
    """``X-Forwarded-For``/``-Proto`` believed only from these peers (as uvicorn's proxy
    headers middleware does): the client is the nearest address in the chain that is not one
    of them; from anyone else the peer's own address and scheme stand."""

    def __init__(self, networks: Sequence[Network]) -> None:
        self.networks = tuple(networks)
        self.trusts = lru_cache(maxsize=4096)(self._trusts)

    def _trusts(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def trusted(self, host: str | None) -> bool:
        # Longer than a DNS name: never an address, and not worth a cache entry.
        return bool(host) and len(host or "") <= 253 and self.trusts(host)

    def apply(self, scope: Scope, forwarded_for: list[bytes], proto: bytes | None) -> None:
        client = scope.get("client")
        if not self.trusted(client[0] if client else None):
            return
        if proto is not None and (scheme := proto.decode("latin-1").strip()) in _SCHEMES:
            scope["scheme"] = scheme
        if forwarded_for:
            host, port = self._client(b", ".join(forwarded_for).decode("latin-1"))
            if host:  # an empty header names nobody
                scope["client"] = (host, port)

    def _client(self, forwarded_for: str) -> tuple[str, int]:
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        # Each proxy appends the peer it heard from: the nearest untrusted one is the client.
        for hop in reversed(hops):
            host, port = _host_port(hop)
            if not self.trusted(host):
                return host, port
        return _host_port(hops[0])  # every hop is a trusted proxy


def _host_port(value: str) -> tuple[str, int]:
    """A forwarded ``host``, ``host:port`` or ``[v6]:port``; anything else as it is."""
    if value.startswith("["):
        end = value.find("]")
        if end == -1:
            return value, 0
        host, rest = value[1:end], value[end + 1 :]
        if not rest:
            return host, 0
        if not rest.startswith(":"):
            return value, 0
        return host, int(rest[1:]) if rest[1:].isdigit() else 0
    if value.count(":") == 1:
        host, port = value.rsplit(":", 1)
        return (host, int(port)) if port.isdigit() else (value, 0)
    return value, 0


def _security_headers(docs: bool, cacheable: bool, https: bool) -> tuple[Header, ...]:
    headers: list[Header] = [
        (b"content-security-policy", (DOCS_CSP if docs else CSP).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if not cacheable:
        headers.append((b"cache-control", b"no-store"))
    if https:
        headers.append((b"strict-transport-security", HSTS))
    return tuple(headers)


class _BodyTooLarge(Exception):
    pass


def _is_upload(path: str) -> bool:
    # Evidence uploads (API and dashboard) may carry a file up to the evidence limit.
    return path.endswith(("/evidence/files", "/evidence")) and not path.startswith("/v1/evidence")
