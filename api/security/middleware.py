"""HTTP hardening on every response: security headers, no caching of personal data, and the
header size limit for servers that did not enforce it already (see ``protocol.py``)."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script or style anywhere in the dashboard; htmx is served from our own origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
# FastAPI's interactive docs load Swagger UI / ReDoc from a CDN with an inline bootstrap
# script; they hold no personal data, and only they get this policy.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
HSTS = b"max-age=31536000; includeSubDomains"


class HardeningMiddleware:
    def __init__(self, app: ASGIApp, *, max_header_bytes: int, max_request_line_bytes: int) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes
        self.max_request_line_bytes = max_request_line_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        line = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if line > self.max_request_line_bytes:
            await refuse(send, 414, "URI too long", "the request line is too long")
            return
        size = sum(len(k) + len(v) + 4 for k, v in scope.get("headers") or [])
        if size > self.max_header_bytes:
            await refuse(
                send,
                431,
                "Request header fields too large",
                f"request headers are limited to {self.max_header_bytes} bytes",
            )
            return
        https = scope.get("scheme") == "https"
        csp = (DOCS_CSP if path.startswith(DOCS_PATHS) else CSP).encode()
        # Everything but the static files is personal or changes by the moment.
        cacheable = path.startswith("/static/")

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _ in headers}
                extra = [
                    (b"content-security-policy", csp),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if not cacheable:
                    extra.append((b"cache-control", b"no-store"))
                if https:
                    extra.append((b"strict-transport-security", HSTS))
                headers += [(k, v) for k, v in extra if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_hardened)


async def refuse(send: Send, status: int, title: str, detail: str) -> None:
    body = orjson.dumps(
        {
            "type": "https://appraisal-ledger.dev/problems/" + title.lower().replace(" ", "-"),
            "title": title,
            "status": status,
            "detail": detail,
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
