"""`hotline import calendar FILE`: next year's holidays and make-up days from the State Council's list
(CSV or Excel), every row checked, the file's years replaced as a whole, the clocks recomputed after."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import asyncpg
import openpyxl

from hotline.settings import Settings
from tests.support.jobs import drain

CALENDAR_2027 = """日期,类型,名称
2027-01-01,节假日,元旦
2027-02-06..2027-02-12,节假日,春节
2027-02-14,调休上班,春节调休
2027-10-01至2027-10-07,休,国庆节
2027-10-09,班,国庆节调休
"""


async def days_of(pool: asyncpg.Pool, year: int) -> list[tuple[date, str, str]]:
    rows = await pool.fetch(
        "SELECT day, kind, name FROM calendar_days WHERE extract(year FROM day) = $1 ORDER BY day", year
    )
    return [(r["day"], r["kind"], r["name"]) for r in rows]


async def test_a_years_calendar_is_imported_replaced_and_the_clocks_recomputed(
    city: dict[str, int], hotline_cli, pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "2027.csv"
    path.write_text(CALENDAR_2027, encoding="utf-8-sig")
    result = hotline_cli("import", "calendar", str(path))
    assert result.returncode == 0, result.stderr
    assert "已导入 5 行" in result.stdout and "重新计算" in result.stdout
    imported = await days_of(pool, 2027)
    assert len(imported) == 1 + 7 + 1 + 7 + 1
    assert (date(2027, 2, 14), "workday", "春节调休") in imported
    assert (date(2027, 10, 7), "holiday", "国庆节") in imported
    assert await days_of(pool, 2026)  # config.toml's year, seeded by the command, is left alone
    await drain(settings)  # the worker takes the recomputation the command queued
    assert await pool.fetchval("SELECT count(*) FROM sla_recomputes WHERE finished_at IS NULL") == 0

    # the same file again changes nothing; a corrected one replaces the year as a whole
    assert hotline_cli("import", "calendar", str(path)).returncode == 0
    assert await days_of(pool, 2027) == imported
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["date", "kind", "name"])
    sheet.append([date(2027, 1, 1), "holiday", "元旦"])  # a date cell, read back as a datetime
    sheet.append(["2027/2/7", "workday", "春节调休"])
    book.save(tmp_path / "2027.xlsx")
    assert hotline_cli("import", "calendar", str(tmp_path / "2027.xlsx")).returncode == 0
    assert await days_of(pool, 2027) == [
        (date(2027, 1, 1), "holiday", "元旦"),
        (date(2027, 2, 7), "workday", "春节调休"),
    ]


async def test_bad_rows_are_named_and_nothing_is_written(city: dict[str, int], hotline_cli, pool, tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "date,kind,name\n"
        "2027-01-01,holiday,元旦\n"  # row 2: fine, but the file fails as a whole
        "2027-01-01,workday,\n"  # row 3: the same date as a make-up day
        "2027-01-05,workday,\n"  # row 4: a Tuesday works anyway
        "2027-02-06..2027-02-01,holiday,\n"  # row 5: ends before it starts
        "明年元旦,holiday,\n"  # row 6: not a date
        "2027-03-01,请假,\n"  # row 7: not a kind
        "2027-01-01,holiday,元旦\n",  # row 8: listed twice
        encoding="utf-8",
    )
    result = hotline_cli("import", "calendar", str(path))
    assert result.returncode == 1
    assert "导入失败，未写入任何数据：6 处错误" in result.stderr
    for line in (
        "第 3 行：2027-01-01 已是节假日，不能同时设为调休上班日（一天只能是其中一种）（见第 2 行）",
        "第 4 行：2027-01-05（星期二）本来就是工作日，不必设为调休上班日",
        "第 5 行：日期段 “2027-02-06..2027-02-01” 结束早于开始",
        "第 6 行：日期(date) “明年元旦” 无法识别",
        "第 7 行：类型(kind) “请假” 无效，应为 节假日（holiday）或 调休上班（workday）",
        "第 8 行：2027-01-01 与第 2 行重复",
    ):
        assert line in result.stderr, result.stderr
    assert await days_of(pool, 2027) == []
    missing = tmp_path / "missing.csv"
    missing.write_text("日期,名称\n2027-01-01,元旦\n", encoding="utf-8")
    assert "缺少列：kind（类型）" in hotline_cli("import", "calendar", str(missing)).stderr
