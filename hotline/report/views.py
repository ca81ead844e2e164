"""Server pages of the report (supervisors and admins, session cookie): the monthly report itself
(self-contained HTML, shown inside the 分析报告 page), its spreadsheet, and the rankings page data."""

from __future__ import annotations

import io
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from hotline import access
from hotline.auth import User, session_user
from hotline.guard.browsers import FRAMED_BY_US
from hotline.report import misrouting, scores
from hotline.report.data import monthly, previous_month
from hotline.report.render import render_html
from hotline.report.workbook import write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(request: Request) -> scores.Period:
    try:
        period = scores.parse_period(request.query_params.get("month", ""))
        if "Q" not in period.label:
            return period
    except scores.PeriodError:
        pass
    return previous_month(request.app.state.clock().astimezone(request.app.state.settings.tz))


async def _allowed(request: Request) -> tuple[User | None, int | None]:
    user = await session_user(request)
    if user is None or user.role not in access.REPORT_ROLES:
        return None, None
    async with request.app.state.pool.acquire() as conn:
        catalog = await request.app.state.catalogs.get(conn)
    return user, access.report_scope(user, catalog)


async def report_context(request: Request, user: User) -> dict[str, Any]:
    month = _month(request)
    current = previous_month(request.app.state.clock().astimezone(request.app.state.settings.tz))
    months = [scores.add_months(current.first, -i) for i in range(0, 13)]
    return {"month": month.label, "months": [f"{m:%Y-%m}" for m in months]}


async def rankings_context(request: Request, user: User) -> dict[str, Any]:
    state = request.app.state
    text = request.query_params.get("period", "")
    try:
        period = scores.parse_period(text)
    except scores.PeriodError:
        period = previous_month(state.clock().astimezone(state.settings.tz))
    level = request.query_params.get("level", "district")
    level = level if level in scores.LEVELS else "district"
    async with state.reads.acquire() as conn:
        data = await scores.rankings(conn, period, level, state.settings.report, state.settings.tz, state.clock())
    return {"rankings": data, "levels": scores.LEVELS}


async def misrouting_context(request: Request, user: User) -> dict[str, Any]:
    state = request.app.state
    # the month in progress by default: misrouting is watched while it happens
    this_month = scores.month_period(state.clock().astimezone(state.settings.tz).date().replace(day=1))
    try:
        month = scores.parse_period(request.query_params.get("month", ""))
    except scores.PeriodError:
        month = this_month
    if "Q" in month.label:
        month = this_month
    months = [scores.add_months(this_month.first, -i) for i in range(0, 13)]
    async with state.reads.acquire() as conn:
        scope = access.report_scope(user, await state.catalogs.get(conn))
        data = await misrouting.page_data(conn, state.settings, month, scope)
    return {"m": data, "months": [f"{m:%Y-%m}" for m in months]}


async def report_document(request: Request) -> Response:
    user, scope = await _allowed(request)
    if user is None:
        return HTMLResponse("<p>请以督办人或管理员身份登录后查看。</p>", status_code=403)
    state = request.app.state
    async with state.reads.acquire() as conn:
        report = await monthly(conn, state.settings, _month(request), state.clock(), scope)
    return HTMLResponse(render_html(report), headers={**FRAMED_BY_US, "Cache-Control": "no-store"})


async def report_spreadsheet(request: Request) -> Response:
    user, scope = await _allowed(request)
    if user is None:
        return HTMLResponse("<p>请以督办人或管理员身份登录后下载。</p>", status_code=403)
    state = request.app.state
    async with state.reads.acquire() as conn:
        report = await monthly(conn, state.settings, _month(request), state.clock(), scope)
    buffer = io.BytesIO()
    write_xlsx(report, buffer)
    body = buffer.getvalue()
    name = f"report-{report['month']}.xlsx"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


ROUTES = [
    Route("/reports/monthly/document", report_document, name="report_document"),
    Route("/reports/monthly.xlsx", report_spreadsheet, name="report_spreadsheet"),
]
