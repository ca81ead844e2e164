"""The web pages (Chinese): one HTML shell per role, filled in by plain JS modules calling the JSON API.

Views here only check the session cookie and the role, then render a template; every read and
every action goes through /api/*, so the pages hold no permission logic of their own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from dispatch.sla import Track
from dispatch.states import Action, TicketState, allowed_actions
from dispatch.ticket_types import TicketType
from hotline.access import REPORT_ROLES, at_hotline_centre
from hotline.auth import User, session_user, user_json
from hotline.report import views as report_views
from hotline.roles import Role
from realtime.events import ALERT_EVENTS, EventType

HERE = Path(__file__).resolve().parent
BOARD_CLIENT = HERE.parent / "realtime" / "client.js"
templates = Jinja2Templates(directory=HERE / "templates")


@dataclass(frozen=True)
class Page:
    path: str
    template: str
    title: str
    roles: frozenset[Role]
    city_roles: frozenset[Role] = frozenset()  # allowed only to users of the hotline centre (the root unit)
    extra: Callable[[Request, User], Awaitable[dict[str, Any]]] | None = None  # server-side data for the template
    nav: bool = True  # a page of one thing (a ticket) is reached from others, not from the top bar

    def allows(self, user: User, at_city: bool) -> bool:
        return user.role in self.roles or (at_city and user.role in self.city_roles)

    @property
    def key(self) -> str:
        """The path without its parameters: /tickets/{id:int} → /tickets (the body's class, the nav's mark)."""
        return self.path.split("/{", 1)[0]


EVERY_ROLE = frozenset(Role)


async def _callback_context(request: Request, user: User) -> dict[str, Any]:
    return {"max_unreachable": request.app.state.settings.callback.max_unreachable}


PAGES = (
    Page("/console", "console.html", "话务台", frozenset({Role.OPERATOR}), frozenset({Role.DISPATCHER})),
    Page(
        "/callbacks",
        "callbacks.html",
        "回访",
        frozenset({Role.OPERATOR}),
        frozenset({Role.DISPATCHER}),
        extra=_callback_context,
    ),
    Page("/queue", "queue.html", "派单审核", frozenset({Role.DISPATCHER, Role.SUPERVISOR})),
    Page("/inbox", "inbox.html", "承办工单", frozenset({Role.HANDLER, Role.DISPATCHER})),
    Page("/grid", "grid.html", "掌上办理", frozenset({Role.HANDLER})),
    Page("/board", "board.html", "督办大屏", frozenset({Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN})),
    Page("/appeals", "appeals.html", "申诉审核", frozenset({Role.SUPERVISOR})),
    Page("/service-days", "service_days.html", "专题服务日", frozenset({Role.SUPERVISOR})),
    Page("/admin", "admin.html", "系统管理", frozenset({Role.ADMIN})),
    Page("/admin/sla", "admin_sla.html", "时限与日历", frozenset({Role.ADMIN})),
    Page("/admin/data", "admin_data.html", "数据管理", frozenset({Role.ADMIN})),
    Page("/admin/security", "admin_security.html", "安全", frozenset({Role.ADMIN}), nav=False),
    # reached from the administration pages' own row of links (_admin_links.html): the top bar is full
    Page("/admin/users", "admin_users.html", "用户管理", frozenset({Role.ADMIN}), nav=False),
    Page("/admin/org", "admin_org.html", "机构与分类", frozenset({Role.ADMIN}), nav=False),
    Page("/admin/audit", "admin_audit.html", "审计日志", frozenset(), frozenset({Role.ADMIN}), nav=False),
    Page(
        "/reports/monthly",
        "report_page.html",
        "分析报告",
        REPORT_ROLES,
        extra=report_views.report_context,
    ),
    Page(
        "/rankings",
        "rankings.html",
        "考核排名",
        REPORT_ROLES,
        extra=report_views.rankings_context,
    ),
    Page(
        "/misrouting",
        "misrouting.html",
        "派单准确性",
        REPORT_ROLES,
        extra=report_views.misrouting_context,
    ),
    Page("/models", "models.html", "模型管理", frozenset({Role.ADMIN})),
    Page("/search", "search.html", "查找工单", EVERY_ROLE),
    Page("/tickets/{id:int}", "ticket.html", "工单详情", EVERY_ROLE, nav=False),
    Page("/account/password", "password.html", "修改密码", frozenset(Role), nav=False),
)
PASSWORD_PAGE = "/account/password"
HOME_OF = {
    Role.OPERATOR: "/console",
    Role.DISPATCHER: "/queue",
    Role.HANDLER: "/inbox",
    Role.SUPERVISOR: "/board",
    Role.ADMIN: "/admin",
}
# A grid's 网格员 (a handler of a grid unit) works from a phone: their home is 掌上办理, and /inbox sends them
# there unless asked for the desktop page (?full=1).
HOME_OF_LEVEL = {(Role.HANDLER, "grid"): "/grid"}


def home_of(user: User, unit_level: str) -> str:
    return HOME_OF_LEVEL.get((user.role, unit_level), HOME_OF[user.role])


# What the scripts need to show codes in Chinese and offer only the buttons a state allows.
# Actions logged without a state change (journal.log_action) have no enum; their labels live in common.js.
LABELS: dict[str, Any] = {
    "states": {s.value: {"label": s.label, "colour": s.colour} for s in TicketState},
    "actions": {a.value: a.label for a in Action},
    "types": {t.value: t.label for t in TicketType},
    "tracks": {t.value: t.label for t in Track},
    "allowed": {s.value: [a.value for a in allowed_actions(s)] for s in TicketState},
    "events": {e.name: e.value for e in EventType},
    "alert_events": sorted(ALERT_EVENTS),
}


@dataclass(frozen=True)
class Whoami:
    user: User
    unit_name: str
    at_city: bool
    unit_level: str = ""


async def _whoami(request: Request, user: User) -> Whoami:
    async with request.app.state.pool.acquire() as conn:
        catalog = await request.app.state.catalogs.get(conn)
    org = catalog.org
    if org is None or user.unit_id not in org:
        return Whoami(user, "", False)
    unit = org.unit(user.unit_id)
    return Whoami(user, unit.name, at_hotline_centre(user, catalog), unit.level.value)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an absolute URL a phishing link could bounce the user to."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _context(request: Request, me: Whoami, title: str, page: str) -> dict[str, Any]:
    settings = request.app.state.settings
    user, unit_name = me.user, me.unit_name
    return {
        "title": title,
        "page": page,
        "user": user_json(user, unit_name),
        "nav": [
            {"path": p.path, "title": p.title, "current": p.path == page}
            for p in PAGES
            if p.nav and p.allows(user, me.at_city) and not user.must_change_password
        ],
        "admin_links": [
            {"path": p.path, "title": p.title, "current": p.path == page}
            for p in PAGES
            if p.path.startswith("/admin") and p.allows(user, me.at_city)
        ],
        "home": HOME_OF[user.role],
        "boot": {
            "user": user_json(user, unit_name),
            "at_city": me.at_city,  # the hotline centre: searches by phone, sees every ticket
            "home": HOME_OF[user.role],
            "timezone": settings.app.timezone,
            "server_now_ms": int(request.app.state.clock().timestamp() * 1000),
            "labels": LABELS,
        },
    }


def _page_view(page: Page) -> Callable[[Request], Awaitable[Response]]:
    async def view(request: Request) -> Response:
        user = await session_user(request)
        if user is None:
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        if user.must_change_password and page.path != PASSWORD_PAGE:  # a temporary password: change it first
            return RedirectResponse(f"{PASSWORD_PAGE}?next={quote(request.url.path)}", status_code=303)
        me = await _whoami(request, user)
        home = home_of(user, me.unit_level)
        if page.path == HOME_OF[user.role] != home and "full" not in request.query_params:
            return RedirectResponse(home, status_code=303)
        if not page.allows(user, me.at_city):
            context = _context(request, me, "无权访问", "")
            context["home"] = home
            return templates.TemplateResponse(request, "forbidden.html", context, status_code=403)
        context = _context(request, me, page.title, page.key)
        if page.extra is not None:
            context.update(await page.extra(request, user))
        response = templates.TemplateResponse(request, page.template, context)
        response.headers["Cache-Control"] = "no-store"
        return response

    return view


async def login_page(request: Request) -> Response:
    user = await session_user(request)
    target = _safe_next(request.query_params.get("next"))
    if user is not None:
        if user.must_change_password:
            return RedirectResponse(PASSWORD_PAGE, status_code=303)
        return RedirectResponse(target or home_of(user, (await _whoami(request, user)).unit_level), status_code=303)
    return templates.TemplateResponse(
        request, "login.html", {"title": "登录", "page": "/login", "next": target or "", "home_of": HOME_OF}
    )


async def progress_page(request: Request) -> Response:
    """进度查询: the citizens' page, no login; the look-up is POST /api/public/progress."""
    settings = request.app.state.settings
    boot = {"timezone": settings.app.timezone, "labels": {}}
    return templates.TemplateResponse(
        request, "progress.html", {"title": "办件进度查询", "page": "/progress", "boot": boot}
    )


async def board_client(request: Request) -> Response:
    """realtime/client.js, served from where it lives so the board never runs a stale copy."""
    return FileResponse(BOARD_CLIENT, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


PAGE_ROUTES: list[BaseRoute] = [
    Route("/login", login_page, name="login_page"),
    Route("/progress", progress_page, name="progress_page"),
    *(Route(p.path, _page_view(p), name=f"page_{p.key.strip('/')}") for p in PAGES),
    Route("/realtime/client.js", board_client, name="board_client"),
    *report_views.ROUTES,
]
