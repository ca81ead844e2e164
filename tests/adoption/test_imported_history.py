"""Imported tickets are tickets: they count in the monthly report and the rankings of their own period,
in repeat detection, the caller's history and the training export; open ones run on SLA clocks with
timers and alerts; an interrupted import resumes where it stopped."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import redis.asyncio as aioredis

from hotline.settings import Settings
from tests.support.api import Login, ok
from tests.support.history_files import closed_row, write_csv
from tests.support.jobs import drain, run_through_queue
from tests.support.services import start_process, stop_process
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures("city")
TZ = ZoneInfo("Asia/Shanghai")
MONTH = "2025-05"


def may_rows() -> list[dict[str, str]]:
    """32 noise complaints handled by 柳岸社区 in May 2025: 12 by web, 4 signed for late (the next afternoon), 3
    completed late (two months on), 2 dissatisfied callbacks."""
    rows = []
    for n in range(32):
        day = f"2025-05-{n % 28 + 1:02d}"
        row = closed_row(f"MAY{n:04d}", day, 来电号码=f"139{n:08d}", 渠道="网站" if n < 12 else "电话")
        if n in (1, 4, 5, 6):  # Friday 2, Monday 5 to Wednesday 7 May: the next afternoon is past the hour
            nxt = datetime.fromisoformat(day) + timedelta(days=1)
            row.update(签收时间=f"{nxt:%Y-%m-%d} 15:00:00", 办结时间=f"{nxt:%Y-%m-%d} 16:30:00")
        if n in (10, 11, 12):
            row["办结时间"] = "2025-07-20 10:00:00"
        if n in (8, 9):
            row.update({"回访结果/满意度": "不满意", "是否解决": "否"})
        rows.append(row)
    return rows


async def test_an_imported_month_counts_in_the_report_and_the_rankings_of_its_period(
    hotline_cli, login: Login, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    admin = await login("supervisor")
    before = ok(await admin.get("/api/rankings", params={"period": MONTH, "level": "street"}))
    assert before["items"] == []
    # the empty month's days are settled and stored: the import must invalidate them
    assert await pool.fetchval("SELECT count(*) FROM score_days") == 31

    result = hotline_cli("import", "tickets", str(write_csv(tmp_path / "may.csv", may_rows())))
    assert result.returncode == 0, result.stderr

    report = ok(await admin.get("/api/reports/monthly", params={"month": MONTH}))
    volumes = report["volumes"]
    assert volumes["total"] == 32
    assert {i["name"]: i["tickets"] for i in volumes["by_channel"]} == {"电话": 20, "网站": 12}
    assert {i["name"]: i["tickets"] for i in volumes["by_category"]} == {"噪音扰民": 32}
    assert {i["name"]: i["tickets"] for i in volumes["by_district"]} == {"东湖区": 32}
    [sla] = report["sla"]
    assert (sla["name"], sla["tickets"], sla["sign_for_late"], sla["completion_late"]) == ("柳岸社区", 32, 4, 3)
    supervised = report["supervised"]
    assert supervised["dissatisfied"]["count"] == 2
    # same category and community within 30 days: every ticket but the two of 1 May is at least the third
    assert supervised["repeat"]["count"] == 30
    assert supervised["overdue"]["count"] == 3

    after = ok(await admin.get("/api/rankings", params={"period": MONTH, "level": "street"}))
    [street] = after["items"]
    assert (street["name"], street["tickets"], street["rank"]) == ("青山街道", 32, 1)
    assert street["rates"]["sign_for"] == round(28 / 32, 4)
    assert street["rates"]["completion"] == round(29 / 32, 4)
    assert street["rates"]["satisfaction"] == round(30 / 32, 4)
    quarter = ok(await admin.get("/api/rankings", params={"period": "2025-Q2", "level": "street"}))
    assert [(e["name"], e["tickets"]) for e in quarter["items"]] == [("青山街道", 32)]


async def test_an_import_has_its_settled_days_stored_without_waiting_for_the_cron(
    hotline_cli, pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    # settled (closed the same day, weeks ago) and within the 13 months the job keeps stored
    day = (datetime.now(TZ) - timedelta(days=40)).date()
    path = write_csv(tmp_path / "recent.csv", [closed_row("RECENT1", f"{day}"), closed_row("RECENT2", f"{day}")])
    result = hotline_cli("import", "tickets", str(path))
    assert result.returncode == 0, result.stderr

    await drain(settings)  # the job the import queued, on a real worker; no ranking has been asked for
    stored = await pool.fetchval(
        "SELECT sum(f.tickets) FROM score_days d JOIN score_day_facts f USING (day_start) WHERE d.day_start = $1",
        datetime(day.year, day.month, day.day, tzinfo=TZ),
    )
    assert stored == 2


async def test_open_imported_tickets_run_on_clocks_with_timers_and_alerts(
    hotline_cli, pool: asyncpg.Pool, redis: aioredis.Redis, settings: Settings, tmp_path: Path
) -> None:
    now = datetime.now(TZ).replace(microsecond=0)
    soon = closed_row("OPEN1", f"{now:%Y-%m-%d}", 状态="待签收", 签收时间="", 办结时间="")
    soon.update({"受理时间": f"{now - timedelta(minutes=2):%Y-%m-%d %H:%M:%S}", "派单时间": f"{now:%Y-%m-%d %H:%M:%S}"})
    overdue = closed_row("OPEN2", "2026-11-02", 状态="已签收", 办结时间="")
    for row in (soon, overdue):
        row.update({"回访结果/满意度": "", "是否解决": ""})
    path = write_csv(tmp_path / "open.csv", [soon, overdue])
    # the reply limit in natural minutes, so the clock of OPEN1 falls due within the timer horizon
    result = hotline_cli(
        "import", "tickets", str(path), HOTLINE_SLA_REPLY_MINUTES="5", HOTLINE_SLA_REPLY_COUNTS="natural"
    )
    assert result.returncode == 0, result.stderr

    reply = await pool.fetchrow(
        "SELECT d.due_at, d.status FROM deadlines d JOIN tickets t ON t.id = d.ticket_id"
        " WHERE t.number = 'OPEN1' AND d.track = 'reply'"
    )
    assert reply["status"] == "running" and reply["due_at"] == now.astimezone(UTC) + timedelta(minutes=5)
    due_ms = int(reply["due_at"].timestamp() * 1000)
    timers = await redis.zrange(settings.redis.queue_name, 0, -1, withscores=True)
    assert any(job.startswith(b"sla:timers:") and abs(score - due_ms) < 1000 for job, score in timers), timers

    # OPEN2's completion clock (15 working days from 2 November) has run out: the sweep raises its alerts
    await redis.delete(settings.redis.queue_name)  # OPEN1's timers would keep a burst worker waiting
    await run_through_queue(settings, "sweep", "sweep-imported")
    alerts = await pool.fetch(
        "SELECT t.number, a.kind, d.track FROM sla_alerts a JOIN tickets t ON t.id = a.ticket_id"
        " JOIN deadlines d ON d.id = a.deadline_id ORDER BY a.kind"
    )
    assert [tuple(a) for a in alerts] == [("OPEN2", "overdue", "complete"), ("OPEN2", "warning", "complete")]


async def test_imported_tickets_in_caller_history_merge_candidates_repeat_lists_and_training_export(
    hotline_cli, login: Login, tmp_path: Path
) -> None:
    recent = (datetime.now(TZ) - timedelta(days=3)).strftime("%Y-%m-%d")
    rows = [
        closed_row("OLD1", "2024-02-05", 来电号码="13722223333"),
        closed_row(
            "OLD2",
            recent,
            来电号码="13722223333",
            状态="已签收",
            办结时间="",
            **{"回访结果/满意度": "", "是否解决": ""},
        ),
    ]
    rows[1].update({"回访结果/满意度": "", "是否解决": ""})
    assert hotline_cli("import", "tickets", str(write_csv(tmp_path / "h.csv", rows))).returncode == 0

    operator = await login("operator")
    draft = {"content": "柳岸花园楼下烧烤店又营业到凌晨了", "address": "柳岸花园", "caller_phone": "13722223333"}
    suggestions = ok(await operator.post("/api/intake/suggest", json=draft))
    assert {h["number"] for h in suggestions["caller_history"]} == {"OLD1", "OLD2"}
    assert [s["number"] for s in suggestions["similar_open"]][:1] == ["OLD2"]
    # 查找工单: imported tickets carry their search words; the caller's open one on the console's panel
    found = ok(await operator.get("/api/search/tickets?q=烧烤油烟"))
    assert [i["number"] for i in found["items"]] == ["OLD2", "OLD1"]
    found = ok(await operator.get("/api/search/tickets?phone=13722223333&state=open"))
    assert [i["number"] for i in found["items"]] == ["OLD2"]

    out = tmp_path / "training.csv"
    exported = hotline_cli("export", "training", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    with out.open(encoding="utf-8") as fh:
        labels = [row["label"] for row in csv.DictReader(fh)]
    assert labels == ["噪音扰民", "噪音扰民"]


async def test_an_interrupted_import_resumes_where_it_stopped(
    test_environ: dict[str, str], hotline_cli, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    rows = [closed_row(f"R{n:06d}", f"2024-{n % 12 + 1:02d}-{n % 28 + 1:02d}") for n in range(30_000)]
    path = write_csv(tmp_path / "big.csv", rows)
    proc = start_process(["import", "tickets", str(path)], test_environ)
    try:
        await eventually(
            lambda: pool.fetchval("SELECT rows_done > 0 FROM import_jobs"), timeout=120, message="first batch committed"
        )
        os.kill(proc.pid, signal.SIGKILL)
        await asyncio.to_thread(proc.wait, 10)
    finally:
        stop_process(proc)
    written = await pool.fetchval("SELECT count(*) FROM tickets")
    assert 0 < written < 30_000 and written % 5000 == 0  # whole batches only

    result = hotline_cli("import", "tickets", str(path))
    assert result.returncode == 0, result.stderr
    assert await pool.fetchval("SELECT count(*) FROM tickets") == 30_000
    assert await pool.fetchval("SELECT count(*) FROM ticket_events") == 30_000
    job = await pool.fetchrow("SELECT rows_written, rows_existing FROM import_jobs ORDER BY id DESC LIMIT 1")
    assert tuple(job) == (30_000 - written, written)
