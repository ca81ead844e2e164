"""/openapi.json, built from the endpoint registry: request schemas from the pydantic bodies,
response schemas below. Schemathesis checks the running API against it in the test suite."""

from __future__ import annotations

from typing import Any

from dispatch.states import TicketState
from hotline.api.common import Endpoint

NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}


def _obj(required: dict[str, Any], **optional: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": {**required, **optional}}


def _list_of(ref: str) -> dict[str, Any]:
    return _obj({"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}}})


TICKET = _obj(
    {
        "id": {"type": "integer"},
        "number": {"type": "string"},
        "type": {"type": "string"},
        "type_label": {"type": "string"},
        "channel": {"type": "string"},
        "state": {"type": "string", "enum": [s.value for s in TicketState]},
        "state_label": {"type": "string"},
        "content": {"type": "string"},
        "address": NULLABLE_STRING,  # null: withheld (a confidential ticket below the hotline centre)
        "caller_phone": NULLABLE_STRING,
        "caller_name": NULLABLE_STRING,
        "personal_data_masked": {"type": "boolean"},
        "personal_view": {"type": "string", "enum": ["full", "reveal", "masked", "withheld"]},
        "confidential": {"type": "boolean"},
        "category_code": NULLABLE_STRING,
        "holder_unit_id": NULLABLE_INT,
        "is_complex": {"type": "boolean"},
        "return_count": {"type": "integer"},
        "reroute_count": {"type": "integer"},
        "reopen_count": {"type": "integer"},
        "version": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
    },
    deadlines={"type": "array", "items": {"type": "object"}},
    routing={"type": ["object", "null"]},
)

OBJECT = {"type": "object"}
ADMIN_USER = _obj(
    {
        "id": {"type": "integer"},
        "username": {"type": "string"},
        "display_name": {"type": "string"},
        "role": {"type": "string"},
        "unit_id": {"type": "integer"},
        "active": {"type": "boolean"},
        "must_change_password": {"type": "boolean"},
    }
)
IMPORT_JOB = _obj(
    {
        "id": {"type": "integer"},
        "status": {"type": "string", "enum": ["uploading", "queued", "checking", "importing", "done", "failed"]},
        "file_name": {"type": "string"},
        "rows_total": NULLABLE_INT,
        "rows_checked": {"type": "integer"},
        "rows_done": {"type": "integer"},
        "rows_written": {"type": "integer"},
        "rows_existing": {"type": "integer"},
        "error_count": {"type": "integer"},
    },
    errors={"type": "array", "items": {"type": "string"}},
)
RESPONSES: dict[str, dict[str, Any]] = {
    "Error": _obj({"error": _obj({"code": {"type": "string"}, "message": {"type": "string"}})}),
    "Ticket": TICKET,
    "TicketList": _obj(
        {"items": {"type": "array", "items": TICKET}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}
    ),
    "SearchResults": _obj(
        {
            "items": {
                "type": "array",
                "items": _obj(
                    {
                        "id": {"type": "integer"},
                        "number": {"type": "string"},
                        "state": {"type": "string"},
                        "summary": {"type": "string"},
                        "caller_phone": NULLABLE_STRING,
                        "created_at": {"type": "string"},
                        "overdue": {"type": "boolean"},
                        "supervised": {"type": "boolean"},
                    }
                ),
            },
            "more": {"type": "boolean"},
            "next": NULLABLE_STRING,
            "by": {"type": "string"},
        }
    ),
    "Progress": _obj(
        {
            "number": {"type": "string"},
            "stage": {"type": "string"},
            "state": {"type": "string"},
            "unit_level": NULLABLE_STRING,
            "district": NULLABLE_STRING,
            "created_at": {"type": "string"},
            "closed_at": NULLABLE_STRING,
        }
    ),
    "EventList": _obj(
        {
            "ticket_id": {"type": "integer"},
            "events": {
                "type": "array",
                "items": _obj(
                    {
                        "id": {"type": "integer"},
                        "at": {"type": "string"},
                        "action": {"type": "string"},
                        "from_state": NULLABLE_STRING,
                        "to_state": {"type": "string"},
                        "actor_name": {"type": "string"},
                        "reason": {"type": "string"},
                        "payload": {"type": "object"},
                    }
                ),
            },
        }
    ),
    "Revealed": _obj(
        {
            "ticket_id": {"type": "integer"},
            "number": {"type": "string"},
            "caller_phone": NULLABLE_STRING,
            "caller_name": NULLABLE_STRING,
            "address": {"type": "string"},
            "content": {"type": "string"},
            "logged_fields": {"type": "array", "items": {"type": "string"}},
        }
    ),
    "PiiReads": _obj(
        {
            "items": {
                "type": "array",
                "items": _obj(
                    {
                        "id": {"type": "integer"},
                        "at": {"type": "string", "format": "date-time"},
                        "via": {"type": "string", "enum": ["view", "list", "reveal"]},
                        "fields": {"type": "array", "items": {"type": "string"}},
                        "username": {"type": "string"},
                        "ticket_id": {"type": "integer"},
                        "ticket_number": {"type": "string"},
                    }
                ),
            },
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next_offset": NULLABLE_INT,
        }
    ),
    "LoginEvents": _obj(
        {
            "items": {
                "type": "array",
                "items": _obj(
                    {
                        "id": {"type": "integer"},
                        "at": {"type": "string", "format": "date-time"},
                        "username": {"type": "string"},
                        "display_name": NULLABLE_STRING,
                        "address": {"type": "string"},
                        "kind": {"type": "string", "enum": ["session", "api"]},
                        "outcome": {"type": "string", "enum": ["ok", "bad_credentials", "inactive", "limited"]},
                        "outcome_label": {"type": "string"},
                    }
                ),
            },
            "next_offset": NULLABLE_INT,
        }
    ),
    "Open311Client": _obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "key_hint": {"type": "string"},
            "acts_as": {"type": "string"},
            "created_by": {"type": "string"},
            "active": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
            "revoked_at": NULLABLE_STRING,
            "last_used_at": NULLABLE_STRING,
        },
        key={"type": "string", "description": "only in the answer that created it"},
    ),
    "Open311Clients": _list_of("Open311Client"),
    "Suggestions": _obj(
        {
            "analysis": {"type": "object"},
            "routing": {"type": "object"},
            "knowledge": {"type": "array"},
            "caller_history": {"type": "array"},
            "similar_open": {"type": "array"},
        }
    ),
    "Appeal": _obj(
        {
            "id": {"type": "integer"},
            "ticket_id": {"type": "integer"},
            "status": {"type": "string"},
            "kind": {"type": "string"},
        }
    ),
    "AppealList": _list_of("Appeal"),
    "Order": _obj(
        {
            "id": {"type": "integer"},
            "ticket_id": {"type": "integer"},
            "unit_id": {"type": "integer"},
            "status": {"type": "string"},
            "reason": {"type": "string"},
            "answer": {"type": "string"},
        }
    ),
    "OrderList": _list_of("Order"),
    "ServiceDay": _obj(
        {
            "id": {"type": "integer"},
            "unit_id": {"type": "integer"},
            "leader": {"type": "string"},
            "calls": {"type": "integer"},
        }
    ),
    "ServiceDayList": _list_of("ServiceDay"),
    "CoParts": _obj({"ticket_id": {"type": "integer"}, "items": {"type": "array"}}),
    "Urge": _obj({"id": {"type": "integer"}, "ticket_id": {"type": "integer"}, "note": {"type": "string"}}),
    "UrgeList": _list_of("Urge"),
    "User": _obj(
        {
            "id": {"type": "integer"},
            "username": {"type": "string"},
            "role": {"type": "string"},
            "unit_id": {"type": "integer"},
        }
    ),
    "Login": _obj(
        {"user": {"$ref": "#/components/schemas/User"}},
        token={"type": "string", "description": "kind api only: a session lives in the HttpOnly cookie alone"},
    ),
    "Ok": _obj({"ok": {"type": "boolean"}}),
    "AdminUser": _obj({"user": ADMIN_USER}),
    "AdminUserPassword": _obj({"user": ADMIN_USER, "temporary_password": {"type": "string"}}),
    "AdminUserList": _obj({"items": {"type": "array", "items": ADMIN_USER}}),
    "AuditLog": _obj(
        {
            "items": {"type": "array", "items": {"type": "object"}},
            "next_offset": NULLABLE_INT,
            "actions": {"type": "object"},
        }
    ),
    "AdminUnit": _obj({"unit": {"type": "object"}}),
    "AdminUnitList": _obj({"items": {"type": "array", "items": {"type": "object"}}}),
    "AdminCategoryList": _obj({"items": {"type": "array", "items": {"type": "object"}}}),
    "RuleCheck": _obj({"problems": {"type": "array", "items": {"type": "string"}}}),
    "RuleTable": _obj({"items": {"type": "array", "items": {"type": "object"}}}),
    "Webhook": _obj(
        {
            "id": {"type": "integer"},
            "unit_id": {"type": "integer"},
            "url": {"type": "string"},
            "events": {"type": "array", "items": {"type": "string"}},
            "enabled": {"type": "boolean"},
        }
    ),
    "WebhookList": _obj(
        {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Webhook"}}, "events": {"type": "object"}}
    ),
    "WebhookCreated": _obj({"webhook": {"$ref": "#/components/schemas/Webhook"}, "secret": {"type": "string"}}),
    "DeliveryList": _obj({"items": {"type": "array", "items": {"type": "object"}}}),
    "Board": _obj(
        {
            "unit": {"type": "object"},
            "counts_by_state": {"type": "object"},
            "counts_by_unit": {"type": "array"},
            "countdown": {"type": "array"},
            "supervised": {"type": "object"},
            "alerts": {"type": "array"},
        }
    ),
    "Created": _obj({"id": {"type": "integer"}}),
    "MonthlyReport": _obj(
        {
            "month": {"type": "string"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "volumes": {"type": "object"},
            "comparison": {"type": "object"},
            "trend": {"type": "array"},
            "hot_topics": {"type": "array"},
            "sla": {"type": "array"},
            "supervised": {"type": "object"},
            "rankings": {"type": "object"},
            "heat": {"type": "object"},
            "early_warnings": {"type": "array"},
            "weights": {"type": "object"},
        }
    ),
    "Rankings": _obj(
        {
            "period": {"type": "string"},
            "level": {"type": "string"},
            "weights": {"type": "object"},
            "min_sample": {"type": "integer"},
            "items": {"type": "array", "items": {"type": "object"}},
        }
    ),
    "Misrouting": _obj(
        {
            "month": {"type": "string"},
            "dispatch": {"type": "object"},
            "causes": {"type": "array"},
            "units": {"type": "array"},
        }
    ),
    "ModelHistory": _obj(
        {
            "current": NULLABLE_STRING,
            "versions": {"type": "array", "items": {"type": "object"}},
            "runs": {"type": "array"},
            "switches": {"type": "array"},
        }
    ),
    "ModelComparison": _obj(
        {
            "a": {"type": "object"},
            "b": {"type": "object"},
            "same_slice": {"type": "boolean"},
            "per_class": {"type": "array", "items": {"type": "object"}},
        }
    ),
    "Queued": _obj({"queued": {"type": "boolean"}}),
    "LabelList": _obj({"items": {"type": "array", "items": {"type": "object"}}}),
    "UnitList": _obj(
        {
            "items": {
                "type": "array",
                "items": _obj({"id": {"type": "integer"}, "name": {"type": "string"}, "level": {"type": "string"}}),
            }
        }
    ),
    "CategoryList": _obj(
        {"items": {"type": "array", "items": _obj({"code": {"type": "string"}, "name": {"type": "string"}})}}
    ),
    "SlaRules": _obj(
        {
            "version": NULLABLE_INT,
            "reply_minutes": {"type": "number"},
            "accept_minutes": {"type": "number"},
            "warn_fraction": {"type": "number"},
            "office_hours": {"type": "array"},
            "weekdays": {"type": "array", "items": {"type": "integer"}},
            "completion": {"type": "array", "items": {"type": "object"}},
        },
        recompute={"type": ["object", "null"]},
    ),
    "Calendar": _obj(
        {
            "year": {"type": "integer"},
            "weekdays": {"type": "array", "items": {"type": "integer"}},
            "days": {
                "type": "array",
                "items": _obj({"date": {"type": "string"}, "kind": {"type": "string"}, "name": {"type": "string"}}),
            },
            "years": {"type": "array"},
        },
        recompute={"type": ["object", "null"]},
    ),
    "CalendarImport": _obj(
        {"imported": {"type": "integer"}, "years": {"type": "array", "items": {"type": "integer"}}},
        recompute={"type": ["object", "null"]},
    ),
    "Recompute": _obj({"recompute": {"type": ["object", "null"]}}),
    "ImportCreated": _obj({"id": {"type": "integer"}, "chunk_bytes": {"type": "integer"}}),
    "ImportJob": IMPORT_JOB,
    "ImportList": _obj({"items": {"type": "array", "items": IMPORT_JOB}}),
    "BackupList": _obj({"schedule": {"type": "object"}, "items": {"type": "array", "items": {"type": "object"}}}),
    "RetentionList": _obj(
        {
            "periods": {"type": "object"},
            "labels": {"type": "object"},
            "items": {"type": "array", "items": {"type": "object"}},
        }
    ),
    "KbList": _obj(
        {
            "items": {
                "type": "array",
                "items": _obj({"id": {"type": "integer"}, "title": {"type": "string"}, "answer": {"type": "string"}}),
            }
        }
    ),
}


# PostgreSQL text cannot hold U+0000, so bodies with it are refused (api/common.py has_nul): the schema says so
NO_NUL = r"^[^\x00]*$"


def _no_nul(schema: Any) -> Any:
    """Every free-text string of a request body published with NO_NUL (one with a pattern, format or choices
    already excludes it)."""
    if isinstance(schema, list):
        return [_no_nul(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    walked = {key: _no_nul(value) for key, value in schema.items()}
    if walked.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(walked):
        walked["pattern"] = NO_NUL
    return walked


def build_spec(endpoints: list[Endpoint]) -> dict[str, Any]:
    schemas: dict[str, Any] = dict(RESPONSES)
    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        path = e.path.replace("{id:int}", "{id}")
        operation: dict[str, Any] = {
            "summary": e.summary,
            "tags": [e.tag],
            "operationId": f"{e.method.lower()}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
            "responses": {str(s): _response(s, e.response) for s in sorted(_statuses(e))},
        }
        parameters = [{"name": name, "in": "query", "required": False, "schema": schema} for name, schema in e.query]
        if "{id}" in path:
            parameters.append(
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 2**62},
                }
            )
        if parameters:
            operation["parameters"] = parameters
        if e.body is not None:
            schema = _no_nul(e.body.model_json_schema(ref_template="#/components/schemas/{model}"))
            schemas.update(schema.pop("$defs", {}))
            schemas[e.body.__name__] = schema
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{e.body.__name__}"}}},
            }
        if not e.public:
            operation["security"] = [{"bearer": []}, {"session": []}]
        paths.setdefault(path, {})[e.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "12345 热线工单调度与督办 API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "hotline_session"},
            },
        },
    }


def _statuses(e: Endpoint) -> set[int]:
    """Declared statuses plus those every endpoint of its kind can give (bad JSON, login, ...)."""
    statuses = set(e.statuses)
    if e.body is not None:
        statuses |= {400, 413, 415, 422}
    if not e.public:
        statuses.add(401)
    if e.query:
        statuses.add(422)
    return statuses


def _response(status: int, schema_name: str | None) -> dict[str, Any]:
    name = schema_name if status < 400 and schema_name else "Error"
    description = {
        200: "成功",
        201: "已创建",
        400: "请求格式错误",
        401: "未登录",
        403: "无权限",
        404: "不存在",
        409: "状态冲突",
        413: "内容过大",
        415: "格式不支持",
        422: "输入有误",
        429: "请求过于频繁（Retry-After 给出等待秒数）",
        503: "服务繁忙，请稍后再试",
    }.get(status, "")
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
    }
