"""`hotline import tickets FILE [--mapping FILE]`: years of the old system's tickets, checked row by row,
written in batches, idempotent by ticket number."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from dispatch.sla import compute_deadline
from hotline.settings import Settings
from hotline.sla.clock import SlaClock
from tests.support.history_files import COLUMNS, closed_row, write_csv, write_xlsx

pytestmark = pytest.mark.usefixtures("city")

TABLES = ("tickets", "ticket_events", "ticket_units", "deadlines")


async def table_counts(pool: asyncpg.Pool) -> dict[str, int]:
    return {t: await pool.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


def history_rows() -> list[dict[str, str]]:
    return [
        closed_row("H2025060001", "2025-06-03"),
        closed_row("H2025060002", "2025-06-04", 渠道="网站", 诉求类型="咨询", **{"回访结果/满意度": ""}),
        closed_row(
            "H2025060003",
            "2025-06-05",
            **{"回访结果/满意度": "不满意", "是否解决": "否", "承办单位": "东湖区城市管理局", "分类": "市政设施"},
        ),
        closed_row("H2025060004", "2025-06-06", 状态="直接办结", 承办单位="", 派单时间="", 签收时间=""),
        closed_row("H2025060005", "2025-06-07", 状态="已签收", 办结时间="", **{"回访结果/满意度": "", "是否解决": ""}),
    ]


async def test_a_history_file_is_imported_and_a_second_run_changes_nothing(
    hotline_cli, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "history.csv", history_rows())
    first = hotline_cli("import", "tickets", str(path))
    assert first.returncode == 0, first.stderr
    assert "新写入工单 5 件" in first.stdout

    rows = {r["number"]: r for r in await pool.fetch("SELECT * FROM tickets ORDER BY number")}
    assert {n: r["state"] for n, r in rows.items()} == {
        "H2025060001": "closed",
        "H2025060002": "closed",
        "H2025060003": "closed",
        "H2025060004": "closed_on_spot",
        "H2025060005": "signed",
    }
    one = rows["H2025060001"]
    assert one["created_at"] == datetime(2025, 6, 3, 1, 12, tzinfo=UTC)  # 09:12 in the city's time zone
    assert (one["type"], one["channel"], one["category_code"], one["satisfaction"], one["resolved"]) == (
        "complaint", "phone", "NOISE", "satisfied", True,
    )  # fmt: skip
    assert one["caller_phone"] == "13900001111" and one["place"]["community_id"] == one["lead_unit_id"]
    assert rows["H2025060003"]["reopen_count"] == 1  # dissatisfied: reopened here, so counted as such
    assert rows["H2025060002"]["channel"] == "web" and rows["H2025060002"]["type"] == "consultation"
    assert rows["H2025060004"]["lead_unit_id"] is None and rows["H2025060004"]["closed_at"] is not None

    events = await pool.fetch("SELECT ticket_id, action, to_state, payload FROM ticket_events ORDER BY ticket_id")
    assert [e["action"] for e in events] == ["import"] * 5
    assert sorted(e["payload"]["row"] for e in events) == [2, 3, 4, 5, 6]

    clocks = await pool.fetch(
        "SELECT t.number, d.track, d.status FROM deadlines d JOIN tickets t ON t.id = d.ticket_id ORDER BY 1, 2"
    )
    assert [tuple(c) for c in clocks] == [
        ("H2025060001", "complete", "met"),
        ("H2025060001", "reply", "met"),
        ("H2025060002", "complete", "met"),
        ("H2025060002", "reply", "met"),
        ("H2025060003", "complete", "met"),
        ("H2025060003", "reply", "met"),
        ("H2025060005", "complete", "running"),
        ("H2025060005", "reply", "met"),
    ]
    before = await table_counts(pool)

    second = hotline_cli("import", "tickets", str(path))
    assert second.returncode == 0, second.stderr
    assert "新写入工单 0 件" in second.stdout and "跳过） 5 件" in second.stdout
    assert await table_counts(pool) == before
    jobs = await pool.fetch("SELECT status, rows_written, rows_existing FROM import_jobs ORDER BY id")
    assert [tuple(j) for j in jobs] == [("done", 5, 0), ("done", 0, 5)]


async def test_clocks_are_those_of_the_live_sla_code(
    hotline_cli, pool: asyncpg.Pool, tmp_path: Path, session_settings: Settings
) -> None:
    """A working-time clock started the afternoon before the National Day week lands where a live one would."""
    row = closed_row("H2026093001", "2026-09-30", 状态="待签收", 签收时间="", 办结时间="")
    row.update({"回访结果/满意度": "", "是否解决": "", "派单时间": "2026-09-30 17:00:00"})
    result = hotline_cli("import", "tickets", str(write_csv(tmp_path / "open.csv", [row])))
    assert result.returncode == 0, result.stderr
    async with pool.acquire() as conn:
        rules = await SlaClock.from_settings(session_settings).current(conn)  # what live clocks use
    start = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)  # 17:00 local
    expected = {
        rule.track.value: compute_deadline(rule, start, rules.calendar).due_at
        for rule in rules.policy.rules_for("complaint", "NOISE", False)
    }
    due = {r["track"]: r["due_at"] for r in await pool.fetch("SELECT track, due_at FROM deadlines")}
    assert due == expected
    assert due["reply"] > datetime(2026, 10, 7, tzinfo=UTC)  # after the National Day holiday


async def test_bad_rows_are_numbered_and_nothing_is_written(hotline_cli, pool: asyncpg.Pool, tmp_path: Path) -> None:
    rows = [
        closed_row("H1", "2025-06-03"),
        closed_row("H2", "2025-06-03", 受理时间="昨天下午"),  # row 3
        closed_row("H3", "2025-06-03", 诉求类型="闲聊"),  # row 4
        closed_row("H4", "2025-06-03", 承办单位="新村社区"),  # row 5: two communities have that name
        closed_row("H5", "2025-06-03", 分类="天气预报"),  # row 6
        closed_row("H1", "2025-06-03"),  # row 7: number again
        closed_row("H7", "2025-06-03", 办结时间="2025-06-02 10:00:00"),  # row 8: completed before it was signed
        closed_row("H8", "2025-06-03", 状态="已签收"),  # row 9: open, yet completed and called back
        closed_row("H9", "2025-06-03", 来电号码="138-0000-111"),  # row 10: a mobile number lacking a digit
    ]
    result = hotline_cli("import", "tickets", str(write_csv(tmp_path / "bad.csv", rows)))
    assert result.returncode == 1
    assert "导入失败，未写入任何数据" in result.stderr
    for expected in [
        "第 3 行：受理时间「昨天下午」不是有效的时间",
        "第 4 行：诉求类型「闲聊」无法识别",
        "第 5 行：承办单位「新村社区」对应多个单位（云川市/东湖区/青山街道/新村社区、云川市/西岭区/岭南街道/新村社区）",
        "第 6 行：分类「天气预报」不存在",
        "第 7 行：工单编号 H1 与第 2 行重复",
        "第 8 行：办结时间早于签收时间",
        "第 9 行：状态为已签收的工单不应有办结时间",
        "第 9 行：只有已办结（或直接办结）的工单才有回访结果和是否解决",
        "第 10 行：来电号码「138-0000-111」不是有效的电话号码",
    ]:
        assert expected in result.stderr, result.stderr
    assert await pool.fetchval("SELECT count(*) FROM tickets") == 0
    job = await pool.fetchrow("SELECT status, error_count, errors FROM import_jobs")
    assert job["status"] == "failed" and job["error_count"] == 9 and len(job["errors"]) == 9


async def test_a_missing_column_is_named(hotline_cli, tmp_path: Path) -> None:
    columns = ["工单编号", "受理时间", "诉求内容", "状态"]
    result = hotline_cli(
        "import", "tickets", str(write_csv(tmp_path / "x.csv", [closed_row("H1", "2025-06-03")], columns))
    )
    assert result.returncode == 1
    assert "缺少列：诉求类型、渠道" in result.stderr


async def test_the_mapping_file_settles_the_old_systems_names(hotline_cli, pool: asyncpg.Pool, tmp_path: Path) -> None:
    rows = [
        closed_row("M1", "2025-06-03", 承办单位="新村社区（青山）", 渠道="市民热线", 分类="噪声污染"),
        closed_row("M2", "2025-06-03", 承办单位="东湖区城管局", 状态="已归档", 分类="市政"),
    ]
    path = write_csv(tmp_path / "old.csv", rows)
    refused = hotline_cli("import", "tickets", str(path))
    assert refused.returncode == 1
    assert "第 2 行：承办单位「新村社区（青山）」在组织机构中找不到" in refused.stderr
    assert "第 2 行：渠道「市民热线」无法识别" in refused.stderr

    mapping = write_csv(
        tmp_path / "mapping.csv",
        [
            {"类型": "单位", "原名称": "新村社区（青山）", "本系统名称": "青山街道新村社区"},
            {"类型": "渠道", "原名称": "市民热线", "本系统名称": "电话"},
            {"类型": "分类", "原名称": "噪声污染", "本系统名称": "噪音扰民"},
            {"类型": "分类", "原名称": "市政", "本系统名称": "MUNICIPAL"},
        ],
        ["类型", "原名称", "本系统名称"],
    )
    result = hotline_cli("import", "tickets", str(path), "--mapping", str(mapping))
    assert result.returncode == 0, result.stderr
    got = await pool.fetch(
        "SELECT t.number, u.code, t.channel, t.category_code FROM tickets t JOIN units u ON u.id = t.lead_unit_id"
        " ORDER BY 1"
    )
    # 东湖区城管局: the district and the department's kind
    assert [tuple(r) for r in got] == [("M1", "DH-S1-C4", "phone", "NOISE"), ("M2", "DH-CG", "phone", "MUNICIPAL")]


async def test_an_excel_export_with_date_cells(hotline_cli, pool: asyncpg.Pool, tmp_path: Path) -> None:
    row: dict[str, object] = closed_row("X1", "2025-06-03")
    row.update(
        {
            "受理时间": datetime(2025, 6, 3, 9, 12),  # noqa: DTZ001  (Excel cells have no zone: local time)
            "派单时间": datetime(2025, 6, 3, 9, 20),  # noqa: DTZ001
            "签收时间": "2025/6/3 9:50",
            "办结时间": "2025年6月4日 16:30",
            "来电号码": 13900002222.0,  # Excel keeps a number typed into a cell as a float
        }
    )
    result = hotline_cli("import", "tickets", str(write_xlsx(tmp_path / "old.xlsx", [row])))
    assert result.returncode == 0, result.stderr
    ticket = await pool.fetchrow("SELECT created_at, signed_at, completed_at, caller_phone FROM tickets")
    assert tuple(ticket) == (
        datetime(2025, 6, 3, 1, 12, tzinfo=UTC),
        datetime(2025, 6, 3, 1, 50, tzinfo=UTC),
        datetime(2025, 6, 4, 8, 30, tzinfo=UTC),
        "13900002222",
    )


async def test_a_number_the_hotline_already_gave_a_live_ticket_is_refused(
    hotline_cli, login, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    from tests.support.api import ok
    from tests.support.calls import NOISE_CALL

    operator = await login("operator")
    live = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    result = hotline_cli(
        "import", "tickets", str(write_csv(tmp_path / "x.csv", [closed_row(live["number"], "2025-06-03")]))
    )
    assert result.returncode == 1
    assert f"第 2 行：工单编号 {live['number']} 已被本系统受理的工单使用" in result.stderr
    assert await pool.fetchval("SELECT count(*) FROM tickets") == 1


async def test_confidential_as_intake_decides_unless_the_file_says(
    hotline_cli, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    rows = [
        closed_row("C1", "2025-06-03", 诉求类型="举报"),  # a report is confidential
        closed_row("C2", "2025-06-03", 保密="是"),  # the caller asked
        closed_row("C3", "2025-06-03"),
        closed_row("C4", "2025-06-03", 诉求类型="举报", 保密="否"),
    ]
    columns = [*COLUMNS, "保密"]
    assert hotline_cli("import", "tickets", str(write_csv(tmp_path / "c.csv", rows, columns))).returncode == 0
    got = {r["number"]: r["confidential"] for r in await pool.fetch("SELECT number, confidential FROM tickets")}
    assert got == {"C1": True, "C2": True, "C3": False, "C4": False}
