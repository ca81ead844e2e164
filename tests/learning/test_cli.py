"""`hotline classifier retrain | versions | rollback` and the admin's retrain button: the same use-cases as
the weekly job."""

from __future__ import annotations

import asyncpg

from hotline.settings import Settings
from tests.support.api import Login, ok
from tests.support.jobs import drain
from tests.support.services import Processes


async def test_retrain_by_hand_with_nothing_settled_is_skipped_and_recorded(
    city: dict[str, int], hotline_cli, pool: asyncpg.Pool
) -> None:
    result = hotline_cli("classifier", "retrain")
    assert result.returncode == 0, result.stderr
    assert "未训练：" in result.stdout and "只有 0 件" in result.stdout
    runs = await pool.fetch("SELECT origin, outcome, version, reason FROM retrain_runs")
    assert [(r["origin"], r["outcome"], r["version"]) for r in runs] == [("manual", "skipped", None)]
    assert "只有 0 件" in runs[0]["reason"]


async def test_versions_lists_the_model_in_use_and_rollback_needs_a_previous_one(
    city: dict[str, int], hotline_cli, pool: asyncpg.Pool
) -> None:
    listed = hotline_cli("classifier", "versions")
    assert listed.returncode == 0, listed.stderr
    current = await pool.fetchval("SELECT version FROM model_versions WHERE status = 'adopted'")
    assert listed.stdout.startswith(f"* {current}  初始模型")
    refused = hotline_cli("classifier", "rollback")
    assert refused.returncode == 1 and "没有可回滚的上一版本" in refused.stderr
    unknown = hotline_cli("classifier", "rollback", "--to", "20990101T000000Z-00000000")
    assert unknown.returncode == 1 and "不存在" in unknown.stderr
    # the commands on files still belong to the text core
    assert hotline_cli("classifier", "candidate", "--help").returncode == 0


async def test_the_admins_button_queues_one_manual_run_for_the_worker(
    city: dict[str, int], spawn: Processes, login: Login, pool: asyncpg.Pool, settings: Settings
) -> None:
    web = await spawn.web()  # on this test's queue, which the burst worker below drains
    admin = await login("admin", web)
    assert ok(await admin.post("/api/models/retrain"))["queued"] is True
    assert ok(await admin.post("/api/models/retrain"))["queued"] is False  # pressed twice: one run
    assert (await (await login("supervisor", web)).post("/api/models/retrain")).status_code == 403
    await drain(settings)
    runs = await pool.fetch("SELECT origin, outcome FROM retrain_runs")
    assert [(r["origin"], r["outcome"]) for r in runs] == [("manual", "skipped")]
    assert ok(await admin.get("/api/models"))["runs"][0]["origin_label"] == "手动训练"
