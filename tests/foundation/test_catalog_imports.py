"""`hotline import categories|rules|places|kb FILE` and `hotline export training`: the catalog an
administrator keeps in spreadsheets, checked row by row, taking effect on the running web process."""

from __future__ import annotations

import csv
from pathlib import Path

import asyncpg
import openpyxl

from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL


def write_csv(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8-sig")
    return str(path)


async def test_an_imported_responsibility_table_routes_the_next_ticket(
    city: dict[str, int], hotline_cli, login: Login, tmp_path: Path
) -> None:
    operator = await login("operator")
    before = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    assert before["holder_unit_id"] == city["DH-S1-C1"]  # the demo table: noise goes to the community

    rules = write_csv(
        tmp_path / "rules.csv",
        "category_code,level,owner_kind,owner_unit_code,co_handlers,priority\nNOISE,区直部门,城管局,,生态环境局,0\n",
    )
    result = hotline_cli("import", "rules", rules)
    assert result.returncode == 0, result.stderr
    assert "已导入 1 行" in result.stdout

    after = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    assert after["holder_unit_id"] == city["DH-CG"]
    assert after["co_unit_ids"] == [city["DH-HB"]]
    assert after["routing"]["auto"] is True
    co_handler = await login("dh-hb-handler")
    assert ok(await co_handler.get(f"/api/tickets/{after['id']}"))["co_unit_ids"] == [city["DH-HB"]]
    unrelated = await login("dh-rs-handler")
    assert (await unrelated.get(f"/api/tickets/{after['id']}")).status_code == 404


async def test_bad_rule_rows_are_numbered_and_the_table_is_unchanged(
    city: dict[str, int], hotline_cli, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    rules_before = await pool.fetch("SELECT * FROM responsibility_rules ORDER BY id")
    bad = write_csv(
        tmp_path / "rules.csv",
        "category_code,level,owner_kind,owner_unit_code,co_handlers,priority\n"
        "NOISE,区直部门,城管局,,,0\n"  # row 2: fine, but the file fails as a whole
        "NOPE,街道,,,,0\n"  # row 3: unknown category
        "NOISE,镇政府,,,,0\n"  # row 4: unknown level
        "WAGES,区直部门,劳动局,,,0\n"  # row 5: no department of that kind
        "WAGES,区直部门,,,,0\n"  # row 6: a department rule without an owner
        "WAGES,街道,,,城管局|公安局,高\n"  # row 7: unknown co-handler kind, priority not a number
        "NOISE,街道,,,,0\n",  # row 8: a second NOISE rule of priority 0
    )
    result = hotline_cli("import", "rules", bad)
    assert result.returncode == 1
    assert "导入失败，未写入任何数据" in result.stderr
    for expected in [
        "第 3 行：分类编码 NOPE 不存在",
        "第 4 行：层级(level) “镇政府” 无效",
        "第 5 行：没有类型(kind)为「劳动局」的区直部门",
        "第 6 行：区直部门层级须填写部门类型(owner_kind)或指定单位(owner_unit_code)",
        "第 7 行：没有类型(kind)为「公安局」的区直部门（协办）",
        "第 7 行：优先级(priority) “高” 应为整数",
        "责任表：分类「NOISE」有多条优先级为 0 的责任规则",
    ]:
        assert expected in result.stderr
    assert "第 2 行" not in result.stderr
    assert await pool.fetch("SELECT * FROM responsibility_rules ORDER BY id") == rules_before


async def test_categories_and_knowledge_base_from_excel_are_searchable(
    city: dict[str, int], hotline_cli, login: Login, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    book.active.append(["code", "name", "level1", "description"])
    book.active.append(["PETS", "宠物管理", "城乡建设", "养犬登记、流浪动物"])
    categories = tmp_path / "categories.xlsx"
    book.save(categories)
    assert hotline_cli("import", "categories", str(categories)).returncode == 0

    kb_text = "title,answer,category_code,keywords\n养犬登记怎么办理,{answer},PETS,养犬、登记、狗证\n"
    kb_file = tmp_path / "kb.csv"
    result = hotline_cli("import", "kb", write_csv(kb_file, kb_text.format(answer="携带户口本到所在派出所办理。")))
    assert result.returncode == 0, result.stderr
    # a corrected sheet imported again replaces the entry with the same title
    result = hotline_cli("import", "kb", write_csv(kb_file, kb_text.format(answer="可在“云川警务”小程序在线办理。")))
    assert result.returncode == 0, result.stderr

    operator = await login("operator")
    names = [c["name"] for c in ok(await operator.get("/api/categories"))["items"]]
    assert "宠物管理" in names
    found = ok(await operator.get("/api/kb", params={"q": "我家的狗要登记去哪里办"}))["items"]
    assert [(e["title"], e["answer"], e["category_code"]) for e in found][:1] == [
        ("养犬登记怎么办理", "可在“云川警务”小程序在线办理。", "PETS")
    ]
    assert await pool.fetchval("SELECT count(*) FROM kb_entries WHERE title = '养犬登记怎么办理'") == 1


async def test_an_imported_estate_resolves_the_callers_address(
    city: dict[str, int], hotline_cli, login: Login, tmp_path: Path
) -> None:
    places = write_csv(tmp_path / "places.csv", "name,kind,unit_code\n翠湖名苑,小区,DH-S1-C2\n")
    result = hotline_cli("import", "places", places)
    assert result.returncode == 0, result.stderr
    operator = await login("operator")
    call = {
        **NOISE_CALL,
        "address": "翠湖名苑5栋",
        "content": "翠湖名苑楼下广场舞音响每晚开到十点半，吵得孩子没法写作业。",
    }
    ticket = ok(await operator.post("/api/tickets", json=call), 201)
    assert ticket["holder_unit_id"] == city["DH-S1-C2"]

    bad = write_csv(tmp_path / "bad.csv", "name,kind,unit_code\n星河湾,公园,DH-S1-C2\n某,小区,NOPE\n")
    result = hotline_cli("import", "places", bad)
    assert result.returncode == 1
    assert "第 2 行：类型(kind) “公园” 无效" in result.stderr
    assert "第 3 行：名称(name)须为 2–50 个字符" in result.stderr
    assert "第 3 行：单位编码 NOPE 不存在" in result.stderr


async def test_export_keeps_the_categories_staff_settled_on(
    city: dict[str, int], hotline_cli, login: Login, tmp_path: Path
) -> None:
    operator = await login("operator")
    dispatched = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    assert dispatched["state"] == "assigned"
    unsure = {**NOISE_CALL, "category_code": None, "address": "", "content": "想问一下这个事情该找谁。"}
    waiting = ok(await operator.post("/api/tickets", json=unsure), 201)
    assert waiting["state"] == "pending_dispatch"

    out = tmp_path / "export" / "training.csv"

    def exported() -> list[dict[str, str]]:
        result = hotline_cli("export", "training", "--out", str(out))
        assert result.returncode == 0, result.stderr
        with out.open(encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    rows = exported()
    assert [row["label"] for row in rows] == ["噪音扰民"]
    assert rows[0]["text"].startswith("柳岸花园 3 栋楼下的烧烤店")
    assert "13812341234" not in out.read_text(encoding="utf-8")

    # the dispatcher settles the category while dispatching; that label is what the export keeps
    dispatcher = await login("dispatcher")
    assign = f"/api/tickets/{waiting['id']}/assign"
    bad = await dispatcher.post(assign, json={"unit_id": city["DH"], "category_code": "NOPE"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_category"
    # a category the classifier did not guess, so that the dispatcher's choice is a correction
    code, label = ("WAGES", "劳资纠纷") if waiting["category_code"] != "WAGES" else ("SOCIAL_INS", "社会保险")
    assigned = ok(await dispatcher.post(assign, json={"unit_id": city["DH"], "category_code": code}))
    assert (assigned["category_code"], assigned["category_source"]) == (code, "dispatcher")
    assert [row["label"] for row in exported()] == ["噪音扰民", label]

    assert hotline_cli("export", "training", "--out", str(out), "--since", "2026-13-01").returncode == 2
