"""A report read beyond the hotline centre: a district's monthly report (JSON, HTML, xlsx, the CLI's --unit)
names none of another district's tickets and no raw phone or ID number; every export writes text that looks
like a formula as text (report workbook, training export).

Roles: the city's supervisor reads the whole city; 东湖区's supervisor reads 东湖区 only.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from hotline.exports.cells import csv_cell
from tests.support.api import Login, ok
from tests.support.calls import cluster_calls

pytestmark = pytest.mark.usefixtures("city")

MOBILE, ID_NUMBER = "13912345678", "430102199003071234"
RAW_NUMBERS = re.compile(r"1[3-9]\d{9}|\d{17}[\dXx]")
FORMULA = '=HYPERLINK("http://example.invalid/x","点此查看")柳岸花园3栋楼下烧烤店凌晨还在营业，噪音很大。'


def raw_numbers(text: str) -> list[str]:
    return RAW_NUMBERS.findall(text)


def this_month() -> str:
    return f"{datetime.now(ZoneInfo('Asia/Shanghai')):%Y-%m}"


async def _seed(login: Login) -> dict[str, list[str]]:
    """The three clusters of CLUSTER_CALLS with numbers in their texts, the last 东湖区 noise call (a repeat
    complaint, so on the supervised list) replaced by a formula; the ticket numbers by district."""
    operator = await login("operator")
    numbers: dict[str, list[str]] = {"东湖区": [], "西岭区": [], "南江区": []}
    for i, call in enumerate(cluster_calls("1381234")):
        content = FORMULA if i == 4 else f"{call['content']}联系电话{MOBILE}，身份证{ID_NUMBER}"
        ticket = ok(await operator.post("/api/tickets", json={**call, "content": content}), 201)
        numbers[call["address"][:3]].append(ticket["number"])
    return numbers


def _cells(path: Path) -> list[Any]:
    book = load_workbook(path)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


async def test_a_district_report_names_no_other_districts_ticket_and_no_raw_number(
    login: Login, hotline_cli: Callable[..., CompletedProcess[str]], tmp_path: Path, city: dict[str, int]
) -> None:
    """东湖区's supervisor (API) and `hotline report monthly --unit` (HTML, xlsx): the text cluster that spans
    东湖区 and 西岭区 keeps only 东湖区's tickets, masked; hot-topic examples and the supervised lists mask numbers;
    the city's supervisor sees every district's tickets, masked too."""
    numbers = await _seed(login)
    month = this_month()
    district = ok(await (await login("dh-supervisor")).get("/api/reports/monthly", params={"month": month}))
    text = json.dumps(district, ensure_ascii=False)
    assert [n for n in numbers["西岭区"] + numbers["南江区"] if n in text] == []
    assert raw_numbers(text) == []
    [cluster] = [w for w in district["early_warnings"] if w["cluster_kind"] == "text"]
    assert sorted(t["number"] for t in cluster["tickets"]) == sorted(numbers["东湖区"][-3:])
    assert all("139****5678" in t["content"] for t in cluster["tickets"])
    assert "139****5678" in json.dumps(district["hot_topics"], ensure_ascii=False)
    assert district["supervised"]["repeat"]["items"]

    city_report = ok(await (await login("supervisor")).get("/api/reports/monthly", params={"month": month}))
    city_text = json.dumps(city_report, ensure_ascii=False)
    assert all(n in city_text for n in numbers["西岭区"]) and raw_numbers(city_text) == []

    done = hotline_cli("report", "monthly", "--month", month, "--unit", str(city["DH"]), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    html = (tmp_path / f"report-{month}.html").read_text(encoding="utf-8")
    cells = " ".join(str(c.value) for c in _cells(tmp_path / f"report-{month}.xlsx") if c.value is not None)
    for written in (html, cells):
        assert [n for n in numbers["西岭区"] + numbers["南江区"] if n in written] == []
        assert raw_numbers(written) == []
    assert numbers["东湖区"][-1] in html


async def test_report_workbook_and_training_export_write_formula_like_text_as_text(
    login: Login, hotline_cli: Callable[..., CompletedProcess[str]], tmp_path: Path, city: dict[str, int]
) -> None:
    """City supervisor's workbook and an administrator's training export: a ticket text starting with = (or + - @)
    is a string cell (Excel's quote prefix), never a formula; in CSV it starts with an apostrophe."""
    await _seed(login)
    operator = await login("operator")
    for start in ("+", "-", "@"):
        call = {"type": "complaint", "content": f"{start}SUM(1,2) 小区路灯坏了", "category_code": "MUNICIPAL"}
        ok(await operator.post("/api/tickets", json={**call, "address": "东湖区青山街道柳岸花园"}), 201)
    month = this_month()
    done = hotline_cli("report", "monthly", "--month", month, "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    cells = _cells(tmp_path / f"report-{month}.xlsx")
    formula_like = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert formula_like, "the formula-like summary is in the workbook"
    assert [(c.data_type, c.quotePrefix) for c in formula_like] == [("s", True)] * len(formula_like)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []

    out = tmp_path / "training.csv"
    exported = hotline_cli("export", "training", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    with out.open(encoding="utf-8", newline="") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    assert [t for t in texts if t.startswith("'=HYPERLINK(")]
    assert {t[:2] for t in texts if t.startswith("'")} == {"'=", "'+", "'-", "'@"}
    assert [t for t in texts if t.startswith(("=", "+", "-", "@"))] == []


def test_csv_cells_starting_with_a_tab_or_carriage_return_are_text_too() -> None:
    """Any export: the helper every CSV goes through (hotline/exports/cells.py)."""
    assert [csv_cell(v) for v in ("\t=1+1", "\r=1", "=1", "正常文本", 3, -3)] == [
        "'\t=1+1",
        "'\r=1",
        "'=1",
        "正常文本",
        3,
        -3,
    ]
