"""Browser defences on every response and every cookie-authenticated change.

Security headers: a Content-Security-Policy that runs scripts only from our own files (the pages have no
inline script or handler: `boot` data is `application/json`, which browsers never execute), no framing by
any site (clickjacking), no MIME sniffing, no full URLs in Referer headers to other sites.

The Origin check: a browser sends the session cookie with any request to us, whichever site started it, so
a state-changing request authenticated by the cookie must come from one of our pages: its Origin (or, when
a browser sends none, its Referer) must name the request's own host or a [web] trusted_origins entry.
Requests with a bearer token are not at risk (no other site can make a browser add that header) and pass.
The host is compared without the scheme: behind a TLS proxy the app sees http while the browser says https.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.auth import SESSION_COOKIE


def _policy(frame_ancestors: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",  # the report's self-contained HTML carries its own styles
            "img-src 'self' data:",
            "connect-src 'self'",  # fetch and the board's websocket, same origin
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


CSP = _policy("'none'")
# the one document our own page frames (the monthly report in /reports/monthly): framed by us, by nobody else
FRAMED_BY_US = {"Content-Security-Policy": _policy("'self'"), "X-Frame-Options": "SAMEORIGIN"}
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CROSS_SITE_MESSAGE = "请求来自其他网站，已拒绝（请在本系统的页面上操作）"


def origin_allowed(headers: Headers, trusted: frozenset[str]) -> bool:
    """The request's Origin, or failing that its Referer, is this host or a trusted origin."""
    source = headers.get("origin") or headers.get("referer")
    if not source or source == "null":
        return False
    parts = urlsplit(source)
    return parts.netloc == headers.get("host", "") or f"{parts.scheme}://{parts.netloc}" in trusted


def cookie_authenticated(headers: Headers) -> bool:
    if headers.get("authorization", "").lower().startswith("bearer "):
        return False
    return f"{SESSION_COOKIE}=" in headers.get("cookie", "")


class BrowserDefences:
    def __init__(self, app: ASGIApp, trusted_origins: list[str]):
        self.app = app
        self.trusted = frozenset(o.rstrip("/") for o in trusted_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if (
            scope["method"] not in SAFE_METHODS
            and cookie_authenticated(headers)
            and not origin_allowed(headers, self.trusted)
        ):
            await _forbidden(send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                # a view that set one of them (the framed report) keeps its own
                message["headers"] = [*message.get("headers", []), *(h for h in HEADERS if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


async def _forbidden(send: Send) -> None:
    payload = json.dumps({"error": {"code": "cross_site", "message": CROSS_SITE_MESSAGE}}, ensure_ascii=False)
    body = payload.encode()
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *HEADERS]
    await send({"type": "http.response.start", "status": 403, "headers": start})
    await send({"type": "http.response.body", "body": body})
