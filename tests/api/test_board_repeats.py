"""重复诉求 on the supervisor's board: a ticket is counted when it comes in, as the n-th within the window from
the same caller, or of the same category at the same community; the board lists the open ones that reach
[supervision] repeat_count (3 here).

Who sees what: the city supervisor's board lists them with masked summaries and no caller's number; the
operator who took the calls is not asked.
"""

from __future__ import annotations

import asyncpg

from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL

WAGES_CALL = {
    "type": "help_request",
    "channel": "phone",
    "content": "公司拖欠我们三个月工资，老板联系不上，请帮忙讨薪。",
    "address": "",
    "category_code": "WAGES",
}


async def test_the_third_call_of_one_caller_or_of_one_place_and_category_is_listed(
    city: dict[str, int], login: Login, pool: asyncpg.Pool
) -> None:
    operator, supervisor = await login("operator"), await login("supervisor")

    async def take(call: dict[str, str], phone: str) -> int:
        return int(ok(await operator.post("/api/tickets", json={**call, "caller_phone": phone}), 201)["id"])

    # one caller: a noise complaint, then twice about wages (no place): the third call is the caller's third
    caller = [await take(NOISE_CALL, "13900001111"), await take(WAGES_CALL, "13900001111")]
    caller.append(await take(WAGES_CALL, "13900001111"))
    # one place: two more noise complaints at 柳岸花园 from other callers, the third of that place and category
    place = [await take(NOISE_CALL, "13900002222"), await take(NOISE_CALL, "13900003333")]
    # an independent count of the same rule over the tickets written
    counted = dict(
        await pool.fetch(
            """SELECT t.id, greatest(
                   (SELECT count(*) FROM tickets o WHERE o.caller_phone = t.caller_phone AND o.id <= t.id),
                   (SELECT count(*) FROM tickets o WHERE o.category_code = t.category_code AND o.id <= t.id
                      AND o.place ->> 'community_id' = t.place ->> 'community_id')) FROM tickets t"""
        )
    )
    assert [counted[t] for t in caller] == [1, 2, 3] and [counted[t] for t in place] == [2, 3]

    repeats = ok(await supervisor.get("/api/board"))["supervised"]["repeat"]["items"]
    assert {t["id"]: t["repeats"] for t in repeats} == {caller[2]: 3, place[1]: 3}
    assert all("caller_phone" not in t and "139" not in t["summary"] for t in repeats)

    # a ticket merged into the caller's earlier one leaves the list
    ok(await operator.post(f"/api/tickets/{caller[2]}/merge", json={"master_ticket_id": caller[1], "note": "同一诉求"}))
    repeats = ok(await supervisor.get("/api/board"))["supervised"]["repeat"]["items"]
    assert [t["id"] for t in repeats] == [place[1]]


async def test_the_place_count_reads_the_tickets_as_they_are_now(
    city: dict[str, int], login: Login, pool: asyncpg.Pool
) -> None:
    """ticket_places (migration 0021), which the place half of the count reads, holds every ticket with a category
    and a community, with their present values: written with the ticket, moved when it is re-categorised or
    re-placed, gone when it loses either."""
    operator = await login("operator")
    ids = [
        int(ok(await operator.post("/api/tickets", json={**NOISE_CALL, "caller_phone": f"1390000{n:04d}"}), 201)["id"])
        for n in range(4)
    ]
    wages = ok(await operator.post("/api/tickets", json={**WAGES_CALL, "caller_phone": "13900009999"}), 201)
    ids.append(int(wages["id"]))
    await pool.execute("UPDATE tickets SET category_code = 'WAGES' WHERE id = $1", ids[0])
    await pool.execute("UPDATE tickets SET place = place - 'community_id' WHERE id = $1", ids[1])
    await pool.execute("UPDATE tickets SET category_code = NULL WHERE id = $1", ids[2])
    other = next(unit for code, unit in sorted(city.items()) if code.endswith("-C2"))  # another community
    await pool.execute(
        "UPDATE tickets SET place = jsonb_set(place, '{community_id}', to_jsonb($1::bigint)) WHERE id = $2",
        other,
        ids[3],
    )
    expected = await pool.fetch(
        """SELECT id AS ticket_id, category_code, place ->> 'community_id' AS community, created_at FROM tickets
           WHERE category_code IS NOT NULL AND place ->> 'community_id' IS NOT NULL ORDER BY id"""
    )
    stored = await pool.fetch(
        "SELECT ticket_id, category_code, community, created_at FROM ticket_places ORDER BY ticket_id"
    )
    assert [dict(r) for r in stored] == [dict(r) for r in expected]
    assert ids[0] in {r["ticket_id"] for r in stored} and not {ids[1], ids[2]} & {r["ticket_id"] for r in stored}
