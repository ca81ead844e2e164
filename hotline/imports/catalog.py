"""Import the catalog from CSV or Excel: categories, the responsibility table, roads and estates,
and the knowledge base. Same contract as the org import: every row checked, errors name the
spreadsheet row in Chinese, all rows written or none.

Web and worker processes reload the catalog by themselves (the catalog_version triggers), so an
imported responsibility table routes the next ticket without a restart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import asyncpg

from classifier.segment import default_segmenter
from dispatch.org import Level
from dispatch.routing import ResponsibilityRule, check_rules
from hotline import kb
from hotline.catalog_cache import Catalog, load_catalog
from hotline.imports.rows import FALSE_INPUTS, LEVEL_INPUTS, TRUE_INPUTS, ImportFailed, Row, level_problem
from hotline.queries import Q

_LIST_SPLIT = re.compile(r"[|、;；,，/\s]+")
_CATEGORY_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,31}")
PLACE_KINDS = {"road": "road", "道路": "road", "路": "road", "estate": "estate", "小区": "estate", "楼盘": "estate"}


def _split_list(text: str) -> list[str]:
    return [part for part in _LIST_SPLIT.split(text) if part]


def _row_errors(row: Row, problems: list[str]) -> list[str]:
    return [f"第 {row.number} 行：{p}" for p in problems]


async def write_all(conn: asyncpg.Connection, writes: Sequence[tuple[Row, str, tuple[object, ...]]]) -> None:
    """Run (row, sql, args) writes in one transaction; a refusal names its row and undoes the rest."""
    async with conn.transaction():
        for row, sql, args in writes:
            try:
                await conn.execute(sql, *args)
            except asyncpg.PostgresError as exc:
                raise ImportFailed([f"第 {row.number} 行：数据库拒绝写入：{exc}"]) from exc


async def import_categories(conn: asyncpg.Connection, rows: list[Row]) -> int:
    """Columns code, name, level1, description, active; an existing code is updated in place."""
    writes = check_categories(rows)
    await write_all(conn, writes)
    return len(writes)


def check_categories(rows: list[Row]) -> list[tuple[Row, str, tuple[object, ...]]]:
    """Every row checked (the import's and the admin page's rules alike); the writes, or ImportFailed."""
    errors: list[str] = []
    codes: set[str] = set()
    names: set[str] = set()
    writes: list[tuple[Row, str, tuple[object, ...]]] = []
    for row in rows:
        code, name, level1, active = row.get("code"), row.get("name"), row.get("level1"), row.get("active").lower()
        problems = []
        if not _CATEGORY_CODE.fullmatch(code):
            problems.append(f"编码(code) “{code}” 须以大写字母开头，由 2–32 位大写字母、数字或下划线组成")
        elif code in codes:
            problems.append(f"编码 {code} 在文件中重复")
        if not name or len(name) > 50:
            problems.append("名称(name)必填且不超过 50 个字符")
        elif name in names:
            problems.append(f"名称 {name} 在文件中重复")
        if not level1 or len(level1) > 50:
            problems.append("一级分类(level1)必填且不超过 50 个字符")
        if active not in TRUE_INPUTS | FALSE_INPUTS:
            problems.append(f"active “{row.get('active')}” 应为 是 或 否")
        if problems:
            errors.extend(_row_errors(row, problems))
            continue
        codes.add(code)
        names.add(name)
        is_active = active in TRUE_INPUTS or active == ""
        writes.append((row, Q.import_category, (code, name, level1, row.get("description"), is_active)))
    if errors:
        raise ImportFailed(errors)
    return writes


async def import_rules(conn: asyncpg.Connection, rows: list[Row]) -> int:
    """The responsibility table (民生问题办理责任分解表). Columns category_code, level, owner_kind,
    owner_unit_code, co_handlers, priority. The rules of every category named in the file replace
    that category's current rules; other categories keep theirs."""
    parsed = check_rules_rows(await load_catalog(conn), rows)
    await write_rules(conn, parsed)
    return len(parsed)


