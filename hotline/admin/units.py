"""The org tree edited in the pages: add, rename, move, merge, deactivate and reactivate units.

A unit is never deleted: tickets, events and scores point at it by id. A rename keeps the old name in
`unit_names` with the moment it ended, so a ticket's story shows the names units had at the time. A merge
moves the source's sub-units, users, responsibility rules and roads/estates to the target, makes its names
aliases of the target (callers keep using them), and deactivates it; it is refused while the source still
holds open tickets, which are re-routed by people through the ordinary gates first. Changes to the tree are
the hotline centre's (`access.require_city_admin`); every one is in the audit log with before and after.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from hotline import access
from hotline.admin.users import Admin
from hotline.audit.log import record
from hotline.errors import ApiError
from hotline.imports.org import ALLOWED_PARENT, LEVEL_LABELS
from hotline.queries import Q
from hotline.schemas import NewUnitBody, UnitChangeBody
from hotline.tickets.journal import Context


def audited(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "code": row["code"],
        "name": row["name"],
        "level": row["level"],
        "parent_code": row["parent_code"],
        "kind": row["kind"],
        "aliases": list(row["aliases"]),
        "sees_phone": row["sees_phone"],
        "active": row["active"],
    }


async def _locked(ctx: Context, unit_id: int) -> asyncpg.Record:
    row = await ctx.conn.fetchrow(Q.admin_unit_lock, unit_id)
    if row is None:
        raise ApiError(404, "找不到该单位", code="unit_not_found")
    return row


async def _parent(ctx: Context, parent_id: int, level: str) -> asyncpg.Record:
    parent = await ctx.conn.fetchrow(Q.admin_unit_lock, parent_id)
    if parent is None:
        raise ApiError(422, "上级单位不存在", code="unknown_unit")
    if not parent["active"]:
        raise ApiError(422, f"上级单位「{parent['name']}」已停用", code="inactive_unit")
    allowed = ALLOWED_PARENT.get(level, set())
    if parent["level"] not in allowed:
        should = "或".join(LEVEL_LABELS[p] for p in sorted(allowed)) or "（无上级）"
        raise ApiError(
            422,
            f"{LEVEL_LABELS[level]}不能挂在{LEVEL_LABELS[parent['level']]}下面（应挂在{should}下）",
            code="wrong_parent_level",
        )
    return parent


def _routed_kind(row: asyncpg.Record) -> str:
    """The kind routing finds this unit by: a department's (docs/dispatch.md, the responsibility table)."""
    return str(row["kind"]) if row["level"] == "department" else ""


def _kind_in_rules(row: asyncpg.Record, count: int) -> str:
    return (
        f"责任分解表有 {count} 条规则按部门类型「{row['kind']}」把工单派给各区的该部门；"
        f"请先在责任分解表中改用其他部门类型，再停用或合并「{row['name']}」"
    )


async def _audit(ctx: Context, admin: Admin, action: str, target: str, before: Any, after: Any) -> None:
    await record(ctx.conn, admin.origin, admin.actor, action, ctx.now, target=target, before=before, after=after)


async def do_create_unit(ctx: Context, admin: Admin, body: NewUnitBody) -> int:
    access.require_city_admin(admin.user, ctx.catalog)
    await _parent(ctx, body.parent_id, body.level)
    if await ctx.conn.fetchval(Q.admin_unit_code_taken, body.code):
        raise ApiError(409, f"单位编码 {body.code} 已被使用", code="unit_code_taken")
    if body.level == "department" and not body.kind:
        raise ApiError(422, "区直部门须填写类型（如 城管局），责任分解表按类型找到各区的部门", code="missing_kind")
    try:
        unit_id: int = await ctx.conn.fetchval(
            Q.admin_unit_insert,
            body.code,
            body.name,
            body.level,
            body.parent_id,
            body.kind,
            body.aliases,
            body.sees_phone,
            ctx.now,
        )
    except asyncpg.UniqueViolationError:  # the same code created at the same moment
        raise ApiError(409, f"单位编码 {body.code} 已被使用", code="unit_code_taken") from None
    await _audit(ctx, admin, "unit.create", body.code, None, audited(await _locked(ctx, unit_id)))
    return unit_id


async def do_update_unit(ctx: Context, admin: Admin, unit_id: int, body: UnitChangeBody) -> None:
    """Rename or edit; the old name is kept with the moment it stopped being the name."""
    access.require_city_admin(admin.user, ctx.catalog)
    row = await _locked(ctx, unit_id)
    name = body.name if body.name is not None else row["name"]
    kind = body.kind if body.kind is not None else row["kind"]
    aliases = body.aliases if body.aliases is not None else list(row["aliases"])
    sees_phone = body.sees_phone if body.sees_phone is not None else row["sees_phone"]
    if row["level"] == "department" and not kind:
        raise ApiError(422, "区直部门须填写类型（如 城管局）", code="missing_kind")
    if (name, kind, aliases, sees_phone) == (row["name"], row["kind"], list(row["aliases"]), row["sees_phone"]):
        return
    if name != row["name"]:
        await ctx.conn.execute(Q.admin_unit_rename_history, unit_id, row["name"], ctx.now)
    await ctx.conn.execute(Q.admin_unit_update, unit_id, name, kind, aliases, sees_phone)
    await _audit(ctx, admin, "unit.update", row["code"], audited(row), audited(await _locked(ctx, unit_id)))


