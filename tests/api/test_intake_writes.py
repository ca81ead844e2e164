"""What intake writes besides the ticket, now that it shares statements (hotline/tickets/intake.py): the model's
guess goes in with the ticket, a category the operator chose leaves none, and the board events the request
relayed are marked by the process's next batch of marks, without the worker's relay."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL
from tests.support.waiting import eventually


async def test_the_guess_is_kept_with_the_ticket_and_the_events_marked_relayed(
    city: dict[str, int], login: Login, pool: asyncpg.Pool
) -> None:
    operator = await login("operator")
    unsure = {k: v for k, v in NOISE_CALL.items() if k != "category_code"}  # the model guesses
    calls = [{**unsure, "caller_phone": f"1390000{i:04d}"} for i in range(6)]
    tickets = [ok(r, 201) for r in await asyncio.gather(*(operator.post("/api/tickets", json=c) for c in calls))]
    chosen = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)

    guessed = await pool.fetch(
        "SELECT p.ticket_id, p.model_version, p.category_code, p.top -> 0 ->> 'code' AS top_code, p.margin,"
        " t.category_code AS ticket_code"
        " FROM ticket_predictions p JOIN tickets t ON t.id = p.ticket_id ORDER BY p.ticket_id"
    )
    assert [r["ticket_id"] for r in guessed] == sorted(t["id"] for t in tickets)
    for row in guessed:
        assert row["model_version"] and row["category_code"] == row["ticket_code"] == row["top_code"]
        assert 0 <= row["margin"] <= 1
    assert chosen["category_source"] == "operator" and chosen["id"] not in [r["ticket_id"] for r in guessed]

    unrelayed = "SELECT count(*) = 0 FROM board_outbox WHERE relayed_at IS NULL"
    await eventually(lambda: pool.fetchval(unrelayed), timeout=2, message="the web process marked what it relayed")
