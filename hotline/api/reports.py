"""Monthly report and rankings (supervisors and admins): JSON here; the pages in hotline/report/views.py."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hotline import access
from hotline.api.common import Endpoint, now, ok
from hotline.auth import current_user
from hotline.errors import ApiError
from hotline.report import misrouting, scores
from hotline.report.data import monthly


def month_param(request: Request) -> scores.Period:
    try:
        period = scores.parse_period(request.query_params.get("month", ""))
    except scores.PeriodError as exc:
        raise ApiError(422, str(exc), code="invalid") from None
    if "Q" in period.label:
        raise ApiError(422, "月度报告的月份格式应为 YYYY-MM", code="invalid")
    return period


async def monthly_report(request: Request) -> Response:
    user = await current_user(request)
    access.require_report_role(user)
    month = month_param(request)
    state = request.app.state
    async with state.reads.acquire() as conn:
        scope = access.report_scope(user, await state.catalogs.get(conn))
        return ok(await monthly(conn, state.settings, month, now(request), scope))


async def rankings(request: Request) -> Response:
    user = await current_user(request)
    access.require_report_role(user)
    try:
        period = scores.parse_period(request.query_params.get("period", ""))
    except scores.PeriodError as exc:
        raise ApiError(422, str(exc), code="invalid") from None
    level = request.query_params.get("level", "district")
    if level not in scores.LEVELS:
        raise ApiError(422, "层级应为 district（区）、street（街道）或 department（部门）", code="invalid")
    state = request.app.state
    async with state.reads.acquire() as conn:
        result = await scores.rankings(conn, period, level, state.settings.report, state.settings.tz, now(request))
    return ok(result)


async def misrouting_report(request: Request) -> Response:
    user = await current_user(request)
    access.require_report_role(user)
    month = month_param(request)
    state = request.app.state
    async with state.reads.acquire() as conn:
        scope = access.report_scope(user, await state.catalogs.get(conn))
        return ok(await misrouting.page_data(conn, state.settings, month, scope))


MONTH = {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"}
ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/reports/monthly",
        monthly_report,
        "月度分析报告（JSON）",
        "reports",
        None,
        "MonthlyReport",
        (200, 401, 403, 422),
        query=(("month", MONTH),),
    ),
    Endpoint(
        "GET",
        "/api/reports/misrouting",
        misrouting_report,
        "派单准确性：退单、改派及其原因，自动派单率与准确率（按月、按单位）",
        "reports",
        None,
        "Misrouting",
        (200, 401, 403, 422),
        query=(("month", MONTH),),
    ),
    Endpoint(
        "GET",
        "/api/rankings",
        rankings,
        "单位考核排名（按月或季度）",
        "reports",
        None,
        "Rankings",
        (200, 401, 403, 422),
        query=(
            ("period", {"type": "string", "pattern": r"^\d{4}-((0[1-9]|1[0-2])|Q[1-4])$"}),
            ("level", {"type": "string", "enum": list(scores.LEVELS)}),
        ),
    ),
]
