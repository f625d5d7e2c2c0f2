"""HTTP hardening on every response: the security headers' values, and the refusal of a request
whose head is too large (``api/edge.py`` applies them; ``protocol.py`` refuses earlier when the
server runs our protocol)."""

from __future__ import annotations

import orjson
from starlette.types import Send

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