def check_rules_rows(catalog: Catalog, rows: list[Row]) -> list[tuple[Row, ResponsibilityRule]]:
    """Every row, then the rules together (`check_rules`): the import's checks, which the admin page's
    editor runs too before anything is saved. The parsed rules, or ImportFailed."""
    if catalog.org is None:
        raise ImportFailed(["组织机构尚未导入，请先导入单位（hotline import units）"])
    categories, units = catalog.categories, catalog.codes
    kinds = {u.kind for u in catalog.org if u.level is Level.DEPARTMENT}
    errors: list[str] = []
    parsed: list[tuple[Row, ResponsibilityRule]] = []
    for row in rows:
        problems = []
        category, level_text, owner_kind = row.get("category_code"), row.get("level"), row.get("owner_kind")
        owner_code, priority_text = row.get("owner_unit_code"), row.get("priority") or "0"
        co_kinds = tuple(_split_list(row.get("co_handlers")))
        level = LEVEL_INPUTS.get(level_text.lower())
        if category not in categories:
            problems.append(f"分类编码 {category or '(空)'} 不存在；请先导入分类")
        if level is None:
            problems.append(level_problem(level_text))
        if owner_kind and owner_kind not in kinds:
            problems.append(f"没有类型(kind)为「{owner_kind}」的区直部门")
        if owner_code and owner_code not in units:
            problems.append(f"单位编码 {owner_code} 不存在")
        elif owner_code and units[owner_code] in catalog.inactive:
            problems.append(f"单位 {owner_code} 已停用，不能再承办")
        problems.extend(f"没有类型(kind)为「{k}」的区直部门（协办）" for k in co_kinds if k not in kinds)
        if not re.fullmatch(r"-?\d{1,6}", priority_text):
            problems.append(f"优先级(priority) “{priority_text}” 应为整数")
        if problems:
            errors.extend(_row_errors(row, problems))
            continue
        assert level is not None
        try:
            rule = ResponsibilityRule(
                category_code=category,
                level=Level(level),
                owner_kind=owner_kind or None,
                owner_unit_id=units[owner_code] if owner_code else None,
                co_handler_kinds=co_kinds,
                priority=int(priority_text),
            )
        except ValueError:
            errors.extend(_row_errors(row, [_rule_problem(level, owner_kind, owner_code)]))
            continue
        parsed.append((row, rule))
    # what no single row shows: two rules of a category with one priority, a district without the kind
    errors.extend(f"责任表：{p}" for p in check_rules([r for _, r in parsed], catalog.org))
    if errors:
        raise ImportFailed(errors)
    return parsed


async def write_rules(conn: asyncpg.Connection, parsed: list[tuple[Row, ResponsibilityRule]]) -> None:
    """The rules of every category named replace that category's rules, in one transaction."""
    writes: list[tuple[Row, str, tuple[object, ...]]] = [
        (
            row,
            Q.insert_rule,
            (r.category_code, r.level.value, r.owner_kind, r.owner_unit_id, list(r.co_handler_kinds), r.priority),
        )
        for row, r in parsed
    ]
    async with conn.transaction():
        await conn.execute(Q.delete_rules_of_categories, sorted({r.category_code for _, r in parsed}))
        await write_all(conn, writes)


def _rule_problem(level: str, owner_kind: str, owner_code: str) -> str:
    if owner_kind and owner_code:
        return "部门类型(owner_kind)和指定单位(owner_unit_code)只能填一个"
    if owner_kind:
        return "填写了部门类型(owner_kind)时层级必须是区直部门"
    if level == "department":
        return "区直部门层级须填写部门类型(owner_kind)或指定单位(owner_unit_code)"
    return "市级规则须填写指定单位(owner_unit_code)"


async def import_places(conn: asyncpg.Connection, rows: list[Row]) -> int:
    """Roads and estates callers name instead of their community. Columns name, kind, unit_code."""
    units = {r["code"]: r["id"] for r in await conn.fetch(Q.import_unit_ids)}
    errors: list[str] = []
    writes = []
    for row in rows:
        name, kind_text, unit_code = row.get("name"), row.get("kind"), row.get("unit_code")
        kind = PLACE_KINDS.get(kind_text.lower())
        problems = []
        if not 2 <= len(name) <= 50:
            problems.append("名称(name)须为 2–50 个字符")
        if kind is None:
            problems.append(f"类型(kind) “{kind_text}” 无效，应为 道路 或 小区")
        if unit_code not in units:
            problems.append(f"单位编码 {unit_code or '(空)'} 不存在")
        if problems:
            errors.extend(_row_errors(row, problems))
            continue
        writes.append((row, Q.insert_place, (name, kind, units[unit_code])))
    if errors:
        raise ImportFailed(errors)
    await write_all(conn, writes)
    return len(writes)


async def import_kb(conn: asyncpg.Connection, rows: list[Row]) -> int:
    """Knowledge-base answers. Columns title, answer, category_code, keywords; an entry whose title
    already exists is replaced, so a corrected spreadsheet can be imported again."""
    categories = {r["code"] for r in await conn.fetch(Q.import_category_codes)}
    cut = default_segmenter().cut
    errors: list[str] = []
    titles: set[str] = set()
    writes = []
    for row in rows:
        title, answer, category = row.get("title"), row.get("answer"), row.get("category_code")
        keywords = _split_list(row.get("keywords"))
        problems = []
        if not 1 <= len(title) <= 200:
            problems.append("标题(title)必填且不超过 200 个字符")
        elif title in titles:
            problems.append(f"标题 “{title}” 在文件中重复")
        if not 1 <= len(answer) <= 10000:
            problems.append("答复(answer)必填且不超过 10000 个字符")
        if category and category not in categories:
            problems.append(f"分类编码 {category} 不存在")
        if problems:
            errors.extend(_row_errors(row, problems))
            continue
        titles.add(title)
        tokens = kb.entry_tokens(cut, title, keywords, answer)
        writes.append((row, Q.import_kb_entry, (title, answer, category or None, keywords, tokens)))
    if errors:
        raise ImportFailed(errors)
    await write_all(conn, writes)
    return len(writes)
