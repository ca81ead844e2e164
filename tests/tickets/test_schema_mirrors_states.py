"""States and statuses are defined once, in dispatch/, and the database enforces the same lists:
the CHECK constraints of the status columns and the ticket transition table (migration 0002's
comment names this test)."""

import re

import asyncpg
import pytest

from dispatch.states import TicketState, transition_pairs
from dispatch.statuses import AppealStatus, DeadlineStatus, ExtensionStatus, OrderStatus

# the jump test adds a city unit, and a database holds one only
pytestmark = pytest.mark.usefixtures("clean")

CHECKED_VALUES = re.compile(r"'([a-z_]+)'::text")


async def check_values(pool: asyncpg.Pool, table: str, column: str) -> set[str]:
    """The values the column's own CHECK constraint allows (`column IN (...)`, named table_column_check)."""
    definition = await pool.fetchval(
        """SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
           WHERE t.relname = $1 AND c.conname = $2 AND c.contype = 'c'""",
        table,
        f"{table}_{column}_check",
    )
    assert definition is not None, f"{table}.{column} has no CHECK constraint of its own"
    return set(CHECKED_VALUES.findall(definition))


@pytest.mark.parametrize(
    ("table", "column", "enum"),
    [
        ("tickets", "state", TicketState),
        ("deadlines", "status", DeadlineStatus),
        ("extension_requests", "status", ExtensionStatus),
        ("appeals", "status", AppealStatus),
        ("supervision_orders", "status", OrderStatus),
    ],
)
async def test_the_database_allows_exactly_the_values_the_code_defines(
    pool: asyncpg.Pool, table: str, column: str, enum: type
) -> None:
    assert await check_values(pool, table, column) == {member.value for member in enum}


async def test_the_transition_table_is_the_state_machine(pool: asyncpg.Pool) -> None:
    rows = await pool.fetch("SELECT from_state, to_state FROM ticket_transitions ORDER BY 1, 2")
    assert [(r["from_state"], r["to_state"]) for r in rows] == transition_pairs()


async def test_the_database_refuses_a_jump_the_state_machine_does_not_allow(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            unit = await conn.fetchval(
                "INSERT INTO units (code, name, level) VALUES ('T-ROOT', '测试市', 'city') RETURNING id"
            )
            ticket = await conn.fetchval(
                """INSERT INTO tickets (number, type, channel, content, state, holder_unit_id, created_at, updated_at)
                   VALUES ('T1', 'complaint', 'phone', '测试', 'new', $1, now(), now()) RETURNING id""",
                unit,
            )
            with pytest.raises(asyncpg.CheckViolationError, match="cannot go from new to closed"):
                await conn.execute("UPDATE tickets SET state = 'closed' WHERE id = $1", ticket)
        finally:
            await transaction.rollback()  # leave nothing behind for the other tests


def test_the_board_lists_name_the_states_that_are_not_open() -> None:
    """board_supervised_* and the partial indexes they read (migrations 0019, 0022) name the states that are not
    open literally (a generic plan cannot prove a parameter's list): the board's open states are all the others."""
    from hotline.board_snapshot import OPEN
    from hotline.queries import Q

    closed = {"closed", "closed_on_spot", "merged"}
    assert set(OPEN) == {s.value for s in TicketState} - closed
    literal = "t.state NOT IN ('closed', 'closed_on_spot', 'merged')"
    for sql in (Q.board_supervised_dissatisfied, Q.board_supervised_disputed, Q.board_supervised_repeat):
        assert literal in sql
