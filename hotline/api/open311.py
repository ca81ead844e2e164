"""Open311 GeoReport v2 for the web and app channels: services are categories, requests are tickets.

https://wiki.open311.org/GeoReport_v2 — JSON format only. `service_request_id` is the ticket
number a citizen is told; `expected_datetime` the completion deadline; `agency_responsible` the
holder unit. Reading is open as the spec has it (services, a service's definition, requests), unless
[open311] public_read is false; posting needs an API client key (`api_key`), which an administrator
creates in 安全 (hotline/guard/client_keys.py) — never a staff member's token. Callers' names and
numbers are never returned, phone or ID numbers in descriptions are masked, readers without a key get
no address, and a confidential request (保密: `attribute[confidential]=true` when posting; a 举报 by
default) has no address for anyone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dispatch.states import TERMINAL_STATES, TicketState
from hotline import access, schemas
from hotline.api.common import FIELD_LABELS, has_nul, now
from hotline.errors import ApiError
from hotline.guard import client_keys
from hotline.queries import Q
from hotline.tickets import intake
from hotline.tickets.journal import Context, transaction
from hotline.tickets.records import mask_text

PREFIX = "/open311/v2"
DEFAULT_WINDOW = timedelta(days=90)  # the spec's default when no dates are given
MAX_REQUESTS = 1000
CLOSED_STATES = [s.value for s in TERMINAL_STATES]
View = Callable[[Request], Awaitable[Response]]
OPEN311_FIELDS = {"description": "content", "address_string": "address", "phone": "caller_phone"}
YES, NO = frozenset({"true", "1", "yes", "是"}), frozenset({"false", "0", "no", "否", ""})
# The posted form, parsed with strict limits (GeoReport v2 has about fifteen fields and no media here):
# parsing stops at the first limit passed, before anything else is done with the request.
FORM_MAX_FIELDS = 30
FORM_MAX_PART_BYTES = 64 * 1024  # a 5,000-character description, percent-encoded UTF-8, fits
BODY_MAX_BYTES = 128 * 1024  # the whole form (the body limit of every /open311/ path)
CONFIDENTIAL_ATTRIBUTE = {
    "variable": True,
    "code": "confidential",
    "datatype": "singlevaluelist",
    "required": False,
    "datatype_description": "true 或 false",
    "order": 1,
    "description": "保密：不向承办单位透露诉求人的姓名、电话和地址（举报默认保密）",
    "values": [{"key": "true", "name": "是"}, {"key": "false", "name": "否"}],
}
FORM_LIMITS = f"表单最多 {FORM_MAX_FIELDS} 个字段、每个字段至多 {FORM_MAX_PART_BYTES // 1024} KB，且不接受文件"


def _errors(view: View) -> View:
    """Open311 answers errors as a list of {code, description}, with the same HTTP status."""

    async def wrapped(request: Request) -> Response:
        try:
            if has_nul(dict(request.query_params)):  # PostgreSQL text cannot hold U+0000
                raise ApiError(400, "参数含有空字符（\\u0000），请删除后重试")
            return await view(request)
        except ApiError as exc:
            return JSONResponse(
                [{"code": exc.status, "description": exc.message}], status_code=exc.status, headers=exc.headers
            )

    return wrapped


def _context(request: Request, *, intake: bool = False) -> Any:
    state = request.app.state
    return transaction(state.pool, state.catalogs, state.redis, now(request), intake=intake)


def _key(request: Request, form: dict[str, Any] | None = None) -> str | None:
    key = (form or {}).get("api_key") or request.query_params.get("api_key")
    return str(key) if key else None


async def _client(request: Request, form: dict[str, Any] | None = None) -> client_keys.Client:
    """The API client of the request's key (rate-limited per key), or a 401."""
    state = request.app.state
    client = await client_keys.authenticate(state.pool, _key(request, form), now(request))
    if client is None:
        raise ApiError(401, "缺少或无效的 api_key（Open311 客户端密钥，由管理员在“安全”页面创建）")
    limit = state.settings.open311.key_requests_per_minute
    await client_keys.within_rate(state.redis, state.settings.redis.queue_name, client, limit, now(request))
    return client


async def _reader(request: Request) -> client_keys.Client | None:
    """Who reads: None for the public (allowed unless [open311] public_read is false); a key, when one is given,
    must be valid."""
    if _key(request) is None and request.app.state.settings.open311.public_read:
        return None
    return await _client(request)


async def services(request: Request) -> Response:
    await _reader(request)
    async with request.app.state.pool.acquire() as conn:
        catalog = await request.app.state.catalogs.get(conn)
    return JSONResponse(
        [
            {
                "service_code": c.code,
                "service_name": c.name,
                "description": c.description,
                "metadata": True,  # the definition offers the 保密 attribute
                "type": "realtime",
                "keywords": "",
                "group": c.level1,
            }
            for c in catalog.categories.values()
            if c.active
        ]
    )


async def service_definition(request: Request) -> Response:
    """A service's definition (GeoReport v2): its one attribute, 保密, which any request may ask for."""
    await _reader(request)
    code = request.path_params["code"]
    async with request.app.state.pool.acquire() as conn:
        catalog = await request.app.state.catalogs.get(conn)
    category = catalog.categories.get(code)
    if category is None or not category.active:
        raise ApiError(404, f"service_code {code} 不存在")
    return JSONResponse({"service_code": category.code, "attributes": [CONFIDENTIAL_ATTRIBUTE]})


async def _form(request: Request) -> dict[str, Any]:
    try:
        form = await request.form(max_files=0, max_fields=FORM_MAX_FIELDS, max_part_size=FORM_MAX_PART_BYTES)
    except HTTPException:  # starlette's MultiPartException, raised at the first limit passed
        raise ApiError(400, f"表单不符合要求：{FORM_LIMITS}", code="invalid") from None
    return dict(form)


