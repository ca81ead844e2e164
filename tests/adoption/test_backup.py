"""`hotline backup FILE` and `hotline restore FILE`: a backup taken while tickets are being created holds
every ticket acknowledged before it began, and comes back whole into an empty database; a damaged archive
or a database that is not empty is refused before anything is touched."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import secrets
import subprocess
import sys
import tarfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from hotline.demo.city import demo_units, demo_users
from hotline.settings import Settings
from realtime.events import Event
from realtime.stream import DEFAULT_STREAM
from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL
from tests.support.jobs import run_through_queue
from tests.support.services import ROOT, Processes
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures("city")


def _url(database_url: str, name: str) -> str:
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))


@pytest.fixture
async def empty_database(database_url: str) -> AsyncIterator[str]:
    """A new, empty database on the test server; dropped afterwards."""
    name = f"hotline_restore_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(_url(database_url, "postgres"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _url(database_url, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def hotline(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command line in a child process, without blocking the event loop (the load keeps running)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hotline", *args, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    return subprocess.CompletedProcess(args, proc.returncode or 0, out.decode(), err.decode())


def digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir()) if p.is_file()}


async def test_a_backup_under_write_load_restores_every_ticket_acknowledged_before_it_began(
    spawn: Processes, login: Login, pool: asyncpg.Pool, test_environ: dict[str, str], empty_database: str,
    var_dir: Path, tmp_path: Path,
) -> None:  # fmt: skip
    base = await spawn.web()
    operator = await login("operator", base)
    acknowledged: list[tuple[float, str]] = []
    stop = asyncio.Event()

    async def create_tickets(caller: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            call = {**NOISE_CALL, "caller_phone": f"1390{caller}{n:06d}"}
            response = await operator.post("/api/tickets", json=call)
            assert response.status_code == 201, response.text
            acknowledged.append((time.monotonic(), response.json()["number"]))

    load = [asyncio.create_task(create_tickets(caller)) for caller in range(3)]
    try:
        while len(acknowledged) < 30:
            await asyncio.sleep(0.05)
        began = time.monotonic()
        archive = tmp_path / "backup.tar"
        backup = await hotline(test_environ, "backup", str(archive))
        ended = time.monotonic()
    finally:
        stop.set()
        await asyncio.gather(*load)
    assert backup.returncode == 0, backup.stderr
    before = {number for at, number in acknowledged if at < began}
    assert any(began < at < ended for at, _ in acknowledged), "tickets kept coming while the backup ran"

    restore_env = {
        **test_environ,
        "HOTLINE_DATABASE_URL": empty_database,
        "HOTLINE_CLASSIFIER_MODEL_DIR": str(tmp_path / "restored-model"),
    }
    restored = await hotline(restore_env, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    conn = await asyncpg.connect(empty_database)
    try:
        numbers = {r["number"] for r in await conn.fetch("SELECT number FROM tickets")}
        assert before <= numbers
        assert numbers <= {r["number"] for r in await pool.fetch("SELECT number FROM tickets")}
        # one snapshot: no ticket without its creation event or its holder
        orphans = await conn.fetchval(
            "SELECT count(*) FROM tickets t"
            " WHERE NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id)"
            " OR NOT EXISTS (SELECT 1 FROM ticket_units u WHERE u.ticket_id = t.id)"
        )
        assert orphans == 0
        assert await conn.fetchval("SELECT count(*) FROM users") == await pool.fetchval("SELECT count(*) FROM users")
        runs = await conn.fetch("SELECT trigger, status FROM backup_runs")
        assert [tuple(r) for r in runs] == [("cli", "done")]
    finally:
        await conn.close()
    assert f"工单 {len(numbers)} 件" in restored.stdout
    assert digests(tmp_path / "restored-model") == digests(var_dir / "models" / "current")


async def test_boards_hear_of_the_tickets_of_a_restored_database(
    spawn: Processes, login: Login, redis: Any, test_environ: dict[str, str], empty_database: str, tmp_path: Path
) -> None:
    """Restored into a new database beside the same Redis, the outbox numbers events from the backup's point again,
    under numbers the database it replaces published events with: the restored system's events reach the board
    stream all the same (publish_once keeps each number once)."""
    operator = await login("operator", await spawn.web())
    archive = tmp_path / "backup.tar"
    backup = await hotline(test_environ, "backup", str(archive))
    assert backup.returncode == 0, backup.stderr
    for n in range(3):  # published after the backup, under the numbers the restored outbox gives again
        ok(await operator.post("/api/tickets", json={**NOISE_CALL, "caller_phone": f"1390000{n:04d}"}), 201)
    restore_env = {
        **test_environ,
        "HOTLINE_DATABASE_URL": empty_database,
        "HOTLINE_CLASSIFIER_MODEL_DIR": str(tmp_path / "restored-model"),
    }
    restored = await hotline(restore_env, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr

    restored_web = await spawn.web(HOTLINE_DATABASE_URL=empty_database)
    [(before, _fields)] = await redis.xrevrange(DEFAULT_STREAM, count=1)
    ticket = ok(await (await login("operator", restored_web)).post("/api/tickets", json=NOISE_CALL), 201)

    async def announced() -> bool:
        after = [Event.from_entry(i, f) for i, f in await redis.xrange(DEFAULT_STREAM, min=f"({before.decode()}")]
        return any(e.type == "ticket.created" and e.payload["ticket_id"] == ticket["id"] for e in after)

    await eventually(announced, message="the restored database's ticket on the board stream")


async def test_restore_refuses_a_database_that_is_not_empty_and_a_damaged_archive(
    hotline_cli, database_url: str, empty_database: str, tmp_path: Path
) -> None:
    archive = tmp_path / "backup.tar"
    assert hotline_cli("backup", str(archive)).returncode == 0

    into_ours = hotline_cli("restore", str(archive))  # the test database itself: full
    assert into_ours.returncode == 1
    assert "目标数据库不是空的" in into_ours.stderr and "--force" in into_ours.stderr

    damaged = tmp_path / "damaged.tar"
    data = bytearray(archive.read_bytes())
    with tarfile.open(archive) as tar:
        dump = tar.getmember("database.dump")
    data[dump.offset_data + dump.size // 2] ^= 0xFF  # one byte of the dump flipped
    damaged.write_bytes(bytes(data))
    refused = hotline_cli("restore", str(damaged), HOTLINE_DATABASE_URL=empty_database)
    assert refused.returncode == 1
    assert "database.dump 的校验和不符" in refused.stderr
    conn = await asyncpg.connect(empty_database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0
    finally:
        await conn.close()

    model = {"HOTLINE_CLASSIFIER_MODEL_DIR": str(tmp_path / "model")}
    first = hotline_cli("restore", str(archive), HOTLINE_DATABASE_URL=empty_database, **model)
    assert first.returncode == 0, first.stderr
    again = hotline_cli("restore", str(archive), "--force", HOTLINE_DATABASE_URL=empty_database, **model)
    assert again.returncode == 0, again.stderr
    units = demo_units()
    assert f"单位 {len(units)} 个，用户 {len(demo_users(units))} 个" in again.stdout


async def test_the_scheduled_backup_keeps_the_newest(settings: Settings, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    scheduled = dataclasses.replace(settings, backup=dataclasses.replace(settings.backup, dir=str(backups), keep=2))
    written = [await run_through_queue(scheduled, "backup", f"backup-{n}") for n in range(3)]
    assert sorted(p.name for p in backups.iterdir()) == sorted(Path(w).name for w in written[1:])
