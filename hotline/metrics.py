"""Prometheus metrics: request counts and latencies per route, board snapshots asked and computed; at /metrics."""

from __future__ import annotations

import gc
import hmac
import ipaddress
import time

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("hotline_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "hotline_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
# how many board snapshots viewers asked for, and how many the database computed for them (shared per subtree)
BOARD_SNAPSHOTS_ASKED = Counter("hotline_board_snapshots_asked_total", "Board snapshots asked for by viewers")
BOARD_SNAPSHOTS_COMPUTED = Counter("hotline_board_snapshots_computed_total", "Board snapshots computed")
# the board and inbox sockets this process serves now (set to its hub's count once the hub starts, hotline/app.py)
LIVE_SOCKETS_OPEN = Gauge("hotline_live_sockets_open", "Board and inbox sockets open in this process")
# what the process froze out of garbage collection once started (hotline/ops/gc_tuning.py); 0: not tuned
Gauge("hotline_gc_frozen_objects", "Objects frozen out of garbage collection at startup").set_function(
    gc.get_freeze_count
)


class MetricsMiddleware:
    """Pure ASGI middleware: cheaper per request than BaseHTTPMiddleware, and it never touches websockets."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = _route_template(scope)
        status = 500
        started = time.perf_counter()

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)
            REQUESTS.labels(scope["method"], route, str(status)).inc()


def _route_template(scope: Scope) -> str:
    """The route's path template (/api/tickets/{id}), so label cardinality stays bounded."""
    app = scope.get("app")
    for route in getattr(getattr(app, "router", None), "routes", []):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return str(getattr(route, "path", "other"))
    return "unmatched"


async def metrics_view(request: Request) -> Response:
    """Only for the monitoring system: with HOTLINE_METRICS_TOKEN set, requests carrying it; otherwise clients
    in [web] metrics_networks (loopback by default)."""
    settings = request.app.state.settings
    if settings.metrics_token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), settings.metrics_token.encode()):
            return Response("需要监控令牌（Authorization: Bearer）\n", status_code=401, media_type="text/plain")
    elif not _in_networks(request.client.host if request.client else "", settings.web.metrics_networks):
        return Response("监控指标只对内部网络开放\n", status_code=403, media_type="text/plain")
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _in_networks(host: str, networks: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)
