"""Spreadsheet cells that stay text: the one helper every export writes its cells through.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one) is read by Excel,
WPS and LibreOffice as a formula: a ticket text such as `=HYPERLINK("http://…","点此查看")` would turn into a
link or worse in the report workbook a supervisor opens (CSV/formula injection, OWASP). In an xlsx workbook
such a cell is stored as a string with Excel's quote prefix (shown as typed, never evaluated, not even after
an edit); in CSV, which has no types, it gets a leading apostrophe, the convention spreadsheets honour.
Numbers stay numbers: only text is ever a formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """A CSV field that a spreadsheet shows as the text it is."""
    return f"'{value}" if looks_like_formula(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def keep_as_text(cell: Cell) -> None:
    """An openpyxl cell whose text looks like a formula stored as text (openpyxl made `=…` a formula)."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """`sheet.append(values)`, with every cell that looks like a formula kept as text."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        keep_as_text(cell)
