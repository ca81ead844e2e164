"""The board's countdown and repeat list of a scope holding few open tickets are read from that scope's own open
tickets (board_*_held, from indexes alone: migration 0027). On the seeded history, every unit's lists read so are
the lines the lists read in their own order give (the queries of a large scope or the whole city). The overdue list
is read off the countdown's clocks: it is the list grouping every overdue clock of the scope gives."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import asyncpg

from dispatch.supervision import SupervisionKind
from hotline.board_snapshot import COUNTDOWN_BUFFER, SUPERVISED_LIMIT, overdue_lines, supervised_queries
from hotline.catalog_cache import load_catalog
from hotline.queries import Q
from hotline.settings import Settings
from tests.support.history import NOW

# 超期未办结 as its definition has it (dispatch/supervision.py is_overdue): every running clock of the scope past its
# due time, the earliest per ticket; the earliest first, then by ticket
OVERDUE = """
SELECT t.id, t.number, t.state, t.holder_unit_id, t.category_code, left(t.content, 120) AS summary, t.created_at,
       min(d.due_at) AS due_at
FROM deadlines d JOIN tickets t ON t.id = d.ticket_id
WHERE d.status = 'running' AND d.track IN ('reply', 'accept', 'complete') AND d.due_at <= $2
  AND t.holder_unit_id = ANY($1)
GROUP BY t.id ORDER BY min(d.due_at), t.id LIMIT $3
"""

# 40 open tickets handed to the units $1 in turn (the history leaves a street few)
HAND_OVER = """
WITH chosen AS (
    SELECT t.id, row_number() OVER (ORDER BY t.id) - 1 AS i FROM tickets t
    WHERE t.state NOT IN ('closed', 'closed_on_spot', 'merged') ORDER BY t.id LIMIT 40
)
UPDATE tickets t SET holder_unit_id = ($1::bigint[])[c.i % cardinality($1) + 1] FROM chosen c WHERE t.id = c.id
"""

# The open tickets of a street ($1 its units), each given three running clocks due around $2 (NOW): i < 30 a reply
# clock overdue by i % 10 minutes (three tickets to each due time), the others one due in 20 minutes; an accept
# clock due from 3 hours before to 3 hours after, by i % 7 (i % 7 == 3: due at NOW itself, overdue); a completion
# clock due in 30 minutes. Of 40, 36 are overdue, some by their accept clock before their reply clock.
PLANT_CLOCKS = """
WITH chosen AS (
    SELECT t.id, t.holder_unit_id, row_number() OVER (ORDER BY t.id) - 1 AS i, $2::timestamptz AS now FROM tickets t
    WHERE t.holder_unit_id = ANY($1) AND t.state NOT IN ('closed', 'closed_on_spot', 'merged')
)
INSERT INTO deadlines (ticket_id, unit_id, track, rule_name, duration_seconds, counts, warn_fraction, start_at, due_at,
                       warn_at)
