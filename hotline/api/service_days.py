"""专题服务日 over HTTP: supervisors schedule a leader's hotline day; the console shows the day running now with
its marked calls; a month's days with their calls."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from hotline import access, schemas
from hotline.api.common import Endpoint, now, ok, parse_body
from hotline.auth import current_user
from hotline.queries import Q
from hotline.roles import Role
from hotline.tickets import service_days
from hotline.tickets.journal import transaction

# Days listed around today when no month is asked for.
LISTED_BEFORE, LISTED_AFTER = timedelta(days=7), timedelta(days=60)


def _tx(request: Request):  # type: ignore[no-untyped-def]
    state = request.app.state
    return transaction(state.pool, state.catalogs, state.redis, now(request))


async def schedule(request: Request) -> Response:
    user = await current_user(request)
    body = await parse_body(request, schemas.ServiceDay)
    tz = request.app.state.settings.tz
    async with _tx(request) as tx:
        day_id = await service_days.do_schedule(
            tx, user, tz, body.unit_id, body.leader, body.day, body.start, body.end, body.topic
        )
        row = await tx.conn.fetchrow(Q.service_day_by_id, day_id)
        return ok(service_days.day_json(row, tx.catalog.unit_names, tz), 201)


async def list_days(request: Request) -> Response:
    """The days of the units this user may see, from a week ago to two months ahead, each with its calls."""
    user = await current_user(request)
    tz = request.app.state.settings.tz
    async with _tx(request) as tx:
        units = access.visible_units(user, tx.catalog)
        start, end = tx.now - LISTED_BEFORE, tx.now + LISTED_AFTER
        days = await service_days.days_with_calls(tx.conn, tx.catalog.unit_names, tz, start, end, units)
    return ok({"items": days})


async def active_day(request: Request) -> Response:
    """The days running now (for the console: the leader sees the calls marked for the day as they come in)."""
    user = await current_user(request)
    tz = request.app.state.settings.tz
    async with _tx(request) as tx:
        access.require_role(user, Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR)
        units = access.visible_units(user, tx.catalog)
        moment = tx.now + timedelta(microseconds=1)
        days = await service_days.days_with_calls(tx.conn, tx.catalog.unit_names, tz, tx.now, moment, units)
    return ok({"items": days})


ENDPOINTS = [
    Endpoint(
        "POST",
        "/api/service-days",
        schedule,
        "安排专题服务日（单位、领导、日期、时段、主题）",
        "service_days",
        schemas.ServiceDay,
        "ServiceDay",
        (201, 401, 403, 422),
    ),
    Endpoint(
        "GET", "/api/service-days", list_days, "专题服务日及其来电", "service_days", None, "ServiceDayList", (200, 401)
    ),
    Endpoint(
        "GET",
        "/api/service-days/active",
        active_day,
        "正在进行的专题服务日及其来电",
        "service_days",
        None,
        "ServiceDayList",
        (200, 401, 403),
    ),
]
