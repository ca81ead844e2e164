"""Import the org tree (units) and users: every row checked, all rows written or none."""

from __future__ import annotations

import re

import asyncpg

from hotline.auth import revoke_user_tokens
from hotline.imports.rows import FALSE_INPUTS, LEVEL_INPUTS, TRUE_INPUTS, ImportFailed, Row, level_problem
from hotline.passwords import hash_password, verify_password
from hotline.queries import Q
from hotline.roles import ROLE_INPUTS

LEVEL_ORDER = ["city", "district", "department", "street", "community", "grid"]
ALLOWED_PARENT = {
    "district": {"city"},
    "department": {"district"},
    "street": {"district"},
    "community": {"street"},
    "grid": {"community"},
}
LEVEL_LABELS = {
    "city": "市",
    "district": "区",
    "department": "区直部门",
    "street": "街道",
    "community": "社区",
    "grid": "网格",
}
_ALIAS_SPLIT = re.compile(r"[|、;；,，/]")


async def import_units(conn: asyncpg.Connection, rows: list[Row]) -> int:
    errors: list[str] = []
    existing = {r["code"]: r["level"] for r in await conn.fetch(Q.import_unit_levels)}
    in_file: dict[str, str] = {}
    active: dict[str, bool] = {}
    parsed = []
    for row in rows:
        code, name, level_text, parent = row.get("code"), row.get("name"), row.get("level"), row.get("parent_code")
        level = LEVEL_INPUTS.get(level_text.lower())
        problems = []
        if not code or len(code) > 64:
            problems.append("编码(code)必填且不超过 64 个字符")
        elif code in in_file:
            problems.append(f"编码 {code} 在文件中重复")
        if not name or len(name) > 100:
            problems.append("名称(name)必填且不超过 100 个字符")
        if level is None:
            problems.append(level_problem(level_text))
        sees_phone_text = row.get("sees_phone").lower()
        if sees_phone_text not in TRUE_INPUTS | FALSE_INPUTS:
            problems.append(f"sees_phone “{row.get('sees_phone')}” 应为 是 或 否")
        active_text = row.get("active").lower()  # optional: the admin page's export says which are deactivated
        if active_text not in TRUE_INPUTS | FALSE_INPUTS:
            problems.append(f"active “{row.get('active')}” 应为 是 或 否")
        if problems:
            errors.extend(f"第 {row.number} 行：{p}" for p in problems)
            continue
        assert level is not None
        in_file[code] = level
        aliases = [a.strip() for a in _ALIAS_SPLIT.split(row.get("aliases")) if a.strip()]
        parsed.append((row, code, name, level, parent, row.get("kind"), aliases, sees_phone_text in TRUE_INPUTS))
        active[code] = active_text in TRUE_INPUTS or active_text == ""

    known = {**existing, **in_file}
    for row, code, _name, level, parent, *_ in parsed:
        if level == "city":
            if parent:
                errors.append(f"第 {row.number} 行：市级单位不能有上级(parent_code)")
            continue
        if not parent:
            errors.append(f"第 {row.number} 行：{LEVEL_LABELS[level]}必须填写上级编码(parent_code)")
        elif parent not in known:
            errors.append(f"第 {row.number} 行：上级编码 {parent} 不存在（文件和系统中都没有）")
        elif known[parent] not in ALLOWED_PARENT[level]:
            errors.append(
                f"第 {row.number} 行：{LEVEL_LABELS[level]}不能挂在{LEVEL_LABELS[known[parent]]}下面"
                f"（应挂在{'或'.join(LEVEL_LABELS[p] for p in sorted(ALLOWED_PARENT[level]))}下）"
            )
        elif parent == code:
            errors.append(f"第 {row.number} 行：单位不能是自己的上级")
    if errors:
        raise ImportFailed(errors)

    parsed.sort(key=lambda p: LEVEL_ORDER.index(p[3]))
    async with conn.transaction():
        ids: dict[str, int] = {r["code"]: r["id"] for r in await conn.fetch(Q.unit_ids_by_code, list(known))}
        for row, code, name, level, parent, kind, aliases, sees_phone in parsed:
            try:
                ids[code] = await conn.fetchval(
                    Q.insert_unit, code, name, level, ids.get(parent) if parent else None, kind, aliases, sees_phone
                )
            except asyncpg.PostgresError as exc:
                raise ImportFailed([f"第 {row.number} 行：数据库拒绝写入：{exc}"]) from exc
        for code, is_active in active.items():
            if "active" in rows[0].values:  # a file without the column leaves every unit as it is
                await conn.execute(Q.admin_unit_set_active_by_code, code, is_active)
    return len(parsed)


async def import_users(conn: asyncpg.Connection, rows: list[Row]) -> int:
    errors: list[str] = []
    unit_ids = {r["code"]: r["id"] for r in await conn.fetch(Q.import_unit_ids)}
    seen: set[str] = set()
    parsed = []
    for row in rows:
        username, display, role_text = row.get("username"), row.get("display_name"), row.get("role")
        unit_code, password = row.get("unit_code"), row.get("password")
        role = ROLE_INPUTS.get(role_text.lower())
        problems = []
        if not re.fullmatch(r"[A-Za-z0-9_.-]{2,64}", username):
            problems.append("用户名(username)须为 2–64 位字母、数字、点、下划线或连字符")
        elif username.lower() in seen:
            problems.append(f"用户名 {username} 在文件中重复")
        if not display or len(display) > 64:
            problems.append("姓名(display_name)必填且不超过 64 个字符")
        if role is None:
            problems.append(f"角色(role) “{role_text}” 无效，应为：话务员、派单员、承办人、督办人、管理员之一")
        if unit_code not in unit_ids:
            problems.append(f"单位编码 {unit_code or '(空)'} 不存在；请先导入单位")
        if len(password) < 8:
            problems.append("初始密码(password)至少 8 位")
        if problems:
            errors.extend(f"第 {row.number} 行：{p}" for p in problems)
            continue
        seen.add(username.lower())
        parsed.append((username, display, role, unit_ids[unit_code], password))
    if errors:
        raise ImportFailed(errors)
    async with conn.transaction():
        for username, display, role, unit_id, password in parsed:
            old_hash = await conn.fetchval(Q.user_password_hash, username)
            user_id = await conn.fetchval(Q.insert_user, username, display, role, unit_id, hash_password(password))
            if old_hash is not None and not verify_password(old_hash, password):
                await revoke_user_tokens(conn, user_id)  # a new password ends the sessions of the old one
    return len(parsed)
