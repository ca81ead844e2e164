"""Categories and the responsibility table edited in the pages, through the very checks the import runs
(`check_categories`, `check_rules_rows` with `dispatch.routing.check_rules`): the editor sends the rows it
shows, numbered as on the page, and gets the same Chinese problems back before anything is saved."""

from __future__ import annotations

from typing import Any

from hotline import access
from hotline.admin.users import Admin
from hotline.audit.log import record
from hotline.catalog_cache import Catalog
from hotline.errors import ApiError
from hotline.imports.catalog import check_categories, check_rules_rows, write_all, write_rules
from hotline.imports.rows import ImportFailed, Row
from hotline.queries import Q
from hotline.schemas import CategoryBody, CategoryRulesBody, RuleRowBody
from hotline.tickets.journal import Context


def _invalid(exc: ImportFailed, code: str) -> ApiError:
    shown = "；".join(exc.errors[:3]) + (f"（共 {len(exc.errors)} 处问题）" if len(exc.errors) > 3 else "")
    return ApiError(422, shown, code=code, fields=exc.errors)


def _rule_rows(body: CategoryRulesBody) -> list[Row]:
    """The page's table as import rows, numbered from 1 as the page shows them."""
    return [
        Row(number, {"category_code": body.category_code, **_rule_values(rule)})
        for number, rule in enumerate(body.rules, start=1)
    ]


def _rule_values(rule: RuleRowBody) -> dict[str, str]:
    return {
        "level": rule.level,
        "owner_kind": rule.owner_kind,
        "owner_unit_code": rule.owner_unit_code,
        "co_handlers": rule.co_handlers,
        "priority": rule.priority,
    }


def rule_problems(catalog: Catalog, body: CategoryRulesBody) -> list[str]:
    """What the import would say about this table; [] when it may be saved."""
    if body.category_code not in catalog.categories:
        return [f"分类编码 {body.category_code or '(空)'} 不存在"]
    try:
        check_rules_rows(catalog, _rule_rows(body))
    except ImportFailed as exc:
        return exc.errors
    return []


async def _rules_json(ctx: Context, code: str) -> list[dict[str, Any]]:
    return [
        {
            "level": r["level"],
            "owner_kind": r["owner_kind"] or "",
            "owner_unit_code": r["owner_unit_code"] or "",
            "co_handlers": "、".join(r["co_handler_kinds"]),
            "priority": str(r["priority"]),
        }
        for r in await ctx.conn.fetch(Q.admin_rules_of_category, code)
    ]


async def category_rules(ctx: Context, code: str) -> list[dict[str, Any]]:
    if code not in ctx.catalog.categories:
        raise ApiError(404, f"分类 {code} 不存在", code="unknown_category")
    return await _rules_json(ctx, code)


async def do_save_rules(ctx: Context, admin: Admin, body: CategoryRulesBody) -> list[dict[str, Any]]:
    """Replace one category's rules with the table, all or nothing; the saved table."""
    access.require_city_admin(admin.user, ctx.catalog)
    if body.category_code not in ctx.catalog.categories:
        raise ApiError(404, f"分类 {body.category_code} 不存在", code="unknown_category")
    try:
        parsed = check_rules_rows(ctx.catalog, _rule_rows(body))
    except ImportFailed as exc:
        raise _invalid(exc, "invalid_rules") from None
    before = await _rules_json(ctx, body.category_code)
    if parsed:
        await write_rules(ctx.conn, parsed)
    else:
        await ctx.conn.execute(Q.delete_rules_of_categories, [body.category_code])
    after = await _rules_json(ctx, body.category_code)
    if before != after:
        await record(
            ctx.conn,
            admin.origin,
            admin.actor,
            "rules.save",
            ctx.now,
            target=body.category_code,
            before=before,
            after=after,
        )
    return after


async def do_save_category(ctx: Context, admin: Admin, body: CategoryBody) -> None:
    """Add a category or change one (name, level-1 group, description, in use or not)."""
    access.require_city_admin(admin.user, ctx.catalog)
    values = {
        "code": body.code,
        "name": body.name,
        "level1": body.level1,
        "description": body.description,
        "active": "是" if body.active else "否",
    }
    try:
        writes = check_categories([Row(1, values)])
    except ImportFailed as exc:
        raise _invalid(exc, "invalid_category") from None
    existing = await ctx.conn.fetchrow(Q.admin_category_get, body.code)
    before = dict(existing) if existing else None
    try:
        await write_all(ctx.conn, writes)
    except ImportFailed as exc:  # a name another category has
        raise ApiError(409, f"分类名称「{body.name}」已被其他分类使用", code="category_name_taken") from exc
    after = dict(await ctx.conn.fetchrow(Q.admin_category_get, body.code))
    if before != after:
        await record(
            ctx.conn, admin.origin, admin.actor, "category.save", ctx.now, target=body.code, before=before, after=after
        )
