"""The supervisor's board updates in place (issue 15, point 1): after its snapshot it reads nothing more while
tickets are created, dispatched, signed, completed, reviewed, closed, returned, run overdue and are reopened, and
what it then shows equals a fresh snapshot (GET /api/board, read by another client)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.async_api import Locator, expect

from tests.support.api import Login, ok
from tests.support.browser import Open, reload_live_board
from tests.support.calls import NOISE_CALL
from tests.support.office import CONTACT, reviewed_ticket
from tests.support.services import Processes
from tests.support.waiting import eventually

pytestmark = pytest.mark.browser

# a 3-second reply clock, in natural time, so an overdue alert comes during the test whatever the hour
SHORT_SLA = {"HOTLINE_SLA_REPLY_MINUTES": "0.05", "HOTLINE_SLA_REPLY_COUNTS": "natural"}
CALLER = "13812345678"  # one caller for every ticket: the third and later are 重复诉求 (repeat_count 3)

# What the page shows, read from the DOM: the figures a supervisor reads off the wall.
READ_BOARD = """() => {
  const text = (sel) => document.querySelector(sel).textContent;
  const ids = (sel) => [...document.querySelectorAll(sel)].map((li) => Number(li.dataset.ticket));
  return {
    states: Object.fromEntries([...document.querySelectorAll('#tiles .tile')].map(
      (t) => [t.dataset.state, Number(t.querySelector('.tile-n').textContent)])),
    units: Object.fromEntries([...document.querySelectorAll('#units .bar-row')].map(
      (r) => [r.dataset.unit, Number(r.querySelector('.bar-n').textContent)])),
    countdown: [...document.querySelectorAll('#countdown li[data-ticket]')].map(
      (li) => [Number(li.dataset.ticket), Number(li.dataset.deadline)]),
    supervised: Object.fromEntries([...document.querySelectorAll('#supervised .sup')].map(
      (s) => [s.dataset.kind, ids(`#supervised .sup[data-kind="${s.dataset.kind}"] li[data-ticket]`)])),
    callbacks: {rate: text('#cb-rate'), satisfaction: text('#cb-satisfaction'), waiting: text('#cb-waiting'),
                overdue: text('#cb-overdue')},
  };
}"""


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def expected(board: dict[str, Any]) -> dict[str, Any]:
    """GET /api/board's figures in the form READ_BOARD reads them off the page."""
    c = board["callbacks"]
    return {
        "states": {s: v["count"] for s, v in board["counts_by_state"].items()},
        "units": {str(u["unit_id"]): u["open"] for u in board["counts_by_unit"]},
        "countdown": [[d["id"], d["deadline_id"]] for d in board["countdown"]],
        "supervised": {kind: [t["id"] for t in v["items"]] for kind, v in board["supervised"].items()},
        "callbacks": {
            "rate": pct(c["callback_rate"]),
            "satisfaction": pct(c["satisfaction_rate"]),
            "waiting": str(c["waiting"]),
            "overdue": str(c["overdue"]),
        },
    }


def comparable(figures: dict[str, Any]) -> dict[str, Any]:
    # tickets overdue since the same instant may come in either order (the query orders by due time only)
    return {**figures, "supervised": {**figures["supervised"], "overdue": sorted(figures["supervised"]["overdue"])}}


