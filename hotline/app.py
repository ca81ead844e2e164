"""The ASGI application factory: one app per settings object, no globals created at import."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.websockets import WebSocket

from hotline import pages
from hotline.api import (
    appeals,
    audit,
    board,
    cohandling,
    imports,
    live,
    models,
    open311,
    operations,
    orders,
    org_admin,
    privacy,
    progress,
    reference,
    reports,
    search,
    security,
    service_days,
    session,
    sla_rules,
    tickets,
    users,
    webhooks,
)
from hotline.api.common import MAX_BODY_BYTES, routes
from hotline.board_snapshot import BOARD_STATEMENTS, SharedSnapshots
from hotline.catalog_cache import CatalogCache
from hotline.db import Reads, create_pool
from hotline.errors import EXCEPTION_HANDLERS
from hotline.guard import logins, production
from hotline.guard.bodies import BodyLimit
from hotline.guard.browsers import BrowserDefences, origin_allowed
from hotline.health import healthz
from hotline.imports.jobs import CHUNK_BYTES
from hotline.metrics import LIVE_SOCKETS_OPEN, MetricsMiddleware, metrics_view
from hotline.openapi import build_spec
from hotline.ops.shedding import LoadShedding
from hotline.outbox import relay
from hotline.queries import Q
from hotline.queue import connect_queue, connect_reader
from hotline.settings import Settings
from hotline.sla.rules_store import seed_from_settings
from hotline.tickets.intake import Intake
from realtime.endpoint import websocket_route
from realtime.hub import Hub
from realtime.warmer import SnapshotWarmer

HERE = Path(__file__).resolve().parent


class PageAssets(StaticFiles):
    """The pages' scripts and styles, revalidated on every load (a 304 when unchanged): ES modules
    import each other by plain relative URLs, so a version query on the entry script would not
    reach the modules it imports, and after an upgrade a browser must not run yesterday's code."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


API_ENDPOINTS = [
    *session.ENDPOINTS,
    *tickets.ENDPOINTS,
    *appeals.ENDPOINTS,
    *orders.ENDPOINTS,
    *cohandling.ENDPOINTS,
    *service_days.ENDPOINTS,
    *reference.ENDPOINTS,
    *board.ENDPOINTS,
    *reports.ENDPOINTS,
    *privacy.ENDPOINTS,
    *security.ENDPOINTS,
    *sla_rules.ENDPOINTS,
    *models.ENDPOINTS,
    *imports.ENDPOINTS,
    *operations.ENDPOINTS,
    *search.ENDPOINTS,
    *progress.ENDPOINTS,
    *users.ENDPOINTS,
    *org_admin.ENDPOINTS,
    *audit.ENDPOINTS,
    *webhooks.ENDPOINTS,
]
# Bodies larger than the JSON limit: one piece of an import upload; Open311's form is held tighter.
BODY_LIMITS = {"/api/imports/": CHUNK_BYTES, open311.PREFIX + "/": open311.BODY_MAX_BYTES}
HUB_BLOCK_S = 5.0
templates = Jinja2Templates(directory=HERE / "templates")


async def home(request: Request) -> Response:
    return templates.TemplateResponse(request, "home.html", {"title": "12345 热线工单调度与督办"})


def utc_now() -> datetime:
    return datetime.now(UTC)


@contextlib.asynccontextmanager
async def _warming(state: Any, hub: Hub) -> AsyncIterator[None]:
    """The board snapshots of the subtrees watched in this process, kept recent while it serves
    (realtime/warmer.py; off with [web] board_snapshot_refresh_events, _stale_s or _shared_s at 0)."""
    web = state.settings.web
    state.board_warmer = warmer = SnapshotWarmer(
        hub, refresh_events=web.board_snapshot_refresh_events, refresh_s=web.board_snapshot_stale_s / 2
    )
    if not (web.board_snapshot_refresh_events and web.board_snapshot_stale_s and web.board_snapshot_shared_s):
        yield
        return
    task = asyncio.create_task(warmer.run(), name="board-snapshot-warmer")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def create_app(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Starlette:
    spec = build_spec(API_ENDPOINTS)

    async def openapi(request: Request) -> Response:
        return JSONResponse(spec)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        assert settings.redis_url
        state = app.state
        state.settings = settings
        state.clock = clock
        state.catalogs = CatalogCache()
        state.intake = Intake.from_settings(settings)
        state.hashing = anyio.CapacityLimiter(settings.auth.hash_threads)  # password checks, off the loop
        state.logins_in_flight = logins.InFlight(settings.auth.hash_threads)
        state.pool = await create_pool(settings, warm=BOARD_STATEMENTS)
        state.reads = await Reads.create(settings, state.pool, warm=BOARD_STATEMENTS)
        state.board_snapshots = SharedSnapshots()
        async with state.pool.acquire() as conn:
            await Q.check(conn)
            if not settings.is_development:
                await production.check(conn)  # no demo accounts or demo password on a city's network
            await seed_from_settings(conn, settings)  # a new database starts on config.toml's SLA rules
        state.redis = connect_queue(settings)
        reader = connect_reader(settings, HUB_BLOCK_S)  # the hub blocks on XREAD longer than commands may take
        async with Hub(reader, block_ms=int(HUB_BLOCK_S * 1000)) as hub, _warming(state, hub):
            state.hub = hub
            LIVE_SOCKETS_OPEN.set_function(lambda: hub.subscriber_count)
            state.board_endpoint = websocket_route(
                hub,
                board.authenticate_socket,
                board.socket_snapshot(app),
                unit_of=board.audience,
                revalidate_s=settings.web.board_revalidate_s,
                max_per_principal=settings.web.board_connections_per_user,
                principal_key=lambda viewer: viewer.user.id,
                recent_snapshot=board.recent_socket_snapshot(app),
                watching=board.watch_socket(app),
            )
            try:
                yield
            finally:
                await reader.aclose()
                await state.redis.aclose()
                await state.reads.close()
                await relay.flush_marks(state.pool)
                await state.pool.close()

    trusted_origins = frozenset(o.rstrip("/") for o in settings.web.trusted_origins)

    async def board_socket(websocket: WebSocket) -> None:
        if "origin" in websocket.headers and not origin_allowed(websocket.headers, trusted_origins):
            await websocket.close(1008)  # before the handshake completes: another site's page gets a 403
            return
        await websocket.app.state.board_endpoint(websocket)

    return Starlette(
        routes=[
            Route("/", home, name="home"),
            Route("/healthz", healthz, name="healthz"),
            Route("/metrics", metrics_view, name="metrics"),
            Route("/openapi.json", openapi, name="openapi"),
            *routes(API_ENDPOINTS),
            *open311.ROUTES,
            *audit.ROUTES,
            *org_admin.ROUTES,
            WebSocketRoute("/ws/board", board_socket, name="board_socket"),
            WebSocketRoute("/ws/inbox", live.inbox_socket, name="inbox_socket"),
            *pages.PAGE_ROUTES,
            Mount("/static", PageAssets(directory=HERE / "static"), name="static"),
        ],
        middleware=[
            Middleware(MetricsMiddleware),
            Middleware(BrowserDefences, trusted_origins=settings.web.trusted_origins),
            Middleware(BodyLimit, default=MAX_BODY_BYTES, prefixes=BODY_LIMITS),
            Middleware(LoadShedding, max_in_flight=settings.web.max_in_flight),
        ],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
