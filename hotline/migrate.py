"""Forward-only migrations: numbered plain .sql files applied in order, once each.

Applied files are recorded with a checksum; a changed or missing applied file stops the
runner. An advisory lock makes concurrent migrators (several processes starting at once)
apply each file exactly once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from hotline.queries import Q

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "sql" / "migrations"
_ADVISORY_LOCK_KEY = 0x12345_0001
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(Exception):
    pass


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lowercase_name.sql")
        migrations.append(Migration(int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    numbers = [m.number for m in migrations]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise MigrationError(f"two migration files share the number {duplicates[0]:04d}")
    return sorted(migrations, key=lambda m: m.number)


async def migrate(conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; return the names applied by this call."""
    migrations = discover(directory)
    # the runner's own statements are inline on purpose: they run before the schema the named queries need
    await conn.execute("SELECT pg_advisory_lock($1)", _ADVISORY_LOCK_KEY)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   name text PRIMARY KEY,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        applied = {r["name"]: r["checksum"] for r in await conn.fetch("SELECT name, checksum FROM schema_migrations")}
        _check_applied(applied, migrations)
        done = []
        for migration in migrations:
            if migration.name in applied:
                continue
            async with conn.transaction():
                # a migration may copy or index every ticket: minutes at ten million, not a request's 30 s
                await conn.execute(Q.no_statement_timeout)
                try:
                    await conn.execute(migration.sql)
                except asyncpg.PostgresError as exc:
                    raise MigrationError(f"{migration.name} failed: {exc}") from exc
                await conn.execute(
                    "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", migration.name, migration.checksum
                )
            done.append(migration.name)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _ADVISORY_LOCK_KEY)


async def pending(conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Names of migrations not yet applied (all of them when the table does not exist)."""
    migrations = discover(directory)
    # inline on purpose, like migrate(): schema_migrations may not exist yet
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    applied = set()
    if exists:
        applied = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
    return [m.name for m in migrations if m.name not in applied]


def _check_applied(applied: dict[str, str], migrations: list[Migration]) -> None:
    by_name = {m.name: m for m in migrations}
    for name, checksum in sorted(applied.items()):
        migration = by_name.get(name)
        if migration is None:
            raise MigrationError(f"{name} was applied to this database but its file is gone")
        if migration.checksum != checksum:
            raise MigrationError(
                f"{name} was changed after it was applied (checksum differs); add a new migration instead"
            )
