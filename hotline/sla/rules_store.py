"""The SLA rules in the database: read, cached per process, seeded, written.

Every process keeps the rules it last read and reloads them when `sla_settings.version` moves (one
cheap read per use), so an administrator's change reaches every web process and worker without a
restart. A database without rules yet (new, or emptied) runs on config.toml's values, and the first
`hotline migrate`, `hotline up` or web start writes them in (`seed_defaults`).
"""

from __future__ import annotations

import asyncio
import enum
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import asyncpg

from dispatch.calendar import Counting, DayKind
from dispatch.ticket_types import TicketType
from hotline.queries import Q
from hotline.settings import Settings
from hotline.sla.rules import CalendarDay, CompletionLimit, SlaRules, rules_from_settings


async def load_rules(conn: asyncpg.Connection, tz: ZoneInfo) -> SlaRules | None:
    """The stored rules, or None when the database has none yet."""
    row = await conn.fetchrow(Q.sla_rules_load)
    if row is None:
        return None
    return SlaRules(
        version=row["version"],
        reply_minutes=row["reply_minutes"],
        reply_counts=Counting(row["reply_counts"]),
        accept_minutes=row["accept_minutes"],
        accept_counts=Counting(row["accept_counts"]),
        warn_fraction=row["warn_fraction"],
        hours=tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in row["office_hours"]),
        weekdays=frozenset(row["weekdays"]),
        completion=tuple(
            CompletionLimit(TicketType(t) if t else None, c, days, Counting(counts), name)
            for t, c, name, days, counts in zip(
                row["rule_types"],
                row["rule_categories"],
                row["rule_category_names"],
                row["rule_days"],
                row["rule_counts"],
                strict=True,
            )
        ),
        days=tuple(
            CalendarDay(day, DayKind(kind), name)
            for day, kind, name in zip(row["days"], row["day_kinds"], row["day_names"], strict=True)
        ),
        tz=tz,
    )


class Unread(enum.Enum):
    """A version not read yet (None is a version read: no rules stored)."""

    UNREAD = "unread"


UNREAD = Unread.UNREAD


class SlaRulesCache:
    """The rules as this process last read them; `get` reloads when the stored version moved."""

    def __init__(self, settings: Settings):
        self.defaults = rules_from_settings(settings)
        _ = self.defaults.policy, self.defaults.calendar  # a bad [sla] or [calendar] stops the start, not a ticket
        self._rules: SlaRules | None = None
        self._lock = asyncio.Lock()

    async def get(self, conn: asyncpg.Connection, version: int | Unread | None = UNREAD) -> SlaRules:
        """The rules in force; `version`: the stored version when the caller has just read it (a ticket
        use-case reads it with the catalog's, Q.transaction_versions; None: no rules stored), else read here."""
        if isinstance(version, Unread):
            version = await conn.fetchval(Q.sla_rules_version)
        if self._rules is not None and self._rules.version == version:
            return self._rules
        async with self._lock:
            if self._rules is None or self._rules.version != version:
                self._rules = await load_rules(conn, self.defaults.tz) or self.defaults
            return self._rules


async def seed_defaults(conn: asyncpg.Connection, defaults: SlaRules, now: datetime) -> bool:
    """Write `defaults` (config.toml's rules) into a database that has none; False when it has some."""
    async with conn.transaction():
        seeded = await conn.fetchval(Q.sla_settings_seed, *_settings_args(defaults), now)
        if seeded is None:
            return False
        await write_completion(conn, defaults)
        await conn.execute(
            Q.calendar_days_upsert,
            [d.day for d in defaults.days],
            [d.kind.value for d in defaults.days],
            [d.name for d in defaults.days],
        )
    return True


async def seed_from_settings(conn: asyncpg.Connection, settings: Settings) -> bool:
    """On migrate and start: config.toml's rules into a database that has none yet."""
    return await seed_defaults(conn, rules_from_settings(settings), datetime.now(UTC))


async def write_settings(conn: asyncpg.Connection, rules: SlaRules, now: datetime) -> None:
    await conn.execute(Q.sla_settings_update, *_settings_args(rules), now)


async def write_completion(conn: asyncpg.Connection, rules: SlaRules) -> None:
    await conn.execute(
        Q.sla_completion_rules_replace,
        [limit.key[0] for limit in rules.completion],
        [limit.category_code for limit in rules.completion],
        [limit.days for limit in rules.completion],
        [limit.counts.value for limit in rules.completion],
    )


def _settings_args(rules: SlaRules) -> tuple[object, ...]:
    return (
        rules.reply_minutes,
        rules.reply_counts.value,
        rules.accept_minutes,
        rules.accept_counts.value,
        rules.warn_fraction,
        [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in rules.hours],
        sorted(rules.weekdays),
    )
