"""What every API view shares: the endpoint registry (routes and /openapi.json come from it),
body parsing with Chinese validation messages, and the per-request context."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hotline.errors import ApiError

ModelT = TypeVar("ModelT", bound=BaseModel)
Handler = Callable[[Request], Awaitable[Response]]
MAX_BODY_BYTES = 256 * 1024

FIELD_LABELS = {
    "content": "诉求内容",
    "address": "地址",
    "caller_phone": "来电号码",
    "caller_name": "来电人姓名",
    "type": "工单类型",
    "channel": "渠道",
    "category_code": "分类",
    "urgency": "紧急程度",
    "confidential": "保密",
    "reason": "原因",
    "note": "说明",
    "result": "办理结果",
    "text": "内容",
    "unit_id": "目标单位",
    "extra_days": "延期天数",
    "method": "联系方式",
    "outcome": "联系结果",
    "satisfaction": "满意度",
    "username": "用户名",
    "password": "密码",
    "title": "标题",
    "answer": "答复内容",
    "keywords": "关键词",
    "kind": "类型",
    "approve": "审核结论",
    "master_ticket_id": "主工单",
    "kb_entry_id": "知识库条目",
    "reply_minutes": "普通工单回复时限",
    "accept_minutes": "复杂工单甄别受理时限",
    "reply_counts": "回复计时方式",
    "accept_counts": "甄别受理计时方式",
    "warn_fraction": "预警比例",
    "office_hours": "办公时间",
    "weekdays": "每周工作日",
    "completion": "办结时限",
    "date": "日期",
    "filename": "文件名",
    "content_base64": "文件内容",
    "name": "名称",
    "acts_as": "受理账号",
    "number": "工单号",
    "phone_last4": "手机号后四位",
    "url": "推送地址",
    "events": "推送事件",
    "include_subtree": "含下级单位",
    "enabled": "启用",
}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    response: str | None = None  # a schema name in hotline/openapi.py
    statuses: tuple[int, ...] = (200,)
    public: bool = False
    query: tuple[tuple[str, dict[str, Any]], ...] = field(default=())


def routes(endpoints: list[Endpoint]) -> list[Route]:
    by_path: dict[str, dict[str, Endpoint]] = {}
    for e in endpoints:
        by_path.setdefault(e.path, {})[e.method] = e
    return [_route(path, handlers) for path, handlers in by_path.items()]


def _route(path: str, endpoints: dict[str, Endpoint]) -> Route:
    async def dispatch(request: Request) -> Response:
        endpoint = endpoints["GET" if request.method == "HEAD" else request.method]
        check_query(request, endpoint.query)
        return await endpoint.handler(request)

    return Route(path, dispatch, methods=list(endpoints))


def check_query(request: Request, declared: tuple[tuple[str, dict[str, Any]], ...]) -> None:
    """The query parameters as /openapi.json publishes them (type, length, pattern, range, choices), or a 422
    naming the first one that is not."""
    for name, schema in declared:
        raw = request.query_params.get(name)
        if raw is None:
            continue
        if problem := _query_problem(name, raw, schema):
            raise ApiError(422, problem, code="invalid")


def _query_problem(name: str, raw: str, schema: dict[str, Any]) -> str | None:
    if schema.get("type") == "integer":
        try:
            value = int(raw)
        except ValueError:
            return f"{name} 应为整数"
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            return f"{name} 应在 {low}–{high} 之间"
        return None
    if "maxLength" in schema and len(raw) > schema["maxLength"]:
        return f"{name} 过长（最多 {schema['maxLength']} 个字符）"
    if "enum" in schema and raw not in schema["enum"]:
        return f"{name} 取值无效，可选：{'、'.join(map(str, schema['enum']))}"
    if "pattern" in schema and not re.search(schema["pattern"], raw):
        return f"{name} 格式不正确"
    return None


async def parse_body(request: Request, model: type[ModelT]) -> ModelT:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"提交的内容过大（上限 {MAX_BODY_BYTES // 1024} KB）")
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise ApiError(415, "请以 JSON 格式提交（Content-Type: application/json）", code="unsupported_media_type")
    try:
        data = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "请求体不是有效的 JSON", code="bad_json") from None
    if not isinstance(data, dict):
        raise ApiError(422, "请求体应为 JSON 对象", code="invalid")
    if has_nul(data):  # valid JSON, but PostgreSQL text cannot hold U+0000 (it was a 500)
        raise ApiError(422, "提交的内容含有空字符（\\u0000），请删除后重试", code="invalid")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_message(err) for err in exc.errors()]
        raise ApiError(422, "；".join(problems[:5]), code="invalid", fields=problems) from None


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def _message(err: Any) -> str:
    location = [str(p) for p in err["loc"] if not isinstance(p, int)]
    name = location[0] if location else ""
    label = FIELD_LABELS.get(name, name)
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind == "missing":
        return f"缺少必填项：{label}"
    if kind == "extra_forbidden":
        return f"不认识的字段：{name}"
    if kind == "string_too_short":
        return f"{label}不能为空"
    if kind == "string_too_long":
        return f"{label}过长（最多 {ctx.get('max_length')} 字）"
    if kind == "string_pattern_mismatch":
        return f"{label}格式不正确"
    if kind == "literal_error":
        return f"{label}取值无效，可选：{ctx.get('expected')}"
    if kind in ("greater_than_equal", "less_than_equal", "too_long", "too_short"):
        return f"{label}超出允许范围"
    return f"{label}类型或格式不正确"


def int_param(request: Request, name: str) -> int:
    value = request.path_params[name]
    if not isinstance(value, int) or value < 1 or value > 2**62:
        raise ApiError(404)
    return value


def bounded_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high], or a 422 saying which."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(422, f"{name} 应为整数", code="invalid") from None
    if not low <= value <= high:
        raise ApiError(422, f"{name} 应在 {low}–{high} 之间", code="invalid")
    return value


def ok(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


def now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}  # a day query parameter, as /openapi.json has it


def date_param(request: Request, name: str) -> date | None:
    """A day from the query string (2026-12-01), None when absent; 422 in Chinese when it is not one."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(422, f"{name} 应为日期，例如 2026-12-01", code="invalid") from None


def day_range(request: Request) -> tuple[datetime | None, datetime | None]:
    """The local days `from`..`to` of the query string as [since, until) instants; either end may be open."""
    first, last = date_param(request, "from"), date_param(request, "to")
    if first and last and first > last:
        raise ApiError(422, "起始日期不能晚于结束日期", code="invalid")
    tz = request.app.state.settings.tz
    since = datetime.combine(first, time(), tz) if first else None
    until = datetime.combine(last + timedelta(days=1), time(), tz) if last else None
    return since, until
