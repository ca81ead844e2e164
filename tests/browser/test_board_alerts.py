"""The board with a 3-second reply deadline: the overdue alert is on screen within 2 seconds of
the deadline, once, newest first; and the board reconnects by itself when its web process restarts."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.async_api import expect

from tests.support.api import Login
from tests.support.browser import Open
from tests.support.services import Processes, stop_process

pytestmark = pytest.mark.browser

REPLY_MINUTES = "0.05"  # 3 s, counted in natural time so the test does not depend on office hours
NOISE_CALL = {
    "type": "complaint",
    "content": "柳岸花园3栋楼下烧烤店凌晨两点还在营业，噪音很大。",
    "address": "东湖区青山街道柳岸花园3栋",
    "category_code": "NOISE",
    "caller_phone": "13812341234",
}

# Stamps, in the page, the moment each alert first appears in the feed.
WATCH_FEED = """() => {
  window.__seen = {};
  const stamp = () => {
    for (const li of document.querySelectorAll('#alerts li.alert')) {
      const key = li.dataset.key + '|' + li.className.match(/alert-(\\w+)/)[1];
      if (!(key in window.__seen)) window.__seen[key] = {at: Date.now(), text: li.textContent};
    }
  };
  new MutationObserver(stamp).observe(document.getElementById('alerts'), {childList: true, subtree: true});
  stamp();
}"""


SHORT_SLA = {"HOTLINE_SLA_REPLY_MINUTES": REPLY_MINUTES, "HOTLINE_SLA_REPLY_COUNTS": "natural"}


def epoch_ms(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp() * 1000


async def test_overdue_alert_on_the_board_within_two_seconds(
    city: dict[str, int], spawn: Processes, open_as: Open, login: Login
) -> None:
    """A web process and a worker of the test's own, with the short reply deadline."""
    await spawn.worker(**SHORT_SLA)
    base = await spawn.web(**SHORT_SLA)
    board = await open_as("dh-supervisor", base=base)
    page = board.page
    await expect(page.locator("#conn")).to_have_text("实时")
    await page.evaluate(WATCH_FEED)

    operator = await login("operator", base)
    response = await operator.post("/api/tickets", json=NOISE_CALL)
    assert response.status_code == 201, response.text
    ticket = response.json()
    reply = next(d for d in ticket["deadlines"] if d["track"] == "reply")
    due_ms = epoch_ms(reply["due_at"])
    assert 2_000 < due_ms - epoch_ms(reply["start_at"]) <= 3_100

    await page.wait_for_function("() => Object.keys(window.__seen).some(k => k.endsWith('|overdue'))", timeout=15_000)
    seen = await page.evaluate("window.__seen")
    overdue = next(v for k, v in seen.items() if k.endswith("|overdue"))
    warning = next((v for k, v in seen.items() if k.endswith("|warning")), None)
    assert ticket["number"] in overdue["text"]
    late_ms = overdue["at"] - due_ms
    assert -50 <= late_ms <= 2_000, f"overdue alert shown {late_ms:.0f} ms after the deadline"
    assert warning is not None and warning["at"] <= overdue["at"]

    # the board refetched after the alert (its overdue list names the ticket) lists the same alert again:
    # still shown once, newest first
    await expect(page.locator('.sup[data-kind="overdue"]')).to_contain_text(ticket["number"])
    assert await page.locator("#alerts li.alert-overdue").count() == 1
    times = await page.locator("#alerts li.alert time").evaluate_all("ts => ts.map(t => Date.parse(t.dateTime))")
    assert times == sorted(times, reverse=True)
    await expect(page.locator('.tile[data-state="assigned"] .tile-n')).to_have_text("1")
    await board.screenshots("board-alerts")

    # the web process restarts: the board reconnects by itself and misses nothing after that
    stop_process(spawn.web_processes[base])
    await expect(page.locator("#conn")).not_to_have_text("实时")
    await spawn.web(port=int(base.rsplit(":", 1)[1]), **SHORT_SLA)
    await expect(page.locator("#conn")).to_have_text("实时", timeout=20_000)
    response = await operator.post("/api/tickets", json={**NOISE_CALL, "caller_phone": "13900001111"})
    assert response.status_code == 201, response.text
    second = response.json()["number"]
    await expect(page.locator("#alerts li.alert-warning", has_text=second)).to_be_visible(timeout=10_000)
    await expect(page.locator('.tile[data-state="assigned"] .tile-n')).to_have_text("2")
