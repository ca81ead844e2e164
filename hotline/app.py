"""The ASGI application factory: one app per settings object, no globals created at import."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from hotline.db import create_pool
from hotline.errors import EXCEPTION_HANDLERS
from hotline.health import healthz
from hotline.metrics import MetricsMiddleware, metrics_view
from hotline.queries import Q
from hotline.settings import Settings
from hotline.worker import JSON_SERIALIZERS

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")


async def home(request: Request) -> Response:
    return templates.TemplateResponse(request, "home.html", {"title": "12345 热线工单调度与督办"})


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.pool = await create_pool(settings)
        async with app.state.pool.acquire() as conn:
            await Q.check(conn)
        assert settings.redis_url
        app.state.redis = ArqRedis(
            connection_pool=ConnectionPool.from_url(settings.redis_url),
            default_queue_name=settings.redis.queue_name,
            **JSON_SERIALIZERS,  # type: ignore[arg-type]
        )
        try:
            yield
        finally:
            await app.state.redis.aclose()
            await app.state.pool.close()

    routes = [
        Route("/", home, name="home"),
        Route("/healthz", healthz, name="healthz"),
        Route("/metrics", metrics_view, name="metrics"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(MetricsMiddleware)],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
