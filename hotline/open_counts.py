"""The board's kept counts of tickets by holder and state (migration 0023). Intake and every move append a
change; the worker folds the changes into one row per holder and state, so a board's snapshot sums a few
hundred rows however many tickets are open, and no call waits on a shared counter row."""

from __future__ import annotations

from typing import Any

from hotline.queries import Q


async def fold_open_counts(ctx: dict[str, Any]) -> int:
    """arq cron, every few seconds: the changes since the last fold added to the kept counts. Returns how many
    holder-and-state rows changed."""
    async with ctx["pool"].acquire() as conn:
        status = await conn.execute(Q.fold_open_counts)
    return int(status.split()[-1])