async def do_move_unit(ctx: Context, admin: Admin, unit_id: int, parent_id: int) -> None:
    access.require_city_admin(admin.user, ctx.catalog)
    row = await _locked(ctx, unit_id)
    if row["parent_id"] is None:
        raise ApiError(422, "市级单位不能调整上级", code="root_unit")
    if parent_id == row["parent_id"]:
        return
    await _parent(ctx, parent_id, row["level"])
    await ctx.conn.execute(Q.admin_unit_move, unit_id, parent_id)
    await _audit(ctx, admin, "unit.move", row["code"], audited(row), audited(await _locked(ctx, unit_id)))


async def do_merge_units(ctx: Context, admin: Admin, source_id: int, into_id: int) -> dict[str, int]:
    """Merge `source` into `into` (same level); what moved, counted."""
    access.require_city_admin(admin.user, ctx.catalog)
    if source_id == into_id:
        raise ApiError(422, "不能把单位合并到它自己", code="merge_into_itself")
    first, second = sorted((source_id, into_id))  # two merges at once lock in one order: no deadlock
    locked = {first: await _locked(ctx, first), second: await _locked(ctx, second)}
    source, target = locked[source_id], locked[into_id]
    if source["parent_id"] is None:
        raise ApiError(422, "市级单位不能被合并", code="root_unit")
    if source["level"] != target["level"]:
        raise ApiError(
            422,
            f"只能合并同一层级的单位（{LEVEL_LABELS[source['level']]}不能并入{LEVEL_LABELS[target['level']]}）",
            code="merge_level",
        )
    if not source["active"] or not target["active"]:
        raise ApiError(422, "已停用的单位不能合并", code="inactive_unit")
    in_use = await ctx.conn.fetchrow(Q.admin_unit_in_use, source_id, _routed_kind(source))
    if in_use["kind_rules"]:
        raise ApiError(409, _kind_in_rules(source, in_use["kind_rules"]), code="kind_in_rules")
    if in_use["open_tickets"]:
        raise ApiError(
            409,
            f"「{source['name']}」仍有 {in_use['open_tickets']} 张未办结工单，请先改派或办结后再合并",
            code="unit_has_open_tickets",
        )
    await ctx.conn.execute(Q.admin_merge_children, source_id, into_id)
    await ctx.conn.execute(Q.admin_merge_users, source_id, into_id)
    await ctx.conn.execute(Q.admin_merge_rules, source_id, into_id)
    await ctx.conn.execute(Q.admin_merge_places, source_id, into_id)
    await ctx.conn.execute(Q.admin_merge_aliases, source_id, into_id)
    await ctx.conn.execute(Q.admin_unit_set_active, source_id, False, into_id)
    moved = {k: in_use[k] for k in ("children", "users", "rules")}
    after = {**audited(await _locked(ctx, source_id)), "merged_into": target["code"], "moved": moved}
    await _audit(ctx, admin, "unit.merge", source["code"], audited(source), after)
    return moved


async def do_set_unit_active(ctx: Context, admin: Admin, unit_id: int, active: bool) -> None:
    """Deactivate a unit nothing depends on any more, or reactivate one (under an active parent)."""
    access.require_city_admin(admin.user, ctx.catalog)
    row = await _locked(ctx, unit_id)
    if row["active"] == active:
        return
    if row["parent_id"] is None:
        raise ApiError(422, "市级单位不能停用", code="root_unit")
    if active:
        await _parent(ctx, row["parent_id"], row["level"])
    else:
        in_use = await ctx.conn.fetchrow(Q.admin_unit_in_use, unit_id, _routed_kind(row))
        if in_use["kind_rules"]:
            raise ApiError(409, _kind_in_rules(row, in_use["kind_rules"]), code="kind_in_rules")
        labels = {
            "children": "个在用的下级单位",
            "users": "个在用的用户",
            "open_tickets": "张未办结工单",
            "rules": "条责任规则",
        }
        still = [f"{in_use[k]} {label}" for k, label in labels.items() if in_use[k]]
        if still:
            raise ApiError(409, f"「{row['name']}」还有 {'、'.join(still)}，请先处理后再停用", code="unit_in_use")
    await ctx.conn.execute(Q.admin_unit_set_active, unit_id, active, None)
    action = "unit.reactivate" if active else "unit.deactivate"
    await _audit(ctx, admin, action, row["code"], audited(row), audited(await _locked(ctx, unit_id)))
