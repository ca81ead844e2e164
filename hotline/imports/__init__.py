"""`hotline import KIND FILE`: the org tree, users, the catalog and the calendar from CSV or Excel, all rows or none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

from hotline.imports import calendar, catalog, org
from hotline.imports.rows import Row, read_rows, require_columns

Importer = Callable[[asyncpg.Connection, list[Row]], Awaitable[int]]


def importers() -> dict[str, tuple[tuple[str, ...], Importer]]:
    """What `hotline import KIND FILE` accepts: the required columns and the importer of each kind."""
    return {
        "units": (("code", "name", "level", "parent_code"), org.import_units),
        "users": (("username", "display_name", "role", "unit_code", "password"), org.import_users),
        "categories": (("code", "name", "level1"), catalog.import_categories),
        "rules": (("category_code", "level"), catalog.import_rules),
        "places": (("name", "kind", "unit_code"), catalog.import_places),
        "kb": (("title", "answer"), catalog.import_kb),
        "calendar": ((), calendar.import_calendar),  # date,kind,name or 日期,类型,名称: checked by the importer
    }


async def import_file(conn: asyncpg.Connection, kind: str, path: Path) -> int:
    columns, importer = importers()[kind]
    rows = read_rows(path)
    require_columns(rows, columns, path)
    return await importer(conn, rows)
