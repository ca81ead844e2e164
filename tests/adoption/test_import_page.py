"""The same import from the admin page: the file sent in pieces over HTTP, a job on the worker, its progress
and errors read back; and in Chromium, the page a city administrator uses."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.async_api import expect

from tests.support.api import Login, ok
from tests.support.browser import Open
from tests.support.history_files import closed_row, write_csv
from tests.support.services import Processes
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures("city")
CHUNK = 1024 * 1024


async def finished(client: httpx.AsyncClient, job_id: int) -> dict:
    async def done() -> dict | None:
        job = ok(await client.get(f"/api/imports/{job_id}"))
        return job if job["status"] in ("done", "failed") else None

    return await eventually(done, timeout=120, interval=0.3, message=f"import {job_id} finished")


async def put(client: httpx.AsyncClient, job_id: int, part: str, seq: int, piece: bytes) -> None:
    ok(await client.put(f"/api/imports/{job_id}/chunk", params={"part": part, "seq": seq}, content=piece))


async def send(client: httpx.AsyncClient, name: str, data: bytes) -> int:
    """Announce the file and send it in pieces, as the page does; the job id."""
    created = ok(await client.post("/api/imports", json={"file_name": name, "file_size": len(data)}), 201)
    assert created["chunk_bytes"] == CHUNK
    for seq, offset in enumerate(range(0, len(data), CHUNK)):
        await put(client, created["id"], "data", seq, data[offset : offset + CHUNK])
    return int(created["id"])


async def test_a_file_sent_in_pieces_is_imported_by_a_worker(
    spawn: Processes, login: Login, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    base = await spawn.web()
    await spawn.worker()
    admin = await login("admin", base)
    rows = [closed_row(f"P{n:05d}", f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}") for n in range(7000)]
    data = write_csv(tmp_path / "history.csv", rows).read_bytes()
    assert len(data) > 2 * CHUNK  # three pieces at least
    job_id = await send(admin, "history.csv", data)

    assert (await admin.post(f"/api/imports/{job_id}/chunk")).status_code == 405  # PUT only
    job = ok(await admin.post(f"/api/imports/{job_id}/start"))
    assert job["status"] == "queued"
    job = await finished(admin, job_id)
    assert (job["status"], job["rows_total"], job["rows_done"], job["rows_written"]) == ("done", 7000, 7000, 7000)
    assert await pool.fetchval("SELECT count(*) FROM tickets") == 7000
    assert await pool.fetchval("SELECT count(*) FROM import_files") == 0  # the upload is dropped once imported
    listed = ok(await admin.get("/api/imports"))["items"]
    assert [(j["id"], j["source"], j["status"]) for j in listed] == [(job_id, "page", "done")]

    # the same file again: nothing new, reported as skipped
    again = await send(admin, "history.csv", data)
    ok(await admin.post(f"/api/imports/{again}/start"))
    job = await finished(admin, again)
    assert (job["status"], job["rows_written"], job["rows_existing"]) == ("done", 0, 7000)


async def test_refusals_of_the_page_import(spawn: Processes, login: Login, tmp_path: Path) -> None:
    base = await spawn.web()
    await spawn.worker()
    admin = await login("admin", base)
    for who in ("operator", "supervisor", "dh-supervisor"):
        client = await login(who, base)
        assert (await client.get("/api/imports")).status_code == 403
    bad_name = await admin.post("/api/imports", json={"file_name": "x.pdf", "file_size": 10})
    assert bad_name.status_code == 422 and "不支持的文件类型" in bad_name.json()["error"]["message"]

    rows = [closed_row("B1", "2025-06-03"), closed_row("B2", "2025-06-03", 状态="作废")]
    data = write_csv(tmp_path / "bad.csv", rows).read_bytes()
    created = ok(await admin.post("/api/imports", json={"file_name": "bad.csv", "file_size": len(data)}), 201)
    incomplete = await admin.post(f"/api/imports/{created['id']}/start")
    assert incomplete.status_code == 422 and "尚未上传完整" in incomplete.json()["error"]["message"]
    params = {"part": "data", "seq": 0}
    too_big = await admin.put(f"/api/imports/{created['id']}/chunk", params=params, content=b"x" * (CHUNK + 1))
    assert too_big.status_code == 413
    await put(admin, created["id"], "data", 0, data)
    ok(await admin.post(f"/api/imports/{created['id']}/start"))
    job = await finished(admin, created["id"])
    assert job["status"] == "failed" and job["error_count"] == 1
    [error] = job["errors"]
    assert error.startswith(
        "第 3 行：状态「作废」无法导入，应为 待派单、待签收、已签收、办结待审、待回访、已办结、直接办结"
    )
    late = await admin.put(f"/api/imports/{created['id']}/chunk", params={"part": "data", "seq": 1}, content=b"x")
    assert late.status_code == 409


@pytest.mark.browser
async def test_an_administrator_imports_history_in_the_page(
    spawn: Processes, open_as: Open, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    base = await spawn.web()
    await spawn.worker()
    admin = await open_as("admin", base)
    page = admin.page
    await page.click("nav a[href='/admin/data']")
    await expect(page.locator("#import-title")).to_have_text("历史工单导入")

    bad = write_csv(tmp_path / "bad.csv", [closed_row("W1", "2025-06-03", 承办单位="新村社区")])
    await page.set_input_files("input[name=file]", str(bad))
    await page.click("#import-form button[type=submit]")
    await expect(page.locator("#import-status")).to_have_text("失败", timeout=60_000)
    await expect(page.locator("#import-errors li").first).to_contain_text("第 2 行：承办单位「新村社区」对应多个单位")
    await expect(page.locator("#import-detail")).to_contain_text("未写入任何数据")

    pairs = [{"类型": "单位", "原名称": "新村社区", "本系统名称": "青山街道新村社区"}]
    mapping = write_csv(tmp_path / "mapping.csv", pairs, ["类型", "原名称", "本系统名称"])
    rows = [closed_row("W0", "2025-06-03", 承办单位="新村社区")] + [
        closed_row(f"W{n}", "2025-06-03") for n in range(1, 41)
    ]
    good = write_csv(tmp_path / "good.csv", rows)
    await page.set_input_files("input[name=file]", str(good))
    await page.set_input_files("input[name=mapping]", str(mapping))
    await page.click("#import-form button[type=submit]")
    await expect(page.locator("#import-status")).to_have_text("已完成", timeout=60_000)
    await expect(page.locator("#import-detail")).to_contain_text("已处理 41 / 41 行：新写入工单 41 件")
    assert await page.locator("#import-progress").evaluate("bar => bar.value") == 100
    await expect(page.locator("#import-jobs tbody tr")).to_have_count(2)
    await expect(page.locator("#import-jobs tbody tr").first).to_contain_text("已完成")
    await admin.screenshots("admin-data-import")
    assert await pool.fetchval("SELECT count(*) FROM tickets") == 41