SELECT c.id, c.holder_unit_id, k.track, 'planted', 3600, 'natural', 0.5, c.now - interval '1 day', k.due, k.due
FROM chosen c CROSS JOIN LATERAL (VALUES
    ('reply', CASE WHEN c.i < 30 THEN c.now - (c.i % 10) * interval '1 minute' ELSE c.now + interval '20 minutes' END),
    ('accept', c.now - interval '3 hours' + (c.i % 7) * interval '1 hour'),
    ('complete', c.now + interval '30 minutes')
) k (track, due)
"""


async def test_a_small_scope_lists_the_same_lines_from_its_own_open_tickets(
    history: dict[str, int], pool: asyncpg.Pool, session_settings: Settings
) -> None:
    supervision = session_settings.supervision
    listed: Counter[str] = Counter()
    async with pool.acquire() as conn:
        catalog = await load_catalog(conn)
        for now in (NOW, NOW - timedelta(days=30)):  # a month earlier, more of the history is open and repeats
            for unit in catalog.tree:
                units = sorted(catalog.tree.subtree_ids(unit.id))
                held = await conn.fetch(Q.board_countdown_held, units, COUNTDOWN_BUFFER)
                assert held == await conn.fetch(Q.board_countdown, units, COUNTDOWN_BUFFER), unit.name
                listed["countdown"] += len(held)
                overdue = [dict(r) for r in await conn.fetch(OVERDUE, units, now, SUPERVISED_LIMIT)]
                assert overdue_lines(held, now) == overdue, unit.name
                listed["overdue"] += len(overdue)
                few = supervised_queries(supervision, units, now, open_held=0)[SupervisionKind.REPEAT]
                walked = supervised_queries(supervision, units, now, open_held=None)[SupervisionKind.REPEAT]
                assert few[0] != walked[0]  # the two queries, not one twice
                lines = await conn.fetch(few[0], *few[1])
                assert lines == await conn.fetch(walked[0], *walked[1]), unit.name
                listed["repeat"] += len(lines)
    assert min(listed.values()) > 0 and len(listed) == 3, listed  # every list compared on lines, not only empty


async def test_the_overdue_list_read_off_the_countdown_is_every_overdue_clock_grouped(
    history: dict[str, int], pool: asyncpg.Pool
) -> None:
    """Crowded clocks: more overdue tickets than the list holds, several running clocks per ticket, ties of due
    time, a clock due at the very moment, others due soon; the street's list and each community's."""
    async with pool.acquire() as conn:
        catalog = await load_catalog(conn)
        street = next(u for u in catalog.tree if u.level == "street")
        subtree = sorted(catalog.tree.subtree_ids(street.id))
        async with conn.transaction():
            await conn.execute(HAND_OVER, [c.id for c in catalog.tree.children(street.id)])
            await conn.execute(
                "UPDATE deadlines SET status = 'cancelled', ended_at = $2 FROM tickets t WHERE t.id = ticket_id"
                " AND t.holder_unit_id = ANY($1) AND status IN ('running', 'paused')",
                subtree, NOW,
            )  # fmt: skip
            await conn.execute(PLANT_CLOCKS, subtree, NOW)
        lengths = []
        for unit in (street, *catalog.tree.children(street.id)):
            units = sorted(catalog.tree.subtree_ids(unit.id))
            clocks = await conn.fetch(Q.board_countdown_held, units, COUNTDOWN_BUFFER)
            overdue = [dict(r) for r in await conn.fetch(OVERDUE, units, NOW, SUPERVISED_LIMIT)]
            assert overdue_lines(clocks, NOW) == overdue, unit.name
            lengths.append(len(overdue))
    assert lengths[0] == SUPERVISED_LIMIT and 0 < min(lengths[1:]) < SUPERVISED_LIMIT, lengths


SCOPES = ("district", "street", "community")  # levels holding tickets below the city
# The ranked lists as their definitions have them: open tickets at or over the threshold ($2) in the scope ($1)
RANKED = {
    SupervisionKind.DISSATISFIED: "reopen_count",
    SupervisionKind.DISPUTED: "return_count",
}


async def test_the_dissatisfied_and_disputed_lists_hold_the_scopes_tickets_over_the_threshold(
    history: dict[str, int], pool: asyncpg.Pool, session_settings: Settings
) -> None:
    """Every unit's lists against a plain reading of their definitions, after 60 open tickets spread over the city
    were reopened and returned 1-4 times (more than 20 over each threshold in the city, fewer in most scopes)."""
    supervision = session_settings.supervision
    listed: Counter[str] = Counter()
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE tickets SET reopen_count = 1 + id % 4, return_count = 1 + (id / 4) % 4 WHERE id IN (SELECT id"
            " FROM tickets WHERE state NOT IN ('closed', 'closed_on_spot', 'merged') ORDER BY id LIMIT 60)"
        )  # fmt: skip
        catalog = await load_catalog(conn)
        for unit in catalog.tree:
            units = sorted(catalog.tree.subtree_ids(unit.id))
            queries = supervised_queries(supervision, units, NOW)
            for kind, figure in RANKED.items():
                threshold = queries[kind][1][1]
                expected = await conn.fetch(
                    f"SELECT id FROM tickets WHERE state NOT IN ('closed', 'closed_on_spot', 'merged')"
                    f" AND {figure} >= $2 AND holder_unit_id = ANY($1) ORDER BY {figure} DESC, id DESC LIMIT $3",
                    units, threshold, SUPERVISED_LIMIT,
                )  # fmt: skip
                lines = await conn.fetch(queries[kind][0], *queries[kind][1])
                assert [r["id"] for r in lines] == [r["id"] for r in expected], (unit.name, kind)
                listed[f"{kind.value} {unit.level}"] += len(lines)
    assert listed["dissatisfied city"] == listed["disputed city"] == SUPERVISED_LIMIT, listed  # cut at the limit
    assert all(listed[f"{kind.value} {level}"] > 0 for kind in RANKED for level in SCOPES), listed