async def post_request(request: Request) -> Response:
    form = await _form(request)
    user = (await _client(request, form)).acts_as
    if has_nul({k: v for k, v in form.items() if isinstance(v, str)}):
        raise ApiError(400, "提交的内容含有空字符（\\u0000），请删除后重试")
    body = _new_ticket(form)
    key = request.headers.get("idempotency-key")
    async with _context(request, intake=True) as tx:
        access.require_hotline(user, tx.catalog)
        if body.category_code not in tx.catalog.categories:
            raise ApiError(400, f"service_code {body.category_code} 不存在", code="unknown_service")
        ticket, created = await intake.create_ticket(tx, request.app.state.intake, user, body, key)
    notice = f"已受理，工单编号 {ticket.number}" if created else f"该请求已受理过，工单编号 {ticket.number}"
    return JSONResponse(
        [{"service_request_id": ticket.number, "service_notice": notice, "account_id": None}],
        status_code=201 if created else 200,
    )


def _new_ticket(form: dict[str, Any]) -> schemas.NewTicket:
    name = "".join(str(form.get(k) or "").strip() for k in ("last_name", "first_name")) or None
    data = {
        "type": form.get("type") or "help_request",
        "channel": "api",
        "category_code": str(form.get("service_code") or "") or None,
        "content": form.get("description") or "",
        "address": form.get("address_string") or "",
        "caller_name": name,
        "caller_phone": form.get("phone") or None,
        "confidential": _confidential(form),
    }
    if data["category_code"] is None:
        raise ApiError(400, "缺少必填项：service_code", code="invalid")
    try:
        return schemas.NewTicket.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = next((k for k, v in OPEN311_FIELDS.items() if v == err["loc"][0]), str(err["loc"][0]))
            problems.append(f"{field}（{FIELD_LABELS.get(str(err['loc'][0]), field)}）无效或缺失")
        raise ApiError(400, "；".join(problems), code="invalid") from None


def _confidential(form: dict[str, Any]) -> bool | None:
    """保密, asked for as a service attribute (GeoReport v2 `attribute[code]`) or a plain field; None: not asked."""
    raw = form.get("attribute[confidential]", form.get("confidential"))
    if raw is None:
        return None
    text = str(raw).strip().lower()
    if text not in YES | NO:
        raise ApiError(400, "attribute[confidential]（保密）应为 true 或 false", code="invalid")
    return text in YES


async def list_requests(request: Request) -> Response:
    public = await _reader(request) is None
    params = request.query_params
    numbers = [n.strip() for n in params.get("service_request_id", "").split(",") if n.strip()] or None
    status = params.get("status") or None
    if status not in (None, "open", "closed"):
        raise ApiError(400, "status 只能是 open 或 closed")
    end = _datetime(params.get("end_date"), "end_date") or now(request)
    start = _datetime(params.get("start_date"), "start_date") or end - DEFAULT_WINDOW
    window: tuple[datetime | None, datetime | None] = (None, None) if numbers else (start, end)
    async with _context(request) as tx:
        rows = await tx.conn.fetch(
            Q.open311_requests, numbers, params.get("service_code") or None, status, CLOSED_STATES, *window,
            MAX_REQUESTS,
        )  # fmt: skip
        return JSONResponse([_request_json(tx, row, public) for row in rows])


async def get_request(request: Request) -> Response:
    public = await _reader(request) is None
    number = request.path_params["number"]
    async with _context(request) as tx:
        rows = await tx.conn.fetch(Q.open311_requests, [number], None, None, CLOSED_STATES, None, None, 1)
        if not rows:
            raise ApiError(404, f"找不到服务请求 {number}")
        return JSONResponse([_request_json(tx, rows[0], public)])


def _datetime(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, f"{name} 应为 ISO 8601 时间，例如 2026-12-01T08:00:00+08:00") from None
    if value.tzinfo is None:
        raise ApiError(400, f"{name} 须带时区，例如 2026-12-01T08:00:00+08:00")
    return value


async def requests(request: Request) -> Response:
    return await (post_request(request) if request.method == "POST" else list_requests(request))


def _request_json(tx: Context, row: Any, public: bool) -> dict[str, Any]:
    """A ticket as a service request; `public`: read without a key, so no address either (it may be a home)."""
    category = tx.catalog.categories.get(row["category_code"] or "")
    holder, expected = row["holder_unit_id"], row["expected_at"]
    return {
        "service_request_id": row["number"],
        "status": "closed" if row["state"] in CLOSED_STATES else "open",
        "status_notes": TicketState(row["state"]).label,
        "service_name": category.name if category else None,
        "service_code": row["category_code"],
        "description": mask_text(row["content"]),
        "agency_responsible": tx.catalog.unit_names.get(holder) if holder else None,
        "service_notice": None,
        "requested_datetime": row["created_at"].isoformat(),
        "updated_datetime": row["updated_at"].isoformat(),
        "expected_datetime": expected.isoformat() if expected else None,
        "address": None if public or row["confidential"] else mask_text(row["address"]) or None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


ROUTES = [
    Route(f"{PREFIX}/services.json", _errors(services), methods=["GET"]),
    Route(f"{PREFIX}/services/{{code}}.json", _errors(service_definition), methods=["GET"]),
    Route(f"{PREFIX}/requests.json", _errors(requests), methods=["GET", "POST"]),  # one route: a 405 allows both
    Route(f"{PREFIX}/requests/{{number}}.json", _errors(get_request), methods=["GET"]),
]
