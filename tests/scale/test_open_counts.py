"""The board's counts are kept as rows (issue 15 point 3, migration 0023): a new ticket and every move append a
change, and the worker folds the changes into one row per holder and state. Whatever has been folded, a board's
counts by state and by unit are the tickets' own counts, counted here from the tickets; calls taken while folds run
are all counted. The city supervisor sees every ticket, by district; 东湖区's supervisor only 东湖区's subtree, by
street. The counts name no citizen, so no personal data is involved."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx

from hotline.settings import Settings
from tests.support.api import Login, ok
from tests.support.calls import CLUSTER_CALLS, NOISE_CALL
from tests.support.jobs import run_through_queue
from tests.support.office import reviewed_ticket, signed_ticket

# each ticket's holder and the unit it counts under on a board: the child of the board's unit on the way down
UNDER = """
WITH RECURSIVE down (id, top) AS (
    SELECT id, id FROM units WHERE parent_id = $1
    UNION ALL SELECT u.id, down.top FROM units u JOIN down ON u.parent_id = down.id
)
SELECT t.state, down.top FROM tickets t JOIN down ON down.id = t.holder_unit_id
"""


async def board_counts(board: httpx.AsyncClient) -> tuple[dict[str, int], dict[int, int]]:
    data = ok(await board.get("/api/board"))
    by_state = {state: v["count"] for state, v in data["counts_by_state"].items() if v["count"]}
    return by_state, {u["unit_id"]: u["open"] for u in data["counts_by_unit"] if u["open"]}


async def counted(pool: asyncpg.Pool, unit_id: int, states: list[str], everyone: bool) -> tuple[dict, dict]:
    """The same counts from the tickets themselves: `everyone` for the centre, whose board counts undispatched
    tickets too (by state only: they are under no district)."""
    rows = await pool.fetch(UNDER, unit_id)
    by_state: dict[str, int] = {}
    by_unit: dict[int, int] = {}
    for r in rows:
        if r["state"] in states:
            by_state[r["state"]] = by_state.get(r["state"], 0) + 1
            by_unit[r["top"]] = by_unit.get(r["top"], 0) + 1
    if everyone:
        unheld = await pool.fetch("SELECT state, count(*) AS n FROM tickets WHERE holder_unit_id IS NULL GROUP BY 1")
        for r in unheld:
            if r["state"] in states:
                by_state[r["state"]] = by_state.get(r["state"], 0) + r["n"]
    return by_state, by_unit


async def fold(settings: Settings, n: int) -> Any:
    return await run_through_queue(settings, "fold_open_counts", f"fold-open-counts-{n}")


async def test_board_counts_are_the_tickets_counts_before_and_after_a_fold(
    city: dict[str, int], login: Login, pool: asyncpg.Pool, settings: Settings
) -> None:
    operator, handler = await login("operator"), await login("dh-s1-c1-handler")
    street = await login("dh-s1-dispatcher")
    city_board, district_board = await login("supervisor"), await login("dh-supervisor")
    states = list(ok(await city_board.get("/api/board"))["counts_by_state"])

    async def check() -> None:
        assert await board_counts(city_board) == await counted(pool, city["YC"], states, everyone=True)
        assert await board_counts(district_board) == await counted(pool, city["DH"], states, everyone=False)

    await signed_ticket(operator, handler, "13900000001")
    await reviewed_ticket(operator, handler, street, "13900000002")
    for n, (address, category, text, _how_many) in enumerate(CLUSTER_CALLS):
        call = {**NOISE_CALL, "address": address, "category_code": category, "content": text}
        ok(await operator.post("/api/tickets", json={**call, "caller_phone": f"1390000010{n}"}), 201)
    by_state, by_unit = await board_counts(city_board)
    assert sum(by_state.values()) == 2 + len(CLUSTER_CALLS) and len(by_unit) >= 2, "tickets in two districts at least"
    assert {"signed", "reviewed"} <= set(by_state)
    await check()  # all from unfolded changes

    assert await fold(settings, 1) > 0
    assert await pool.fetchval("SELECT count(*) FROM open_count_changes") == 0
    await check()  # all from the folded rows

    await signed_ticket(operator, handler, "13900000003")  # a new ticket and a move after the fold
    await check()  # folded rows and new changes together
    assert await fold(settings, 2) > 0
    assert await fold(settings, 3) == 0  # nothing left to fold
    await check()


async def test_calls_taken_while_folds_run_are_all_counted(
    city: dict[str, int], login: Login, settings: Settings
) -> None:
    operator, handler, city_board = await login("operator"), await login("dh-s1-c1-handler"), await login("supervisor")
    calls = 24

    async def folds() -> None:
        for n in range(6):
            await fold(settings, n)

    await asyncio.gather(*(signed_ticket(operator, handler, f"139000002{n:02d}") for n in range(calls)), folds())
    assert await board_counts(city_board) == ({"signed": calls}, {city["DH"]: calls})
    await fold(settings, 99)
    assert await board_counts(city_board) == ({"signed": calls}, {city["DH"]: calls})
