"""The board's countdown and repeat list of a scope holding few open tickets are read from that scope's own open
tickets (board_*_held, from indexes alone: migration 0027). On the seeded history, every unit's lists read so are
the lines the lists read in their own order give (the queries of a large scope or the whole city). The overdue list
is read off the countdown's clocks: it is the list grouping every overdue clock of the scope gives."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import asyncpg

from dispatch.supervision import SupervisionKind
from hotline.board_snapshot import COUNTDOWN_BUFFER, SUPERVISED_LIMIT, overdue_lines, supervised_queries
from hotline.catalog_cache import load_catalog
from hotline.queries import Q, load_queries
from hotline.settings import Settings
from tests.support.history import NOW

# the lists' definitions read plainly, and the data planted to crowd them
T = load_queries(Path(__file__).with_name("sql"))


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
                overdue = [dict(r) for r in await conn.fetch(T.overdue_as_defined, units, now, SUPERVISED_LIMIT)]
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
            await conn.execute(T.hand_over_open_tickets, [c.id for c in catalog.tree.children(street.id)])
            await conn.execute(T.cancel_open_clocks, subtree, NOW)
            await conn.execute(T.plant_clocks, subtree, NOW)
        lengths = []
        for unit in (street, *catalog.tree.children(street.id)):
            units = sorted(catalog.tree.subtree_ids(unit.id))
            clocks = await conn.fetch(Q.board_countdown_held, units, COUNTDOWN_BUFFER)
            overdue = [dict(r) for r in await conn.fetch(T.overdue_as_defined, units, NOW, SUPERVISED_LIMIT)]
            assert overdue_lines(clocks, NOW) == overdue, unit.name
            lengths.append(len(overdue))
    assert lengths[0] == SUPERVISED_LIMIT and 0 < min(lengths[1:]) < SUPERVISED_LIMIT, lengths


SCOPES = ("district", "street", "community")  # levels holding tickets below the city
# The ranked lists as their definitions have them
RANKED = {
    SupervisionKind.DISSATISFIED: T.dissatisfied_as_defined,
    SupervisionKind.DISPUTED: T.disputed_as_defined,
}


async def test_the_dissatisfied_and_disputed_lists_hold_the_scopes_tickets_over_the_threshold(
    history: dict[str, int], pool: asyncpg.Pool, session_settings: Settings
) -> None:
    """Every unit's lists against a plain reading of their definitions, after 60 open tickets spread over the city
    were reopened and returned 1-4 times (more than 20 over each threshold in the city, fewer in most scopes)."""
    supervision = session_settings.supervision
    listed: Counter[str] = Counter()
    async with pool.acquire() as conn:
        await conn.execute(T.reopen_and_return_open_tickets)
        catalog = await load_catalog(conn)
        for unit in catalog.tree:
            units = sorted(catalog.tree.subtree_ids(unit.id))
            queries = supervised_queries(supervision, units, NOW)
            for kind, as_defined in RANKED.items():
                threshold = queries[kind][1][1]
                expected = await conn.fetch(as_defined, units, threshold, SUPERVISED_LIMIT)
                lines = await conn.fetch(queries[kind][0], *queries[kind][1])
                assert [r["id"] for r in lines] == [r["id"] for r in expected], (unit.name, kind)
                listed[f"{kind.value} {unit.level}"] += len(lines)
    assert listed["dissatisfied city"] == listed["disputed city"] == SUPERVISED_LIMIT, listed  # cut at the limit
    assert all(listed[f"{kind.value} {level}"] > 0 for kind in RANKED for level in SCOPES), listed
