"""The org tree, categories and the responsibility table in the admin pages: list, change (the hotline
centre's administrators; each change audited), check a responsibility table before saving, and export each
as the CSV or Excel file the import reads."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline import access, schemas
from hotline.admin import catalog as catalog_admin
from hotline.admin import units
from hotline.admin.users import Admin
from hotline.api.common import Endpoint, int_param, now, ok, parse_body
from hotline.audit.log import Origin, record
from hotline.auth import current_user
from hotline.errors import ApiError
from hotline.exports import catalog as catalog_export
from hotline.imports.org import LEVEL_LABELS
from hotline.queries import Q
from hotline.roles import Role
from hotline.tickets.journal import transaction


def _tx(request: Request):  # type: ignore[no-untyped-def]
    state = request.app.state
    return transaction(state.pool, state.catalogs, state.redis, now(request))


async def _admin(request: Request) -> Admin:
    user = await current_user(request)
    access.require_role(user, Role.ADMIN)
    return Admin(user, Origin.of(request))


def unit_json(r: Any) -> dict[str, Any]:
    return {
        "id": r["id"],
        "code": r["code"],
        "name": r["name"],
        "level": r["level"],
        "level_label": LEVEL_LABELS[r["level"]],
        "parent_id": r["parent_id"],
        "kind": r["kind"],
        "aliases": list(r["aliases"]),
        "sees_phone": r["sees_phone"],
        "active": r["active"],
        "merged_into": r["merged_into"],
        "users": r["users"],
        "open_tickets": r["open_tickets"],
        "former_names": list(r["former_names"] or []),
    }


async def list_units(request: Request) -> Response:
    await _admin(request)
    rows = await request.app.state.pool.fetch(Q.admin_units)
    return ok({"items": [unit_json(r) for r in rows]})


async def _unit_answer(tx: Any, unit_id: int) -> dict[str, Any]:
    row = next(r for r in await tx.conn.fetch(Q.admin_units) if r["id"] == unit_id)
    return {"unit": unit_json(row)}


async def create_unit(request: Request) -> Response:
    admin = await _admin(request)
    body = await parse_body(request, schemas.NewUnitBody)
    async with _tx(request) as tx:
        unit_id = await units.do_create_unit(tx, admin, body)
        answer = await _unit_answer(tx, unit_id)
    return ok(answer, 201)


async def update_unit(request: Request) -> Response:
    admin = await _admin(request)
    unit_id = int_param(request, "id")
    body = await parse_body(request, schemas.UnitChangeBody)
    async with _tx(request) as tx:
        await units.do_update_unit(tx, admin, unit_id, body)
        answer = await _unit_answer(tx, unit_id)
    return ok(answer)


async def move_unit(request: Request) -> Response:
    admin = await _admin(request)
    unit_id = int_param(request, "id")
    body = await parse_body(request, schemas.UnitMoveBody)
    async with _tx(request) as tx:
        await units.do_move_unit(tx, admin, unit_id, body.parent_id)
        answer = await _unit_answer(tx, unit_id)
    return ok(answer)


async def merge_unit(request: Request) -> Response:
    admin = await _admin(request)
    unit_id = int_param(request, "id")
    body = await parse_body(request, schemas.UnitMergeBody)
    async with _tx(request) as tx:
        moved = await units.do_merge_units(tx, admin, unit_id, body.into_id)
        answer = await _unit_answer(tx, unit_id)
    return ok({**answer, "moved": moved})


def _set_active(active: bool):  # type: ignore[no-untyped-def]
    async def view(request: Request) -> Response:
        admin = await _admin(request)
        unit_id = int_param(request, "id")
        async with _tx(request) as tx:
            await units.do_set_unit_active(tx, admin, unit_id, active)
            answer = await _unit_answer(tx, unit_id)
        return ok(answer)

    return view


async def list_categories(request: Request) -> Response:
    await _admin(request)
    rows = await request.app.state.pool.fetch(Q.admin_categories)
    return ok({"items": [dict(r) for r in rows]})


async def save_category(request: Request) -> Response:
    admin = await _admin(request)
    body = await parse_body(request, schemas.CategoryBody)
    async with _tx(request) as tx:
        await catalog_admin.do_save_category(tx, admin, body)
    rows = await request.app.state.pool.fetch(Q.admin_categories)
    return ok({"items": [dict(r) for r in rows]})


async def get_rules(request: Request) -> Response:
    await _admin(request)
    code = request.query_params.get("category", "")[:64]
    async with _tx(request) as tx:
        items = await catalog_admin.category_rules(tx, code)
    return ok({"items": items})


async def check_rules(request: Request) -> Response:
    await _admin(request)
    body = await parse_body(request, schemas.CategoryRulesBody)
    async with request.app.state.pool.acquire() as conn:
        catalog = await request.app.state.catalogs.get(conn)
    return ok({"problems": catalog_admin.rule_problems(catalog, body)})


async def save_rules(request: Request) -> Response:
    admin = await _admin(request)
    body = await parse_body(request, schemas.CategoryRulesBody)
    async with _tx(request) as tx:
        items = await catalog_admin.do_save_rules(tx, admin, body)
    return ok({"items": items})


async def export_file(request: Request) -> Response:
    """/api/admin/export/units.csv, categories.xlsx, rules.csv, ...: the import's own format."""
    admin = await _admin(request)
    kind, fmt = request.path_params["kind"], request.path_params["fmt"]
    if kind not in catalog_export.COLUMNS or fmt not in ("csv", "xlsx"):
        raise ApiError(404)
    async with _tx(request) as tx:
        access.require_city_admin(admin.user, tx.catalog)
        rows = await catalog_export.table(tx.conn, kind)
        after = {"kind": kind, "format": fmt, "rows": len(rows)}
        await record(tx.conn, admin.origin, admin.actor, "export", tx.now, target=kind, after=after)
    if fmt == "csv":
        content, media = catalog_export.as_csv(kind, rows), "text/csv; charset=utf-8"
    else:
        content = catalog_export.as_xlsx(kind, rows)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{kind}.{fmt}"', "Cache-Control": "no-store"},
    )


