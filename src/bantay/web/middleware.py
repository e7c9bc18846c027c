"""What every request passes through before routing: a body-size limit, and security headers.

Both are plain ASGI middleware, so the limit holds before anything reads or parses the body (and
before authentication): a request whose ``Content-Length`` is over its route's limit is answered 413
without reading a byte of it, and a body without a length (chunked) is cut off at the limit.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable

from starlette.middleware.body_limit import RequestBodyLimitResponder
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB = 1024
#: Per-route body limits (method, path pattern, bytes); other writes get the app's default limit,
#: reads none at all.
ROUTE_LIMITS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    ("POST", re.compile(r"^/api/auth/login$"), 4 * KIB),
    ("POST", re.compile(r"^/login$"), 4 * KIB),
    ("POST", re.compile(r"^/(api/)?logout$|^/api/auth/logout$"), 1 * KIB),
    ("POST", re.compile(r"^/api/cases/\d+/(close|review|assign)$"), 16 * KIB),
    ("POST", re.compile(r"^/api/exports/"), 1 * KIB),
    ("POST", re.compile(r"^/cases/\d+/export/"), 1 * KIB),
    ("POST", re.compile(r"^/api/reports$"), 64 * KIB),
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: No inline script or style, nothing from elsewhere, never framed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def body_limit(method: str, path: str, default: int) -> int:
    """The most bytes a request to ``method path`` may carry."""
    if method in SAFE_METHODS:
        return 0
    for m, pattern, limit in ROUTE_LIMITS:
        if m == method and pattern.match(path):
            return limit
    return default


async def _send_json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse (413) a body over its route's limit before it is read, parsed or authenticated."""

    def __init__(self, app: ASGIApp, default: int) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["method"], scope["path"], self.default)
        declared = None
        for k, v in scope["headers"]:
            if k == b"content-length":
                declared = v
                break
        if declared is not None:
            if not declared.isdigit() or len(declared) > 18:
                await _send_json(send, 400, "Content-Length is not a number")
                return
            if int(declared) > limit:
                await _send_json(send, 413, f"request body over {limit:,} bytes")
                return
        # not declared (chunked) or within the limit: Starlette's responder counts what is read
        # and stops at the limit (FastAPI answers its signal with 413, not a parsing error)
        await RequestBodyLimitResponder(self.app, limit)(scope, receive, send)


class SecurityHeaders:
    """CSP, no framing, no sniffing, no referrer; ``no-store`` on everything but static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        static = path.startswith("/static/")

        async def with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in msg.get("headers", [])
                    if k.lower() not in {b"cache-control", b"content-security-policy"}
                ]
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"cache-control", b"no-cache" if static else b"no-store"),
                ]
                if not static:
                    headers.append((b"pragma", b"no-cache"))
                msg = {**msg, "headers": headers}
            await send(msg)

        await self.app(scope, receive, with_headers)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(values: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip()]


def _in(addr: str, nets: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in n for n in nets)


def client_address(request: Request, trusted: list[Network]) -> str:
    """The client's address: the peer's, or, when the peer is a configured proxy, the nearest
    address in ``X-Forwarded-For`` that is not one of the configured proxies.

    ``X-Forwarded-For`` from anyone else (a client on the loopback included) is ignored: it is
    whatever the client chose to write.
    """
    peer = request.client.host if request.client else "unknown"
    if not trusted or not _in(peer, trusted):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _in(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer
