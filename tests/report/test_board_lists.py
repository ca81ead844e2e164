"""The board's countdown, overdue and repeat lists of a scope holding few open tickets are read from that scope's
own open tickets (board_*_held, from indexes alone: migration 0027). On the seeded history, every unit's lists
read so are the lines the lists read in their own order give (the queries of a large scope or the whole city)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import asyncpg

from dispatch.supervision import SupervisionKind
from hotline.board_snapshot import COUNTDOWN_BUFFER, supervised_queries
from hotline.catalog_cache import load_catalog
from hotline.queries import Q
from hotline.settings import Settings
from tests.support.history import NOW

KINDS = (SupervisionKind.OVERDUE, SupervisionKind.REPEAT)


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
                few = supervised_queries(supervision, units, now, open_held=0)
                walked = supervised_queries(supervision, units, now, open_held=None)
                for kind in KINDS:
                    assert few[kind][0] != walked[kind][0]  # the two queries, not one twice
                    lines = await conn.fetch(few[kind][0], *few[kind][1])
                    assert lines == await conn.fetch(walked[kind][0], *walked[kind][1]), (unit.name, kind)
                    listed[kind.value] += len(lines)
    assert min(listed.values()) > 0 and len(listed) == 3, listed  # every list compared on lines, not only empty
