"""`hotline import units|users FILE`: row-numbered errors, and all rows or none."""

from pathlib import Path

import asyncpg
import openpyxl
import pytest

pytestmark = pytest.mark.usefixtures("clean")

UNITS_CSV = """code,name,level,parent_code,kind,aliases,sees_phone
C,云川市,市,,,云川,
D1,东湖区,区,C,,东湖,
D1-CG,东湖区城市管理局,区直部门,D1,城管局,,是
S1,青山街道,街道,D1,,青山|青山街,
S1-C1,柳岸社区,社区,S1,,柳岸,
"""


async def unit_rows(pool: asyncpg.Pool) -> list[tuple[str, str, str | None]]:
    rows = await pool.fetch(
        "SELECT u.code, u.level, p.code AS parent FROM units u LEFT JOIN units p ON p.id = u.parent_id ORDER BY u.code"
    )
    return [(r["code"], r["level"], r["parent"]) for r in rows]


async def test_units_from_csv_build_the_tree(hotline_cli, pool: asyncpg.Pool, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(UNITS_CSV, encoding="utf-8-sig")
    result = hotline_cli("import", "units", str(path))
    assert result.returncode == 0, result.stderr
    assert "已导入 5 行" in result.stdout
    assert await unit_rows(pool) == [
        ("C", "city", None),
        ("D1", "district", "C"),
        ("D1-CG", "department", "D1"),
        ("S1", "street", "D1"),
        ("S1-C1", "community", "S1"),
    ]
    street = await pool.fetchrow("SELECT aliases, sees_phone FROM units WHERE code = 'S1'")
    assert street["aliases"] == ["青山", "青山街"] and street["sees_phone"] is False
    assert await pool.fetchval("SELECT sees_phone FROM units WHERE code = 'D1-CG'") is True


async def test_bad_rows_are_numbered_and_nothing_is_written(hotline_cli, pool: asyncpg.Pool, tmp_path: Path) -> None:
    bad = UNITS_CSV + (
        "S1-C2,,社区,S1,,,\n"  # row 7: no name
        "S9,湖滨街道,街道,NOPE,,,\n"  # row 8: unknown parent
        "X1,某某,乡镇府,D1,,,\n"  # row 9: unknown level
        "C2,社区挂错,社区,D1,,,\n"  # row 10: community under a district
        "S1,重复,街道,D1,,,\n"  # row 11: duplicate code
    )
    path = tmp_path / "units.csv"
    path.write_text(bad, encoding="utf-8")
    result = hotline_cli("import", "units", str(path))
    assert result.returncode == 1
    assert "导入失败，未写入任何数据" in result.stderr
    for expected in [
        "第 7 行：名称(name)必填",
        "第 8 行：上级编码 NOPE 不存在",
        "第 9 行：层级(level) “乡镇府” 无效",
        "第 10 行：社区不能挂在区下面",
        "第 11 行：编码 S1 在文件中重复",
    ]:
        assert expected in result.stderr
    assert await unit_rows(pool) == []


async def test_users_from_excel_with_their_errors(hotline_cli, pool: asyncpg.Pool, tmp_path: Path) -> None:
    units = tmp_path / "units.csv"
    units.write_text(UNITS_CSV, encoding="utf-8")
    assert hotline_cli("import", "units", str(units)).returncode == 0

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["username", "display_name", "role", "unit_code", "password"])
    sheet.append(["wang.li", "王丽", "承办人", "S1-C1", "changeme123"])
    sheet.append(["zhao", "赵强", "supervisor", "D1", "changeme123"])
    path = tmp_path / "users.xlsx"
    book.save(path)
    result = hotline_cli("import", "users", str(path))
    assert result.returncode == 0, result.stderr
    rows = await pool.fetch("SELECT username, role FROM users ORDER BY username")
    assert [(r["username"], r["role"]) for r in rows] == [("wang.li", "handler"), ("zhao", "supervisor")]

    sheet.append(["bad name!", "", "局长", "NOPE", "short"])
    book.save(path)
    result = hotline_cli("import", "users", str(path))
    assert result.returncode == 1
    assert "第 4 行：用户名(username)" in result.stderr
    assert "第 4 行：角色(role) “局长” 无效" in result.stderr
    assert "第 4 行：单位编码 NOPE 不存在" in result.stderr
    assert "第 4 行：初始密码(password)至少 8 位" in result.stderr
    assert await pool.fetchval("SELECT count(*) FROM users") == 2


async def test_unreadable_files_get_a_clear_message(hotline_cli, tmp_path: Path) -> None:
    gbk = tmp_path / "units.csv"
    gbk.write_bytes(UNITS_CSV.encode("gbk"))
    result = hotline_cli("import", "units", str(gbk))
    assert result.returncode == 1 and "不是 UTF-8 编码" in result.stderr

    missing_column = tmp_path / "cols.csv"
    missing_column.write_text("code,name\nC,云川市\n", encoding="utf-8")
    result = hotline_cli("import", "units", str(missing_column))
    assert result.returncode == 1 and "缺少列：level, parent_code" in result.stderr

    result = hotline_cli("import", "units", str(tmp_path / "units.txt"))
    assert result.returncode == 1 and "找不到文件" in result.stderr
