"""Backups and retention in the admin page (数据管理): a backup made now by a worker, a dry run of the
retention job and what it would remove, each shown when it has run."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import expect

from tests.support.browser import Open
from tests.support.history_files import closed_row, write_csv
from tests.support.services import Processes

pytestmark = [pytest.mark.usefixtures("city"), pytest.mark.browser]


async def test_an_administrator_backs_up_and_previews_retention_in_the_page(
    spawn: Processes, open_as: Open, hotline_cli, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    old = [closed_row(f"OLD{n}", "2021-05-10") for n in range(3)]  # closed more than three years ago
    assert hotline_cli("import", "tickets", str(write_csv(tmp_path / "old.csv", old))).returncode == 0
    backups = tmp_path / "backups"
    settings = {"HOTLINE_BACKUP_DIR": str(backups), "HOTLINE_BACKUP_DAILY_AT": "03:30", "HOTLINE_BACKUP_KEEP": "5"}
    base = await spawn.web(**settings)
    await spawn.worker(**settings)
    admin = await open_as("admin", base)
    page = admin.page
    await admin.goto("/admin/data")
    await expect(page.locator("#backup-schedule")).to_contain_text("每天 03:30 自动备份")
    await expect(page.locator("#retention-last")).to_contain_text("尚未执行过")

    await page.click("#backup-now")
    first_row = page.locator("#backups tbody tr").first
    await expect(first_row).to_contain_text("完成", timeout=60_000)
    await expect(first_row).to_contain_text("页面")
    [archive] = backups.iterdir()
    assert archive.name.startswith("hotline-backup-") and archive.stat().st_size > 0

    await page.click("#retention-dry-run")
    last = page.locator("#retention-last")
    await expect(last).to_contain_text("最近一次预演", timeout=60_000)
    await expect(last.locator("li[data-kind=callers]")).to_have_text(
        "预演：将删除来电人号码和姓名（工单办结已超过保存期限） 3"
    )
    await expect(page.locator("#retention-runs tbody tr")).to_have_count(1)
    await admin.screenshots("admin-data-operations")
    # a dry run: nothing removed
    assert await pool.fetchval("SELECT count(*) FROM tickets WHERE caller_phone IS NOT NULL") == 3
    requested = await pool.fetchval("SELECT u.username FROM retention_runs r JOIN users u ON u.id = r.requested_by")
    assert requested == "admin"
