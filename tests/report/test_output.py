"""The files people get: HTML drawn in headless Chromium (screenshots in tests/artifacts/), the
spreadsheet read back with openpyxl, and the command line writing both."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import asyncpg
import pytest
from openpyxl import load_workbook
from playwright.async_api import Browser

from hotline.report import scores
from hotline.report.data import monthly
from hotline.report.files import write_files
from hotline.settings import Settings
from tests.support.browser import ARTIFACTS
from tests.support.history import MONTH, NOW

pytestmark = pytest.mark.usefixtures("history")
CHARTS = ["trend", "channel", "type", "category", "district", "street", "heat", "topics"]


@pytest.fixture(scope="module")
async def files(history, pool: asyncpg.Pool, session_settings: Settings, tmp_path_factory) -> tuple[Path, Path, dict]:
    async with pool.acquire() as conn:
        report = await monthly(conn, session_settings, scores.parse_period(MONTH), NOW)
    html, xlsx = write_files(report, tmp_path_factory.mktemp("report"))
    return html, xlsx, report


async def test_html_is_self_contained(files) -> None:
    text = files[0].read_text(encoding="utf-8")
    assert "<script" not in text and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text and files[2]["summary"] in text


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 800])
async def test_each_chart_is_drawn_inside_the_page(files, browser: Browser, width: int) -> None:
    context = await browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = await context.new_page()
    try:
        await page.goto(files[0].as_uri())
        assert await page.evaluate("document.fonts.check(\"16px 'Noto Sans CJK SC'\")")
        page_width = await page.evaluate("document.documentElement.clientWidth")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name in CHARTS:
            chart = page.locator(f'figure[data-chart="{name}"]')
            await chart.scroll_into_view_if_needed()
            box = await chart.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 40, name
            assert box["x"] >= 0 and box["x"] + box["width"] <= page_width + 0.5, f"{name} runs past the page"
            overflow = await chart.evaluate(
                """(fig) => {
                    const frame = fig.getBoundingClientRect();
                    return [...fig.querySelectorAll('svg text, td, th')].filter((el) => {
                        const r = el.getBoundingClientRect();
                        return r.width > 0 && (r.left < frame.left - 1 || r.right > frame.right + 1);
                    }).map((el) => el.textContent);
                }"""
            )
            assert overflow == [], f"{name}: cut off: {overflow[:5]}"
            await chart.screenshot(path=str(ARTIFACTS / f"report-chart-{name}-{width}.png"))
        await page.screenshot(path=str(ARTIFACTS / f"report-{width}.png"), full_page=True)
        if width == 800:
            pdf = await page.pdf(format="A4", print_background=True)
            (ARTIFACTS / "report.pdf").write_bytes(pdf)
            assert len(pdf) > 10_000
    finally:
        await context.close()


def test_spreadsheet_holds_the_same_totals(files) -> None:
    _html, xlsx, report = files
    book = load_workbook(xlsx, read_only=True)
    assert {"概要", "受理量", "月度趋势", "热点诉求", "办理时效", "重点督办", "考核排名", "未诉先办预警"} <= set(
        book.sheetnames
    )
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(values_only=True)}
    assert summary["受理量"] == report["volumes"]["total"]
    volumes = list(book["受理量"].iter_rows(min_row=2, values_only=True))
    for dimension in ("渠道", "类型", "类别", "区"):
        assert sum(r[2] for r in volumes if r[0] == dimension) == report["volumes"]["total"]
    trend = {r[0]: r[1] for r in book["月度趋势"].iter_rows(min_row=2, values_only=True)}
    assert trend == {p["month"]: p["tickets"] for p in report["trend"]}
    ranked = [r for r in book["考核排名"].iter_rows(min_row=2, values_only=True) if r[0] == "区"]
    assert [r[2] for r in ranked] == [e["name"] for e in report["rankings"]["district"]["items"]]


def test_cli_writes_both_files(files, hotline_cli: Callable[..., CompletedProcess[str]], tmp_path: Path) -> None:
    done = hotline_cli("report", "monthly", "--month", MONTH, "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    html, xlsx = tmp_path / f"report-{MONTH}.html", tmp_path / f"report-{MONTH}.xlsx"
    assert html.exists() and xlsx.exists()
    summary = {row[0]: row[1] for row in load_workbook(xlsx, read_only=True)["概要"].iter_rows(values_only=True)}
    assert summary["受理量"] == files[2]["volumes"]["total"]
    bad = hotline_cli("report", "monthly", "--month", "2026-13", "--out", str(tmp_path))
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr
