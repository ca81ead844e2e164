"""`hotline classifier retrain | versions | rollback`: the same use-cases as the job and the admin page."""

from __future__ import annotations

import asyncpg


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
