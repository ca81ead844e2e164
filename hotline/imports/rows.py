"""Reading import files (CSV or Excel) into rows, and what every importer shares: row-numbered
Chinese errors, all rows written or none.

Errors name the spreadsheet row (the header is row 1) and say what is wrong, in Chinese,
because the people who fix the file are the hotline centre's administrators.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

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
TRUE_INPUTS = {"1", "true", "yes", "y", "是", "√"}
FALSE_INPUTS = {"", "0", "false", "no", "n", "否"}
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


def require_columns(rows: list[Row], columns: Iterable[str], path: Path) -> None:
    if not rows:
        return
    missing = [c for c in columns if c not in rows[0].values]
    if missing:
        raise ImportFailed([f"缺少列：{', '.join(missing)}（第 1 行是表头）"])
