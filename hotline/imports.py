"""Import the org tree and users from CSV or Excel: every row checked, all rows written or none.
(The catalog, categories to knowledge base, is imported by hotline/catalog_imports.py.)

Errors name the spreadsheet row (the header is row 1) and say what is wrong, in Chinese,
because the people who fix the file are the hotline centre's administrators.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import openpyxl

from hotline.passwords import hash_password
from hotline.queries import Q
from hotline.roles import ROLE_INPUTS

LEVEL_INPUTS = {
    "city": "city",
    "市": "city",
    "district": "district",
    "区": "district",
    "县": "district",
    "区县": "district",
    "department": "department",
    "部门": "department",
    "区直部门": "department",
    "street": "street",
    "街道": "street",
    "镇": "street",
    "乡": "street",
    "街道/镇": "street",
    "community": "community",
    "社区": "community",
    "村": "community",
    "社区/村": "community",
    "grid": "grid",
    "网格": "grid",
}
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
TRUE_INPUTS = {"1", "true", "yes", "y", "是", "√"}
FALSE_INPUTS = {"", "0", "false", "no", "n", "否"}
_ALIAS_SPLIT = re.compile(r"[|、;；,，/]")
MAX_ROWS = 100_000


def level_problem(text: str) -> str:
    return f"层级(level) “{text}” 无效，应为：市、区、区直部门、街道、社区、网格之一"


class ImportFailed(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        self.summary = f"{len(errors)} 处错误"
        super().__init__(self.summary)


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, "").strip()


def read_rows(path: Path) -> list[Row]:
    """Rows of a .csv (UTF-8, with or without BOM) or .xlsx file, keyed by lower-cased header."""
    if not path.exists():
        raise ImportFailed([f"找不到文件 {path}"])
    suffix = path.suffix.lower()
    table: list[list[object]]
    if suffix in (".xlsx", ".xlsm"):
        table = _xlsx_table(path)
    elif suffix == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFailed(["文件不是 UTF-8 编码；请在 Excel 中另存为“CSV UTF-8”或直接导入 .xlsx"]) from None
        table = [list(row) for row in csv.reader(io.StringIO(text))]
    else:
        raise ImportFailed([f"不支持的文件类型 {suffix or '(无扩展名)'}：请使用 .csv 或 .xlsx"])
    if not table:
        raise ImportFailed(["文件是空的"])
    header = [str(h).strip().lower() for h in table[0]]
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(str(c).strip() for c in cells):
            continue
        rows.append(Row(number, {h: str(c) if c is not None else "" for h, c in zip(header, cells, strict=False)}))
    if len(rows) > MAX_ROWS:
        raise ImportFailed([f"一次最多导入 {MAX_ROWS} 行，文件有 {len(rows)} 行"])
    return rows


def _xlsx_table(path: Path) -> list[list[object]]:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFailed([f"无法读取 Excel 文件：{exc}"]) from None
    sheet = book.worksheets[0]
    table = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return table


def _require_columns(rows: list[Row], columns: Iterable[str], path: Path) -> None:
    if not rows:
        return
    missing = [c for c in columns if c not in rows[0].values]
    if missing:
        raise ImportFailed([f"缺少列：{', '.join(missing)}（第 1 行是表头）"])


Importer = Callable[[asyncpg.Connection, list[Row]], Awaitable[int]]


def importers() -> dict[str, tuple[tuple[str, ...], Importer]]:
    """What `hotline import KIND FILE` accepts: the required columns and the importer of each kind."""
    from hotline import catalog_imports as catalog

    return {
        "units": (("code", "name", "level", "parent_code"), import_units),
        "users": (("username", "display_name", "role", "unit_code", "password"), import_users),
        "categories": (("code", "name", "level1"), catalog.import_categories),
        "rules": (("category_code", "level"), catalog.import_rules),
        "places": (("name", "kind", "unit_code"), catalog.import_places),
        "kb": (("title", "answer"), catalog.import_kb),
    }


async def import_file(conn: asyncpg.Connection, kind: str, path: Path) -> int:
    columns, importer = importers()[kind]
    rows = read_rows(path)
    _require_columns(rows, columns, path)
    return await importer(conn, rows)


async def import_units(conn: asyncpg.Connection, rows: list[Row]) -> int:
    errors: list[str] = []
    existing = {r["code"]: r["level"] for r in await conn.fetch("SELECT code, level FROM units")}
    in_file: dict[str, str] = {}
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
        if problems:
            errors.extend(f"第 {row.number} 行：{p}" for p in problems)
            continue
        assert level is not None
        in_file[code] = level
        aliases = [a.strip() for a in _ALIAS_SPLIT.split(row.get("aliases")) if a.strip()]
        parsed.append((row, code, name, level, parent, row.get("kind"), aliases, sees_phone_text in TRUE_INPUTS))

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
    return len(parsed)


async def import_users(conn: asyncpg.Connection, rows: list[Row]) -> int:
    errors: list[str] = []
    unit_ids = {r["code"]: r["id"] for r in await conn.fetch("SELECT code, id FROM units")}
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
            await conn.execute(Q.insert_user, username, display, role, unit_id, hash_password(password))
    return len(parsed)
