"""The migration runner: numeric order, checksums, and one migrator at a time."""

import asyncio
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from hotline.migrate import MIGRATIONS_DIR, MigrationError, discover, migrate, pending


@pytest.fixture
async def empty_db(database_url: str):
    """A database of its own, so these tests can migrate from nothing."""
    name = f"hotline_mig_{secrets.token_hex(4)}"
    admin_url = urlunsplit(urlsplit(database_url)._replace(path="/postgres"))
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
    try:
        yield url
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


def write(directory: Path, name: str, sql: str) -> None:
    (directory / name).write_text(sql, encoding="utf-8")


async def test_applies_in_numeric_order_once(empty_db: str, tmp_path: Path) -> None:
    write(tmp_path, "0010_second.sql", "INSERT INTO log VALUES ('second');")
    write(tmp_path, "0002_first.sql", "CREATE TABLE log (what text); INSERT INTO log VALUES ('first');")
    conn = await asyncpg.connect(empty_db)
    try:
        assert await migrate(conn, tmp_path) == ["0002_first.sql", "0010_second.sql"]
        assert await migrate(conn, tmp_path) == []
        assert [r["what"] for r in await conn.fetch("SELECT what FROM log")] == ["first", "second"]
        assert await pending(conn, tmp_path) == []
    finally:
        await conn.close()


async def test_refuses_an_applied_file_that_changed(empty_db: str, tmp_path: Path) -> None:
    write(tmp_path, "0001_a.sql", "CREATE TABLE a (x int);")
    conn = await asyncpg.connect(empty_db)
    try:
        await migrate(conn, tmp_path)
        write(tmp_path, "0001_a.sql", "CREATE TABLE a (x bigint);")
        with pytest.raises(MigrationError, match=re.escape("0001_a.sql was changed after it was applied")):
            await migrate(conn, tmp_path)
    finally:
        await conn.close()


async def test_refuses_when_an_applied_file_is_gone(empty_db: str, tmp_path: Path) -> None:
    write(tmp_path, "0001_a.sql", "CREATE TABLE a (x int);")
    conn = await asyncpg.connect(empty_db)
    try:
        await migrate(conn, tmp_path)
        (tmp_path / "0001_a.sql").unlink()
        with pytest.raises(MigrationError, match=re.escape("its file is gone")):
            await migrate(conn, tmp_path)
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_nothing_behind(empty_db: str, tmp_path: Path) -> None:
    write(tmp_path, "0001_ok.sql", "CREATE TABLE ok (x int);")
    write(tmp_path, "0002_bad.sql", "CREATE TABLE half (x int); SELECT no_such_function();")
    conn = await asyncpg.connect(empty_db)
    try:
        with pytest.raises(MigrationError, match=re.escape("0002_bad.sql failed")):
            await migrate(conn, tmp_path)
        assert await conn.fetchval("SELECT to_regclass('half')") is None
        assert await pending(conn, tmp_path) == ["0002_bad.sql"]
    finally:
        await conn.close()


def test_rejects_badly_named_and_duplicate_numbers(tmp_path: Path) -> None:
    write(tmp_path, "1_first.sql", "")
    with pytest.raises(MigrationError, match=re.escape("NNNN_lowercase_name.sql")):
        discover(tmp_path)
    (tmp_path / "1_first.sql").unlink()
    write(tmp_path, "0001_a.sql", "")
    write(tmp_path, "0001_b.sql", "")
    with pytest.raises(MigrationError, match=re.escape("share the number 0001")):
        discover(tmp_path)


async def test_concurrent_migrators_apply_each_file_exactly_once(empty_db: str) -> None:
    """Five processes starting at once: the advisory lock lets one migrate, the others find it done."""
    conns = [await asyncpg.connect(empty_db) for _ in range(5)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
        applied = [name for result in results for name in result]
        assert sorted(applied) == sorted(m.name for m in discover(MIGRATIONS_DIR))
        count = await conns[0].fetchval("SELECT count(*) FROM schema_migrations")
        assert count == len(discover(MIGRATIONS_DIR))
    finally:
        for c in conns:
            await c.close()
