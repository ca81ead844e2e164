"""The org tree, categories and the responsibility table changed over HTTP by the hotline centre's
administrator: a rename keeps the name a ticket's story had, a merge moves what hangs off a unit and is refused
while the unit holds open tickets, deactivation says what still depends on a unit; the responsibility table is
checked as the import checks it and saves nothing while a problem remains; and each of the three exports, CSV
or Excel, imported into an empty database exports again to the same bytes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import asyncpg

from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL
from tests.support.services import truncate_all

KINDS = ("units", "categories", "rules")


async def test_renames_merges_and_deactivation_keep_history_and_refuse_what_would_break(
    city: dict[str, int], login: Login, pool: asyncpg.Pool
) -> None:
    admin = await login("admin")
    ticket = ok(await (await login("operator")).post("/api/tickets", json=NOISE_CALL), 201)
    street, community = city["DH-S1"], city["DH-S1-C1"]
    renamed = ok(await admin.patch(f"/api/admin/units/{street}", json={"name": "青山新区街道"}))["unit"]
    assert renamed["former_names"] == ["青山街道"]
    hops = ok(await admin.get(f"/api/tickets/{ticket['id']}/events"))["events"]
    assert "青山街道" in {e["to_unit_name"] for e in hops}  # the name the street had when the ticket went there
    assert "青山新区街道" not in {e["to_unit_name"] for e in hops}

    wrong = await admin.post(
        "/api/admin/units", json={"code": "DH-X", "name": "错层社区", "level": "community", "parent_id": city["DH"]}
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["message"] == "社区不能挂在区下面（应挂在街道下）"
    no_kind = await admin.post(
        "/api/admin/units", json={"code": "DH-Y", "name": "某局", "level": "department", "parent_id": city["DH"]}
    )
    assert no_kind.status_code == 422
    new_street = ok(
        await admin.post(
            "/api/admin/units", json={"code": "DH-S9", "name": "新城街道", "level": "street", "parent_id": city["DH"]}
        ),
        201,
    )["unit"]
    held = await admin.post(f"/api/admin/units/{community}/merge", json={"into_id": city["DH-S1-C2"]})
    assert held.status_code == 409 and "仍有 1 张未办结工单" in held.json()["error"]["message"]
    routed = await admin.post(f"/api/admin/units/{city['DH-CG']}/deactivate")  # rules find it by its kind
    assert routed.status_code == 409 and routed.json()["error"]["code"] == "kind_in_rules"
    in_use = await admin.post(f"/api/admin/units/{street}/deactivate")
    assert in_use.status_code == 409 and "个在用的下级单位" in in_use.json()["error"]["message"]

    merged = ok(await admin.post(f"/api/admin/units/{street}/merge", json={"into_id": new_street["id"]}))
    assert merged["unit"]["active"] is False and merged["unit"]["merged_into"] == new_street["id"]
    assert merged["moved"]["children"] == 4 and merged["moved"]["users"] == 3
    units = {u["id"]: u for u in ok(await admin.get("/api/admin/units"))["items"]}
    assert units[community]["parent_id"] == new_street["id"]
    assert {"青山新区街道", "青山街道"} <= set(units[new_street["id"]]["aliases"])
    handler = await login("dh-s1-handler")
    assert ok(await handler.get("/api/me"))["unit_id"] == new_street["id"]
    still = ok(await (await login("dh-s1-c1-handler")).get(f"/api/tickets/{ticket['id']}"))  # its ticket is still its
    assert still["holder_unit_id"] == community

    empty = ok(
        await admin.post(
            "/api/admin/units",
            json={"code": "DH-S9-C1", "name": "新城社区", "level": "community", "parent_id": new_street["id"]},
        ),
        201,
    )["unit"]
    assert not ok(await admin.post(f"/api/admin/units/{empty['id']}/deactivate"))["unit"]["active"]
    taken = await admin.post(
        "/api/admin/users", json={"username": "xc-1", "display_name": "x", "role": "handler", "unit_id": empty["id"]}
    )
    assert taken.status_code == 422 and taken.json()["error"]["code"] == "inactive_unit"
    assert ok(await admin.post(f"/api/admin/units/{empty['id']}/reactivate"))["unit"]["active"]
    district_admin = await admin.post(f"/api/admin/units/{empty['id']}/deactivate", json={})
    assert district_admin.status_code == 200

    actions = [
        r["action"] for r in await pool.fetch("SELECT action FROM audit_log WHERE action LIKE 'unit.%' ORDER BY id")
    ]
    assert actions == [
        "unit.update",
        "unit.create",
        "unit.merge",
        "unit.create",
        "unit.deactivate",
        "unit.reactivate",
        "unit.deactivate",
    ]
    merge = await pool.fetchrow("SELECT before, after FROM audit_log WHERE action = 'unit.merge'")
    assert merge["before"]["active"] is True and merge["after"]["merged_into"] == "DH-S9"
    assert (await (await login("dh-supervisor")).post(f"/api/admin/units/{street}/reactivate")).status_code == 403


async def test_the_responsibility_table_is_checked_as_the_import_checks_it_and_saves_nothing_wrong(
    city: dict[str, int], login: Login, pool: asyncpg.Pool
) -> None:
    admin = await login("admin")
    before = ok(await admin.get("/api/admin/rules?category=NOISE"))["items"]
    assert before
    table = {
        "category_code": "NOISE",
        "rules": [
            {"level": "区直部门", "owner_kind": "环保局", "priority": "10"},
            {"level": "社区", "priority": "x"},
            {"level": "街道", "priority": "10"},
        ],
    }
    problems = ok(await admin.post("/api/admin/rules/check", json=table))["problems"]
    assert problems == ["第 1 行：没有类型(kind)为「环保局」的区直部门", "第 2 行：优先级(priority) “x” 应为整数"]
    refused = await admin.put("/api/admin/rules", json=table)
    assert refused.status_code == 422 and refused.json()["error"]["details"]["fields"] == problems
    assert ok(await admin.get("/api/admin/rules?category=NOISE"))["items"] == before
    twice = {
        "category_code": "NOISE",
        "rules": [{"level": "街道", "priority": "1"}, {"level": "社区", "priority": "1"}],
    }
    assert ok(await admin.post("/api/admin/rules/check", json=twice))["problems"] == [
        "责任表：分类「NOISE」有多条优先级为 1 的责任规则"
    ]
    good = {"category_code": "NOISE", "rules": [{"level": "社区", "priority": "5"}, {"level": "街道", "priority": "1"}]}
    saved = ok(await admin.put("/api/admin/rules", json=good))["items"]
    assert [(r["level"], r["priority"]) for r in saved] == [("community", "5"), ("street", "1")]
    entry = await pool.fetchrow("SELECT before, after, actor_name FROM audit_log WHERE action = 'rules.save'")
    assert entry["before"] == before and entry["after"] == saved and entry["actor_name"] == "admin"

    bad = await admin.put("/api/admin/categories", json={"code": "lower", "name": "x", "level1": "y"})
    assert bad.status_code == 422 and "须以大写字母开头" in bad.json()["error"]["message"]
    added = ok(await admin.put("/api/admin/categories", json={"code": "DRONE", "name": "无人机扰民", "level1": "治安"}))
    assert "DRONE" in {c["code"] for c in added["items"]}
    assert (await (await login("operator")).get("/api/admin/categories")).status_code == 403


async def test_each_export_imports_back_into_an_empty_database_as_the_same_file(
    city: dict[str, int], login: Login, pool: asyncpg.Pool, hotline_cli: Callable, tmp_path: Path
) -> None:
    admin = await login("admin")
    new = {"code": "DH-S1-C9", "name": "旧村", "level": "community", "parent_id": city["DH-S1"]}
    gone = ok(await admin.post("/api/admin/units", json=new), 201)["unit"]
    ok(await admin.post(f"/api/admin/units/{gone['id']}/deactivate"))  # a deactivated unit comes back deactivated
    ok(await admin.patch(f"/api/admin/units/{city['DH-S2']}", json={"aliases": ["=湖滨街", "湖滨"]}))  # formula-like
    files: dict[str, Path] = {}
    for kind in KINDS:
        for suffix in ("csv", "xlsx"):
            response = await admin.get(f"/api/admin/export/{kind}.{suffix}")
            assert response.status_code == 200, response.text
            files[f"{kind}.{suffix}"] = tmp_path / f"{kind}.{suffix}"
            files[f"{kind}.{suffix}"].write_bytes(response.content)
    assert ",'=湖滨街|湖滨,".encode() in files["units.csv"].read_bytes()  # a spreadsheet shows it as text

    async def imported_again(*names: str) -> None:
        await truncate_all(pool)
        for name in names:
            done = hotline_cli("import", name.split(".")[0], str(files[name]))
            assert done.returncode == 0, done.stderr
        for name in names:
            again = tmp_path / f"again-{name.split('.')[0]}.csv"
            assert hotline_cli("export", name.split(".")[0], "--out", str(again)).returncode == 0
            assert again.read_bytes() == files[name.split(".")[0] + ".csv"].read_bytes(), name

    await imported_again("units.csv", "categories.csv", "rules.csv")
    await imported_again("units.xlsx")  # the spreadsheet reads back to the same rows (the writer is shared)
