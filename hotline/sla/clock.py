"""The SLA clocks of tickets: start, meet, cancel, pause, extend — stored as facts, due dates derived.

The rules and the calendar come from the database (hotline/sla/rules_store.py, reloaded when an
administrator changes them); the arithmetic is dispatch/sla.py.
Whenever a running clock's due date is (re)computed, timer jobs are queued after commit
(hotline/sla/timers.py); a job that finds the clock moved or stopped does nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from dispatch.calendar import Counting
from dispatch.sla import Extension, SlaRule, Track, compute_deadline
from dispatch.statuses import DeadlineStatus
from hotline.queries import Q
from hotline.settings import CallbackSettings, Settings
from hotline.sla.rules import SlaRules
from hotline.sla.rules_store import SlaRulesCache
from hotline.sla.timers import TIMER_HORIZON, schedule_timers
from hotline.tickets.journal import Context
from hotline.tickets.records import Ticket


@dataclass(frozen=True)
class OpenDeadline:
    id: int
    ticket_id: int
    unit_id: int
    track: Track
    rule: SlaRule
    start_at: datetime
    due_at: datetime
    warn_at: datetime
    status: DeadlineStatus


def _deadline(row: asyncpg.Record) -> OpenDeadline:
    rule = SlaRule(
        row["rule_name"],
        Track(row["track"]),
        timedelta(seconds=row["duration_seconds"]),
        Counting(row["counts"]),
        row["warn_fraction"],
    )
    return OpenDeadline(
        row["id"],
        row["ticket_id"],
        row["unit_id"],
        Track(row["track"]),
        rule,
        row["start_at"],
        row["due_at"],
        row["warn_at"],
        DeadlineStatus(row["status"]),
    )


class Completion(enum.Enum):
    """What a new holder means for the completion clock."""

    KEEP = "keep"  # it runs on (a rejected return: the same unit again)
    FIRST = "first"  # it starts with the first assignment and then runs on through re-dispatches
    RESTART = "restart"  # it starts anew (重办 after a dissatisfied callback)


class SlaClock:
    def __init__(self, rules: SlaRulesCache, callback_hours: float = CallbackSettings.deadline_hours):
        self.rules = rules
        self.callback_hours = callback_hours

    @classmethod
    def from_settings(cls, settings: Settings) -> SlaClock:
        return cls(SlaRulesCache(settings), settings.callback.deadline_hours)

    async def current(self, conn: asyncpg.Connection) -> SlaRules:
        """The rules and calendar in force (stored ones, reloaded when they change)."""
        return await self.rules.get(conn)

    async def in_force(self, ctx: Context) -> SlaRules:
        """`current` for a ticket use-case: against the version its transaction read when it began."""
        return await self.rules.get(ctx.conn, ctx.sla_rules_version)

    async def start(self, ctx: Context, ticket: Ticket, unit_id: int, completion: Completion) -> None:
        """Clocks for the unit that just received the ticket: it must reply (ordinary) or accept (complex)
        in time, so that clock starts anew; the completion clock as `completion` says."""
        current = await self.in_force(ctx)
        rules = [current.policy.response_rule(ticket.is_complex)]
        if completion is not Completion.KEEP:
            rules.append(current.policy.completion_rule(ticket.type.value, ticket.category_code or ""))
        ending = [Track.REPLY, Track.ACCEPT, *([Track.COMPLETE] if completion is Completion.RESTART else [])]
        deadlines = [compute_deadline(rule, ctx.now, current.calendar) for rule in rules]
        rows = await ctx.conn.fetch(
            Q.start_clocks,
            ticket.id,
            unit_id,
            ctx.now,
            [t.value for t in ending],
            completion is Completion.FIRST,
            [r.track.value for r in rules],
            [r.name for r in rules],
            [r.duration.total_seconds() for r in rules],
            [r.counts.value for r in rules],
            [r.warn_fraction for r in rules],
            [d.due_at for d in deadlines],
            [d.warn_at for d in deadlines],
        )
        ctx.clocks_started.extend(rows)
        for row in rows:
            self._schedule(ctx, _deadline(row))

    async def start_callback(self, ctx: Context, ticket_id: int, centre_unit_id: int) -> None:
        """回访 is owed within `callback_hours` of the accepted result: the hotline centre's clock."""
        hours = self.callback_hours
        await self.start_own(ctx, ticket_id, centre_unit_id, Track.CALLBACK, f"{_hours(hours)}内回访", hours)

    async def start_own(
        self, ctx: Context, ticket_id: int, unit_id: int, track: Track, rule_name: str, hours: float
    ) -> int:
        """A natural-time clock of its own (callback, an order's answer) from now; its id. It warns and alerts like
        the others (the timers look at every running clock) and ends with `end_clock` or `meet`."""
        current = await self.in_force(ctx)
        rule = SlaRule(rule_name, track, timedelta(hours=hours), Counting.NATURAL, current.warn_fraction)
        deadline = compute_deadline(rule, ctx.now, current.calendar)
        row = await ctx.conn.fetchrow(
            Q.start_own_clock,
            ticket_id,
            unit_id,
            track.value,
            rule_name,
            rule.duration.total_seconds(),
            ctx.now,
            deadline.due_at,
            deadline.warn_at,
            rule.warn_fraction,
        )
        self._schedule(ctx, _deadline(row))
        return int(row["id"])

    def schedule_started(self, ctx: Context) -> None:
        """Queue the timers of the clocks a use-case started without this clock (an order's answer clock)."""
        for row in ctx.clocks_started:
            self._schedule(ctx, _deadline(row))

    async def end_clock(self, ctx: Context, deadline_id: int, status: DeadlineStatus) -> None:
        await ctx.conn.execute(Q.end_clock_by_id, deadline_id, status, ctx.now)

    async def meet(self, ctx: Context, ticket_id: int, tracks: tuple[Track, ...]) -> None:
        await self._end(ctx, ticket_id, tracks, DeadlineStatus.MET)

    async def cancel(self, ctx: Context, ticket_id: int, tracks: tuple[Track, ...] | None = None) -> None:
        await self._end(ctx, ticket_id, tracks or tuple(Track), DeadlineStatus.CANCELLED)

    async def _end(self, ctx: Context, ticket_id: int, tracks: tuple[Track, ...], status: DeadlineStatus) -> None:
        await ctx.conn.execute(Q.end_clocks, ticket_id, [t.value for t in tracks], status, ctx.now)

    async def reopen_completion(self, ctx: Context, ticket_id: int) -> None:
        """A completion sent back: its clock runs on from where it was (the facts did not change)."""
        await ctx.conn.execute(Q.reopen_completion_clock, ticket_id)
        await self.recompute(ctx, ticket_id)

    async def pause(self, ctx: Context, ticket_id: int) -> None:
        await ctx.conn.execute(Q.pause_clocks, ticket_id)

    async def recompute(self, ctx: Context, ticket_id: int) -> None:
        """Re-derive the open clocks of a ticket from its suspensions and approved extensions."""
        pauses = [
            (r["started_at"], r["ended_at"] or ctx.now) for r in await ctx.conn.fetch(Q.ticket_suspensions, ticket_id)
        ]
        suspended_now = await ctx.conn.fetchval(Q.ticket_suspended_now, ticket_id)
        extensions = [
            Extension(approved_at=r["decided_at"], by=timedelta(days=r["extra_days"]))
            for r in await ctx.conn.fetch(Q.approved_extensions, ticket_id)
        ]
        rows = await ctx.conn.fetch(Q.open_clocks, ticket_id)
        calendar = (await self.in_force(ctx)).calendar
        for row in rows:
            open_deadline = _deadline(row)
            computed = compute_deadline(
                open_deadline.rule,
                open_deadline.start_at,
                calendar,
                pauses=pauses,
                extensions=extensions if open_deadline.track is Track.COMPLETE else (),
            )
            status = DeadlineStatus.PAUSED if suspended_now else DeadlineStatus.RUNNING
            updated = await ctx.conn.fetchrow(
                Q.set_clock_due,
                open_deadline.id,
                computed.due_at,
                computed.warn_at,
                status,
            )
            if status is DeadlineStatus.RUNNING:
                self._schedule(ctx, _deadline(updated))

    def _schedule(self, ctx: Context, deadline: OpenDeadline) -> None:
        """Queue the timers now if they fall within the horizon; later ones are queued by the
        worker's `schedule_upcoming` as they come near (Redis holds hours of timers, not weeks)."""
        if deadline.warn_at > ctx.now + TIMER_HORIZON:
            return
        redis = ctx.redis
        ctx.outbox.after_commit(lambda: schedule_timers(redis, (deadline.warn_at, deadline.due_at)))


def _hours(hours: float) -> str:
    return f"{int(hours)}小时" if hours == int(hours) else f"{hours:g}小时"
