"""`hotline demo seed --months M` writes bulk history with everything the report reads."""

from __future__ import annotations

from collections.abc import Callable
from subprocess import CompletedProcess

import asyncpg
import pytest

pytestmark = pytest.mark.usefixtures("clean")


async def test_demo_seed_with_months_writes_history(
    pool: asyncpg.Pool, hotline_cli: Callable[..., CompletedProcess[str]]
) -> None:
    done = hotline_cli("demo", "seed", "--tickets", "800", "--months", "3")
    assert done.returncode == 0, done.stderr
    assert "历史工单" in done.stdout
    row = await pool.fetchrow(
        """SELECT count(*) AS tickets, count(DISTINCT state) AS states, min(created_at) AS first,
                  count(*) FILTER (WHERE return_count >= 2) AS disputed,
                  count(*) FILTER (WHERE satisfaction = 'dissatisfied' AND reopen_count > 0) AS dissatisfied,
                  count(*) FILTER (WHERE lead_unit_id IS NULL AND state <> 'closed_on_spot') AS unrouted
           FROM tickets"""
    )
    assert row["tickets"] == 800 + 36  # plus the three planted clusters of twelve
    assert row["states"] >= 4 and row["disputed"] > 0 and row["dissatisfied"] > 0 and row["unrouted"] == 0
    for table in ("deadlines", "contacts", "appeals", "sla_alerts", "ticket_units"):
        assert await pool.fetchval(f"SELECT count(*) FROM {table}") > 0, table
    assert await pool.fetchval("SELECT count(*) FROM appeals WHERE status = 'approved'") > 0
    # the trigger that guards live state changes is back on
    assert await pool.fetchval("SELECT tgenabled <> 'D' FROM pg_trigger WHERE tgname = 'tickets_transition'")
