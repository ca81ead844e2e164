"""`hotline backup FILE` and the scheduled backup: one tar archive holding a consistent pg_dump of the
database (one snapshot, taken while the hotline keeps working), the classifier model in use, and the SLA
rules and working calendar, with a manifest of every file's SHA-256. `hotline restore` (restore.py) checks
the manifest before it touches anything. docs/operations.md says how to use it, and how to back up an
external PostgreSQL properly (base backups and WAL archiving).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import socket
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import structlog

from hotline.db import connect
from hotline.ops import pg_tools
from hotline.queries import Q
from hotline.settings import Settings
from hotline.sla.clock import SlaClock
from hotline.sla.rules import SlaRules

FORMAT = "hotline-backup"
VERSION = 1
DUMP = "database.dump"
RULES = "rules.json"
MODEL = "model"
MANIFEST = "manifest.json"
ARCHIVE_GLOB = "hotline-backup-*.tar"

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class BackupDone:
    path: Path
    bytes: int
    sha256: str
    tickets: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def rules_document(rules: SlaRules) -> dict[str, Any]:
    """The SLA rules and the working calendar in force (they are in the dump too: this is the copy a person
    reads without restoring anything)."""
    return {
        "version": rules.version,
        "timezone": str(rules.tz),
        "reply": {"minutes": rules.reply_minutes, "counts": rules.reply_counts.value},
        "accept": {"minutes": rules.accept_minutes, "counts": rules.accept_counts.value},
        "warn_fraction": rules.warn_fraction,
        "office_hours": [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in rules.hours],
        "weekdays": sorted(rules.weekdays),
        "completion": [
            {
                "ticket_type": limit.key[0],
                "category_code": limit.category_code,
                "days": limit.days,
                "counts": limit.counts.value,
                "name": limit.name,
            }
            for limit in rules.completion
        ],
        "calendar": [{"date": d.day.isoformat(), "kind": d.kind.value, "name": d.name} for d in rules.days],
    }


def model_files(settings: Settings) -> tuple[Path | None, list[Path]]:
    """The model directory in use (a link followed) and its files; (None, []) when no model is there."""
    directory = settings.path(settings.classifier.model_dir).resolve()
    if not directory.is_dir():
        return None, []
    return directory, sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))


async def create_backup(settings: Settings, target: Path, trigger: str) -> BackupDone:
    """Write the archive to `target` (atomically: a temporary file renamed at the end); recorded in
    backup_runs. Raises pg_tools.ToolError or OSError when it cannot."""
    conn = await connect(settings)
    try:
        run_id = await conn.fetchval(Q.backup_run_start, trigger, socket.gethostname(), str(target), datetime.now(UTC))
        try:
            done = await _write(conn, settings, target, run_id)
        except BaseException as exc:
            await conn.execute(Q.backup_run_finish, run_id, "failed", None, None, str(exc)[:2000], datetime.now(UTC))
            raise
        await conn.execute(Q.backup_run_finish, run_id, "done", done.bytes, done.sha256, "", datetime.now(UTC))
        return done
    finally:
        await conn.close()


async def _write(conn: asyncpg.Connection, settings: Settings, target: Path, run_id: int) -> BackupDone:
    assert settings.database_url
    server = await conn.fetchrow(Q.backup_server)
    pg_dump = pg_tools.choose("pg_dump", server["major"], settings.backup.pg_bin_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".hotline-backup-", dir=target.parent) as tmp:
        dump = Path(tmp) / DUMP
        # one snapshot of the whole database, taken here and held while pg_dump reads it: every ticket
        # committed before this point is in the dump, and the count below is the dump's
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval(Q.backup_export_snapshot)
            tickets = await conn.fetchval(Q.backup_ticket_count)
            migrations = [r["name"] for r in await conn.fetch(Q.backup_migrations)]
            rules = await SlaClock.from_settings(settings).current(conn)
            await pg_tools.run(
                [pg_dump, "--format=custom", "--no-owner", "--no-acl", f"--snapshot={snapshot}", f"--file={dump}",
                 f"--dbname={server['name']}"],
                settings.database_url,
            )  # fmt: skip
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": datetime.now(UTC).isoformat(),
            "backup_run_id": run_id,
            "host": socket.gethostname(),
            "database": {
                "server_version": server["version"],
                "migrations": migrations,
                "tickets": tickets,
            },
        }
        size, digest = await asyncio.to_thread(_archive, target, dump, settings, rules, manifest)
    return BackupDone(target, size, digest, tickets)


def _archive(
    target: Path, dump: Path, settings: Settings, rules: SlaRules, manifest: dict[str, Any]
) -> tuple[int, str]:
    """Write the archive beside `target` and rename it into place; its size and SHA-256."""
    rules_json = json.dumps(rules_document(rules), ensure_ascii=False, indent=2).encode()
    model_dir, models = model_files(settings)
    files: dict[str, dict[str, Any]] = {
        DUMP: {"sha256": sha256_of(dump), "bytes": dump.stat().st_size},
        RULES: {"sha256": hashlib.sha256(rules_json).hexdigest(), "bytes": len(rules_json)},
    }
    members = {f"{MODEL}/{p.relative_to(model_dir)}": p for p in models} if model_dir else {}
    for name, source in members.items():
        files[name] = {"sha256": sha256_of(source), "bytes": source.stat().st_size}
    manifest = {**manifest, "files": files, "model": {"dir": MODEL if members else None, "source": str(model_dir)}}
    partial = target.with_name(f".{target.name}.partial")
    with tarfile.open(partial, "w") as tar:
        _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode())
        tar.add(dump, arcname=DUMP)
        _add_bytes(tar, RULES, rules_json)
        for name, source in members.items():
            tar.add(source, arcname=name)
    partial.replace(target)
    return target.stat().st_size, sha256_of(target)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives of the scheduled backup; the deleted ones."""
    archives = sorted(directory.glob(ARCHIVE_GLOB), reverse=True)  # the names sort by time
    for old in archives[keep:]:
        old.unlink(missing_ok=True)
    return archives[keep:]


async def backup_job(ctx: dict[str, Any], trigger: str = "schedule") -> str:
    """arq job (the daily cron, or 立即备份 in the admin page): an archive in [backup] dir, then the oldest
    beyond [backup] keep are deleted."""
    settings: Settings = ctx["settings"]
    directory = settings.path(settings.backup.dir)
    stamp = datetime.now(settings.tz).strftime("%Y%m%d-%H%M%S-%f")[:-3]
    done = await create_backup(settings, directory / f"hotline-backup-{stamp}.tar", trigger)
    removed = await asyncio.to_thread(prune, directory, settings.backup.keep)
    log.info("backup written", path=str(done.path), bytes=done.bytes, removed=[str(p) for p in removed])
    return str(done.path)
