"""The org tree, the categories and the responsibility table as the very CSV or Excel files
`hotline import units|categories|rules` reads: exported, edited elsewhere, imported back, exported again,
the same bytes (tests/admin/test_org_catalog.py). Cells go through `cells.py` like every export."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import asyncpg
import openpyxl

from hotline.exports.cells import append_row, csv_row
from hotline.imports.org import LEVEL_LABELS
from hotline.queries import Q

COLUMNS = {
    "units": ["code", "name", "level", "parent_code", "kind", "aliases", "sees_phone", "active"],
    "categories": ["code", "name", "level1", "description", "active"],
    "rules": ["category_code", "level", "owner_kind", "owner_unit_code", "co_handlers", "priority"],
}
TITLES = {"units": "组织机构", "categories": "诉求分类", "rules": "责任分解表"}


def _yes(value: bool) -> str:
    return "是" if value else "否"


async def table(conn: asyncpg.Connection, kind: str) -> list[list[Any]]:
    """The rows of one kind in the import's columns (the header not included)."""
    if kind == "units":
        return [
            [
                r["code"],
                r["name"],
                LEVEL_LABELS[r["level"]],
                r["parent_code"] or "",
                r["kind"],
                "|".join(r["aliases"]),
                _yes(r["sees_phone"]),
                _yes(r["active"]),
            ]
            for r in await conn.fetch(Q.export_units)
        ]
    if kind == "categories":
        return [
            [r["code"], r["name"], r["level1"], r["description"], _yes(r["active"])]
            for r in await conn.fetch(Q.export_categories)
        ]
    if kind == "rules":
        return [
            [
                r["category_code"],
                LEVEL_LABELS[r["level"]],
                r["owner_kind"] or "",
                r["owner_unit_code"] or "",
                "、".join(r["co_handler_kinds"]),
                r["priority"],
            ]
            for r in await conn.fetch(Q.export_rules)
        ]
    raise ValueError(kind)


def as_csv(kind: str, rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM (Excel opens it as Chinese text; the import skips the BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS[kind])
    writer.writerows(csv_row(row) for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(kind: str, rows: Sequence[Sequence[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = TITLES[kind]
    sheet.append(COLUMNS[kind])
    for row in rows:
        append_row(sheet, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