async def test_the_board_follows_a_day_of_events_without_reading_it_again(
    city: dict[str, int], spawn: Processes, open_as: Open, login: Login
) -> None:
    await spawn.worker(**SHORT_SLA)
    base = await spawn.web(**SHORT_SLA)
    board = await open_as("dh-supervisor", base=base)
    page = board.page

    # from a fresh load on: every board read over HTTP, and every frame over the websocket
    reads: list[str] = []
    page.on("request", lambda r: reads.append(r.url) if "/api/board" in r.url else None)
    frames = await reload_live_board(page)

    def snapshots() -> int:
        return sum(f["type"] == "snapshot" for f in frames)

    assert snapshots() == 1
    reads_at_start = len(reads)

    operator, handler, street = (
        await login("operator", base),
        await login("dh-s1-c1-handler", base),
        await login("dh-s1-dispatcher", base),
    )

    async def new_ticket(n: int) -> int:
        call = {**NOISE_CALL, "caller_phone": CALLER, "content": f"{NOISE_CALL['content']}（第{n}次来电）"}
        return int(ok(await operator.post("/api/tickets", json=call), 201)["id"])

    async def act(client: httpx.AsyncClient, tid: int, action: str, body: dict[str, Any] | None = None) -> None:
        ok(await client.post(f"/api/tickets/{tid}/{action}", json=body))

    async def to_callback(tid: int) -> None:
        await act(handler, tid, "sign")
        await act(handler, tid, "contact", CONTACT)
        await act(handler, tid, "complete", {"result": "已责令烧烤店22点前停止营业"})
        await act(street, tid, "completion-review", {"approve": True, "note": "材料齐全"})

    # created → dispatched (auto, to 柳岸社区) → signed → contacted → completed → reviewed → closed (satisfied)
    closed = await new_ticket(1)
    await to_callback(closed)
    await act(operator, closed, "callback", {"reached": True, "resolved": True, "satisfaction": "satisfied"})
    # left alone: its 3-second reply clock runs out (sla.warning, sla.overdue, and the automatic 督办单)
    overdue = await new_ticket(2)
    # the third call of the same caller (重复诉求), reviewed, then the caller is dissatisfied: 重办
    reopened = await new_ticket(3)
    await to_callback(reopened)
    await act(operator, reopened, "callback", {"reached": True, "resolved": False, "satisfaction": "dissatisfied",
                                               "note": "仍然很吵"})  # fmt: skip
    # returned twice (多次退单): back to the unit after the first, waiting for review after the second
    disputed = await new_ticket(4)
    await act(handler, disputed, "return", {"reason": "不属于本社区"})
    await act(street, disputed, "return-review", {"approve": False, "note": "属于本社区"})
    await act(handler, disputed, "return", {"reason": "确实不属于本社区"})

    def listed(kind: str, tid: int) -> Locator:
        return page.locator(f'#supervised .sup[data-kind="{kind}"] li[data-ticket="{tid}"]')

    await expect(listed("overdue", overdue)).to_be_visible(timeout=15_000)
    await expect(listed("dissatisfied", reopened)).to_be_visible()
    await expect(listed("repeat", reopened)).to_be_visible()
    await expect(listed("disputed", disputed)).to_be_visible()
    await expect(page.locator(f'#countdown li[data-ticket="{closed}"]')).to_have_count(0)

    # the page and a fresh snapshot agree, once the clocks that run out during the test have raised their alerts
    supervisor = await login("dh-supervisor", base)
    shown: dict[str, Any] = {}
    fresh: dict[str, Any] = {}
    for _ in range(40):
        fresh = comparable(expected(ok(await supervisor.get("/api/board"))))
        await asyncio.sleep(0.3)  # an event that changed the snapshot reaches the page within this
        shown = comparable(await page.evaluate(READ_BOARD))
        if shown == fresh:
            break
        await asyncio.sleep(0.5)
    assert shown == fresh
    assert shown["states"]["assigned"] >= 1 and shown["callbacks"]["satisfaction"] == "50.0%"
    assert shown["supervised"]["repeat"] == [disputed, reopened]  # the 4th and 3rd calls; the 2nd is under 3

    # nothing of this came from reading the board again
    assert reads[reads_at_start:] == []
    assert snapshots() == 1
    assert board.errors == []


# The page's own model (static/board_state.js) from the snapshot and the events this board received, read as
# the page would draw it at each of `times` (epoch ms): its 回访 figures.
CALLBACKS_AT = """async ([snapshot, events, times]) => {
  const { fromSnapshot, applyEvent, view } = await import("/static/board_state.js");
  const { loadUnits } = await import("/static/common.js");
  const units = await loadUnits();
  const model = fromSnapshot(snapshot, (id) => (units.get(id) || {}).parent_id ?? null);
  for (const frame of events) applyEvent(model, frame);
  return times.map((t) => {
    const c = view(model, t).callbacks;
    return [c.finished, c.reached, c.satisfied, c.callback_rate, c.satisfaction_rate];
  });
}"""
HOUR_MS = 3_600_000


