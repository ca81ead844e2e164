"""`hotline report monthly --unit ID` writes the report of that unit's subtree only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import asyncpg
import pytest
from openpyxl import load_workbook

from tests.support.history import MONTH

pytestmark = pytest.mark.usefixtures("history")
TZ = "Asia/Shanghai"
SUBTREE = """WITH RECURSIVE sub AS (SELECT id FROM units WHERE id = $1
                                   UNION ALL SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id)"""
IN_MONTH = f"to_char(t.created_at AT TIME ZONE '{TZ}', 'YYYY-MM') = '{MONTH}' AND t.state <> 'merged'"


def _sheets(path: Path) -> dict[str, list[tuple]]:
    book = load_workbook(path, read_only=True)
    return {sheet.title: list(sheet.iter_rows(min_row=2, values_only=True)) for sheet in book.worksheets}


async def test_unit_report_counts_only_its_subtree(
    pool: asyncpg.Pool, hotline_cli: Callable[..., CompletedProcess[str]], tmp_path: Path
) -> None:
    def report(*args: str, out: Path) -> CompletedProcess[str]:
        return hotline_cli("report", "monthly", "--month", MONTH, "--out", str(out), *args)

    district = await pool.fetchval("SELECT id FROM units WHERE level = 'district' ORDER BY id LIMIT 1")
    done = report("--unit", str(district), out=tmp_path / "unit")
    assert done.returncode == 0, done.stderr
    assert "已生成" in done.stdout
    sheets = _sheets(tmp_path / "unit" / f"report-{MONTH}.xlsx")

    expected = await pool.fetchval(
        f"{SUBTREE} SELECT count(*) FROM tickets t WHERE {IN_MONTH} AND t.lead_unit_id IN (SELECT id FROM sub)",
        district,
    )
    city = await pool.fetchval(f"SELECT count(*) FROM tickets t WHERE {IN_MONTH}")
    assert 0 < expected < city
    assert dict((r[0], r[1]) for r in sheets["概要"])["受理量"] == expected
    by_category = {r[1]: r[2] for r in sheets["受理量"] if r[0] == "类别"}
    names = await pool.fetch(
        f"""{SUBTREE} SELECT coalesce(c.name, '未分类') AS name, count(*) AS n FROM tickets t
            LEFT JOIN categories c ON c.code = t.category_code
            WHERE {IN_MONTH} AND t.lead_unit_id IN (SELECT id FROM sub) GROUP BY 1""",
        district,
    )
    assert by_category == {r["name"]: r["n"] for r in names}
    subtree = {r["id"] for r in await pool.fetch(f"{SUBTREE} SELECT id FROM sub", district)}
    sla_units = {r[0] for r in sheets["办理时效"]}
    unit_names = {r["name"] for r in await pool.fetch("SELECT name FROM units WHERE id = ANY($1)", list(subtree))}
    assert sla_units and sla_units <= unit_names  # every unit in the SLA table is in the subtree

    missing = report("--unit", "987654", out=tmp_path / "none")
    assert missing.returncode == 1 and "不存在" in missing.stderr