UNIT = "/api/admin/units/{id:int}"
WRITE = (200, 401, 403, 404, 409, 422)
ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/admin/units",
        list_units,
        "组织机构（含已停用的单位、曾用名）",
        "admin",
        None,
        "AdminUnitList",
        (200, 401, 403),
    ),
    Endpoint(
        "POST",
        "/api/admin/units",
        create_unit,
        "新增单位",
        "admin",
        schemas.NewUnitBody,
        "AdminUnit",
        (201, 401, 403, 409, 422),
    ),
    Endpoint(
        "PATCH", UNIT, update_unit, "修改单位（改名保留曾用名）", "admin", schemas.UnitChangeBody, "AdminUnit", WRITE
    ),
    Endpoint("POST", f"{UNIT}/move", move_unit, "调整上级单位", "admin", schemas.UnitMoveBody, "AdminUnit", WRITE),
    Endpoint(
        "POST",
        f"{UNIT}/merge",
        merge_unit,
        "合并单位（下级、用户、责任规则、道路小区并入目标单位）",
        "admin",
        schemas.UnitMergeBody,
        "AdminUnit",
        WRITE,
    ),
    Endpoint("POST", f"{UNIT}/deactivate", _set_active(False), "停用单位", "admin", None, "AdminUnit", WRITE),
    Endpoint("POST", f"{UNIT}/reactivate", _set_active(True), "启用单位", "admin", None, "AdminUnit", WRITE),
    Endpoint(
        "GET",
        "/api/admin/categories",
        list_categories,
        "诉求分类（含停用的）",
        "admin",
        None,
        "AdminCategoryList",
        (200, 401, 403),
    ),
    Endpoint(
        "PUT",
        "/api/admin/categories",
        save_category,
        "新增或修改分类（与导入相同的校验）",
        "admin",
        schemas.CategoryBody,
        "AdminCategoryList",
        WRITE,
    ),
    Endpoint(
        "GET",
        "/api/admin/rules",
        get_rules,
        "某分类的责任分解表",
        "admin",
        None,
        "RuleTable",
        (200, 401, 403, 404),
        query=(("category", {"type": "string", "maxLength": 64}),),
    ),
    Endpoint(
        "POST",
        "/api/admin/rules/check",
        check_rules,
        "检查责任分解表（与导入相同的校验，不保存）",
        "admin",
        schemas.CategoryRulesBody,
        "RuleCheck",
        (200, 401, 403),
    ),
    Endpoint(
        "PUT",
        "/api/admin/rules",
        save_rules,
        "保存某分类的责任分解表（有问题时不保存）",
        "admin",
        schemas.CategoryRulesBody,
        "RuleTable",
        WRITE,
    ),
]
# file downloads, outside /openapi.json like the report's spreadsheet
ROUTES = [Route("/api/admin/export/{kind}.{fmt}", export_file, name="catalog_export")]
