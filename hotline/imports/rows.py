"""Reading import files (CSV or Excel) into rows, and what every importer shares: row-numbered
Chinese errors, all rows written or none.

Errors name the spreadsheet row (the header is row 1) and say what is wrong, in Chinese,
because the people who fix the file are the hotline centre's administrators.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from hotline.exports.cells import looks_like_formula

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
    """The file is refused: `errors` are the messages shown (perhaps the first of `count`)."""

    def __init__(self, errors: list[str], count: int | None = None):
        self.errors = errors
        self.count = len(errors) if count is None else count
        shown = f"（只列出前 {len(errors)} 处）" if self.count > len(errors) else ""
        self.summary = f"{self.count} 处错误{shown}"
        super().__init__(self.summary)


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, "").strip()


def read_rows(path: Path) -> list[Row]:
    """Rows of a .csv (UTF-8, with or without BOM) or .xlsx file, keyed by lower-cased header."""
    rows = []
    for row in stream_rows(path):
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise ImportFailed([f"一次最多导入 {MAX_ROWS} 行，文件超过了这个数目"])
    return rows


def read_header(path: Path) -> list[str]:
    """The first row, lower-cased: the column names."""
    cells = stream_cells(path)
    try:
        return [str(h).strip().lower() for h in next(cells, [])]
    finally:
        cells.close()  # type: ignore[attr-defined]


def stream_rows(path: Path) -> Iterator[Row]:
    """The rows of a .csv or .xlsx file one at a time, keyed by lower-cased header, blank rows skipped;
    the file is never held in memory whole (openpyxl in read-only mode, csv line by line)."""
    cells = stream_cells(path)
    header = [str(h).strip().lower() for h in next(cells, [])]
    if not header:
        raise ImportFailed(["文件是空的"])
    for number, row in enumerate(cells, start=2):
        if not any(str(c).strip() for c in row):
            continue
        yield Row(number, {h: cell_text(c) for h, c in zip(header, row, strict=False)})


def cell_text(cell: object) -> str:
    """A cell as text; Excel keeps whole numbers (a phone number, a count) as floats: 13912345678, not .0."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    text = str(cell)
    if text.startswith("'") and looks_like_formula(text[1:]):  # our exports' mark of formula-like text (cells.py)
        return text[1:]
    return text


def xlsx_to_csv(source: Path, target: Path) -> Path:
    """The first sheet as a UTF-8 CSV, row for row (blank rows too, so row numbers stay the same): a large
    workbook is read once instead of once per pass."""
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        for row in stream_cells(source):
            writer.writerow([cell_text(c) for c in row])
    return target


def stream_cells(path: Path) -> Iterator[list[object]]:
    """The file's rows as lists of cells, the header included."""
    if not path.exists():
        raise ImportFailed([f"找不到文件 {path}"])
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_cells(path)
    if suffix == ".csv":
        return _csv_cells(path)
    raise ImportFailed([f"不支持的文件类型 {suffix or '(无扩展名)'}：请使用 .csv 或 .xlsx"])


def _csv_cells(path: Path) -> Iterator[list[object]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        try:
            yield from reader
        except UnicodeDecodeError:
            raise ImportFailed(["文件不是 UTF-8 编码；请在 Excel 中另存为“CSV UTF-8”或直接导入 .xlsx"]) from None
        except csv.Error as exc:
            raise ImportFailed([f"第 {reader.line_num} 行：CSV 格式错误（{exc}）"]) from None


def _xlsx_cells(path: Path) -> Iterator[list[object]]:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFailed([f"无法读取 Excel 文件：{exc}"]) from None
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield ["" if v is None else v for v in row]
    finally:
        book.close()


def require_columns(rows: list[Row], columns: Iterable[str], path: Path) -> None:
    if not rows:
        return
    missing = [c for c in columns if c not in rows[0].values]
    if missing:
        raise ImportFailed([f"缺少列：{', '.join(missing)}（第 1 行是表头）"])
