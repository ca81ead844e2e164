"""Load shedding: past `[web] max_in_flight` requests at once, a web process answers 503 at once.

When a process cannot keep up (its sibling was killed and is starting again, the machine is busy), an
unbounded queue makes every request late: clients time out and leave, and the work done for them is
lost. Answering the surplus 503 「系统繁忙，请稍后重试」 with Retry-After keeps the others fast and tells
the clients to come back (bench/chaos.py, web process killed). /healthz and /metrics are never shed.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from hotline.errors import error_response

NEVER_SHED = ("/healthz", "/metrics")
RETRY_AFTER_S = "2"


class LoadShedding:
    """Pure ASGI middleware counting the HTTP requests in flight in this process (websockets are not)."""

    def __init__(self, app: ASGIApp, max_in_flight: int):
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in NEVER_SHED:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            response = error_response(503, "busy", "系统繁忙，请稍后重试")
            response.headers["Retry-After"] = RETRY_AFTER_S
            await response(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
