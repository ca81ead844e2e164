"""SLA clocks planted straight in the database, and their timers queued as the use-cases queue them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from hotline.queue import connect_queue
from hotline.settings import Settings
from hotline.sla.timers import schedule_timers

SHORT_REPLY = {"HOTLINE_SLA_REPLY_MINUTES": "0.05", "HOTLINE_SLA_REPLY_COUNTS": "natural"}  # due 3 s after dispatch

Planted = list[tuple[int, datetime, datetime]]  # (deadline id, warn at, due at)


async def plant_deadlines(pool: asyncpg.Pool, count: int, due_in: float, spread: float) -> Planted:
    """`count` open tickets at a community, each with a reply clock falling due within the window."""
    now = datetime.now(UTC)
    unit = await pool.fetchval("SELECT id FROM units WHERE code = 'DH-S1-C1'")
    rows = await pool.fetch(
        """WITH t AS (
               INSERT INTO tickets (number, type, channel, content, state, holder_unit_id, created_at, updated_at)
               SELECT 'F' || g, 'complaint', 'phone', '测试工单' || g, 'new', $1, $2, $2 FROM generate_series(1, $3) g
               RETURNING id)
           SELECT id FROM t ORDER BY id""",
        unit,
        now,
        count,
    )
    await pool.execute("UPDATE tickets SET state = 'assigned' WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
    planted = []
    for i, row in enumerate(rows):
        due = now + timedelta(seconds=due_in + spread * i / max(1, count))
        warn = due - timedelta(seconds=0.5)
        deadline_id = await pool.fetchval(
            """INSERT INTO deadlines (ticket_id, unit_id, track, rule_name, duration_seconds, counts, warn_fraction,
                                      start_at, due_at, warn_at)
               VALUES ($1, $2, 'reply', '测试时限', 60, 'natural', 0.8, $3, $4, $5) RETURNING id""",
            row["id"],
            unit,
            now,
            due,
            warn,
        )
        planted.append((deadline_id, warn, due))
    return planted


async def schedule(settings: Settings, planted: Planted) -> None:
    """Queue the timers of `planted` clocks on the settings' queue."""
    queue = connect_queue(settings)
    for _, warn, due in planted:
        await schedule_timers(queue, (warn, due))
    await queue.aclose()