async def test_the_callback_figures_of_a_board_left_open_drop_each_hour_as_it_leaves_the_window(
    city: dict[str, int], open_as: Open, login: Login
) -> None:
    """回访率 and 满意率 count the callbacks from the start of the hour (UTC) 30 days ago. A board kept current by
    events drops them as their hour leaves that window, those of its snapshot and those of its events alike, so
    a board left open for days agrees with a fresh snapshot (before, its window started at the snapshot)."""
    operator, handler, street = (
        await login("operator"),
        await login("dh-s1-c1-handler"),
        await login("dh-s1-dispatcher"),
    )
    satisfied = {"reached": True, "resolved": True, "satisfaction": "satisfied"}
    before = await reviewed_ticket(operator, handler, street, "13900002222")
    ok(await operator.post(f"/api/tickets/{before}/callback", json=satisfied))  # in the snapshot

    board = await open_as("dh-supervisor")
    page = board.page
    frames = await reload_live_board(page)
    after = await reviewed_ticket(operator, handler, street, "13900003333")
    ok(
        await operator.post(
            f"/api/tickets/{after}/callback", json={**satisfied, "satisfaction": "dissatisfied", "note": "仍然很吵"}
        )
    )
    await expect(page.locator("#cb-satisfaction")).to_have_text("50.0%")  # the event's callback, drawn

    snapshot = next(f["data"] for f in frames if f["type"] == "snapshot")
    events = [f for f in frames if f["type"] == "event"]
    fresh = ok(await (await login("dh-supervisor")).get("/api/board"))["callbacks"]
    counted = [
        fresh["finished"],
        fresh["reached"],
        fresh["satisfied"],
        fresh["callback_rate"],
        fresh["satisfaction_rate"],
    ]
    assert counted == [2, 2, 1, 1.0, 0.5]
    # both callbacks are of the last hour, or the first of the hour before (the test ran across an hour's end)
    last_hour, *last_counts = max(fresh["hours"])
    leaves = int((datetime.fromisoformat(last_hour) + timedelta(days=30, hours=1)).timestamp() * 1000)
    now = int(datetime.now(UTC).timestamp() * 1000)

    figures = await page.evaluate(CALLBACKS_AT, [snapshot, events, [now, leaves - 1, leaves]])
    assert figures[0] == counted  # now: as a fresh snapshot counts them
    assert figures[1][:3] == last_counts  # the window about to pass the last hour: that hour's alone
    assert figures[2] == [0, 0, 0, None, None]  # past it: nothing left


OVERDUE_CALLBACKS = """async (frames) => {
  const { fromSnapshot, applyEvent, view } = await import("/static/board_state.js");
  const { loadUnits } = await import("/static/common.js");
  const units = await loadUnits();
  const [snapshot, ...events] = frames;
  const model = fromSnapshot(snapshot.data, (id) => (units.get(id) || {}).parent_id ?? null);
  for (const frame of events) applyEvent(model, frame);
  return [snapshot.data.callbacks.overdue, view(model, Date.now()).callbacks.overdue];
}"""


async def test_an_overdue_callback_alert_announced_by_the_sweep_is_counted_once(
    city: dict[str, int], spawn: Processes, open_as: Open, login: Login, pool: asyncpg.Pool
) -> None:
    """回访超时 counts a callback clock's overdue alert from its announcement on. An alert written without one (by
    hand, or before the board outbox existed) is announced by the worker's sweep; a board whose snapshot came
    between the two counted it in the snapshot and again on the sweep's event (2 where a fresh snapshot says 1)."""
    operator, handler, street = (
        await login("operator"),
        await login("dh-s1-c1-handler"),
        await login("dh-s1-dispatcher"),
    )
    ticket = await reviewed_ticket(operator, handler, street, "13900004444")
    await pool.execute(
        """INSERT INTO sla_alerts (deadline_id, ticket_id, unit_id, kind, due_at, raised_at)
           SELECT id, ticket_id, unit_id, 'overdue', due_at, now() - interval '1 minute'
           FROM deadlines WHERE ticket_id = $1 AND track = 'callback' AND status = 'running'""",
        ticket,
    )
    page = (await open_as("dh-supervisor")).page
    frames = await reload_live_board(page)
    await spawn.worker()  # its sweep announces the alert

    def announced() -> bool:
        return any(f["type"] == "event" and f["event_type"] == "sla.overdue" for f in frames)

    await eventually(announced, message="the sweep's sla.overdue on the board")
    in_snapshot, kept_current = await page.evaluate(
        OVERDUE_CALLBACKS, [f for f in frames if f["type"] in ("snapshot", "event")]
    )
    fresh = ok(await (await login("dh-supervisor")).get("/api/board"))["callbacks"]["overdue"]
    assert (in_snapshot, kept_current, fresh) == (0, 1, 1)
