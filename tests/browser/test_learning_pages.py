"""The learning loop's pages in Chromium: the dispatcher's queue (least sure first, the model's top-3, a
correction in one click), the admin's model history (compare two versions, roll back with one action)
and the 派单准确性 page."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import expect

from hotline.learning.retrain import retrain
from hotline.settings import Settings
from tests.support.api import Login, ok
from tests.support.browser import Open
from tests.support.calls import CLASSIFIER_CALLS, NOISE_CALL
from tests.support.learning import FIRST, LAST, install_weak_model, learning_settings, play_months, split_messages
from tests.support.services import Processes
from tests.support.waiting import eventually

pytestmark = pytest.mark.browser

VAGUE = ["想问一下这个事情该找谁。", "上次说的那个事到现在也没有消息。"]


async def test_the_queue_shows_the_least_sure_first_with_the_top_3(
    city: dict[str, int], open_as: Open, login: Login, pool: asyncpg.Pool
) -> None:
    operator = await login("operator")
    for text in [CLASSIFIER_CALLS[0][0], *VAGUE, CLASSIFIER_CALLS[1][0]]:
        ok(await operator.post("/api/tickets", json={"type": "complaint", "content": text}), 201)
    order = [t["number"] for t in ok(await (await login("dispatcher")).get("/api/tickets?scope=queue"))["items"]]

    desk = await open_as("dispatcher")
    page = desk.page
    rows = page.locator("#ticket-list .ticket-row")
    await expect(rows).to_have_count(4)
    assert [await r.locator(".mono").first.inner_text() for r in await rows.all()] == order
    first = rows.first
    await expect(first.locator(".guess .g")).to_have_count(3)
    await expect(first.locator(".guess")).to_contain_text("%")
    # the first ticket is open: its top-3 are buttons; the second guess becomes the category in one click
    guess = page.locator("#model-guess button.g")
    await expect(guess).to_have_count(3)
    second = (await pool.fetchval(
        "SELECT p.top -> 1 ->> 'code' FROM ticket_predictions p JOIN tickets t ON t.id = p.ticket_id "
        "WHERE t.number = $1", order[0]))  # fmt: skip
    await guess.nth(1).click()
    await expect(page.locator("#assign-category")).to_have_value(second)
    await desk.screenshots("queue-learning")
    await page.fill(".unit-filter", "东湖区")
    await page.select_option(".unit-select", label="东湖区（区）")
    await page.click("#assign")
    await expect(page.locator(".trail")).to_contain_text("更正分类")
    await expect(page.locator(".trail")).to_contain_text("云川市派单员")
    label = await pool.fetchrow("SELECT l.to_code, u.username FROM category_labels l JOIN users u ON u.id = l.user_id")
    assert (label["to_code"], label["username"]) == (second, "dispatcher")


async def test_admin_compares_versions_and_rolls_back_with_one_action(
    city: dict[str, int], open_as: Open, login: Login, pool: asyncpg.Pool, settings: Settings, spawn: Processes,
    tmp_path: Path,
) -> None:  # fmt: skip
    weak, calls = split_messages()
    pointer = tmp_path / "models" / "current"
    store, start = install_weak_model(pointer, weak)
    live = learning_settings(settings, pointer)
    await play_months(pool, live, calls[:240], FIRST, LAST)
    async with pool.acquire() as conn:
        outcome = await retrain(conn, live, "manual")
    assert outcome.outcome == "promoted", outcome
    web = await spawn.web(
        HOTLINE_CLASSIFIER_MODEL_DIR=str(pointer),
        HOTLINE_CLASSIFIER_RELOAD_CHECK_S="0.2",
        HOTLINE_REDIS_QUEUE_NAME=settings.redis.queue_name + ":web",
    )
    admin = await open_as("admin", web)
    page = admin.page
    await page.goto(web + "/models")
    await expect(page.locator("#current-version")).to_have_text(outcome.version)
    await expect(page.locator("#versions tbody tr")).to_have_count(2)
    await expect(page.locator(f'#versions tr[data-version="{start}"]')).to_contain_text("初始模型")
    await expect(page.locator(f'#versions tr[data-version="{outcome.version}"]')).to_contain_text("通过：宏平均F1")
    await expect(page.locator("#runs tbody")).to_contain_text("已启用")
    await page.click("#compare")
    await expect(page.locator("#comparison")).to_contain_text("同一留出集")
    await expect(page.locator("#per-class tbody tr").first).to_be_visible()
    await expect(page.locator("#labels tbody tr").first).to_be_visible()  # the dispatchers' labels it learnt from
    await admin.screenshots("models")

    await page.click("#rollback")
    await expect(page.locator("#current-version")).to_have_text(start)
    await expect(page.locator("#switches tbody tr").first).to_contain_text("回滚")
    assert store.current_version() == start
    operator = await login("operator", web)

    async def in_use() -> bool:
        reply = ok(await operator.post("/api/intake/suggest", json={"content": VAGUE[0]}))
        return reply["analysis"]["model_version"] == start

    await eventually(in_use, timeout=20, message="the web process back on the previous model")


async def test_misrouting_page_shows_causes_and_units(city: dict[str, int], open_as: Open, login: Login) -> None:
    operator = await login("operator")
    street = await login("dh-s1-dispatcher")
    community = await login("dh-s1-c1-handler")
    wrong_place = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    ok(await community.post(f"/api/tickets/{wrong_place['id']}/return", json={"reason": "不在本社区"}))
    decision = {"approve": True, "reroute_to": city["DH-S1-C3"]}
    ok(await street.post(f"/api/tickets/{wrong_place['id']}/return-review", json=decision))
    wrongly_returned = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    ok(await community.post(f"/api/tickets/{wrongly_returned['id']}/return", json={"reason": "人手不够"}))
    ok(await street.post(f"/api/tickets/{wrongly_returned['id']}/return-review", json={"approve": False}))

    supervisor = await open_as("supervisor")
    page = supervisor.page
    await page.goto(supervisor.base + "/misrouting")
    await expect(page.locator("h2").first).to_contain_text("派单准确性")
    await expect(page.locator('#causes tr[data-cause="place"]')).to_contain_text("地点识别错误")
    await expect(page.locator('#causes tr[data-cause="place"] td').nth(1)).to_have_text("1")
    await expect(page.locator("#rejected")).to_have_text("1")
    unit = page.locator(f'#misrouting-units tr[data-unit="{city["DH-S1-C1"]}"]')
    await expect(unit).to_contain_text("柳岸社区")
    await expect(page.locator("#auto-rate")).to_have_text("100.0%")
    await expect(page.locator("#misrouting-examples")).to_contain_text(wrong_place["number"])
    await expect(page.locator("nav")).to_contain_text("派单准确性")
    await supervisor.screenshots("misrouting")
    await expect(page).to_have_url(re.compile("/misrouting$"))
