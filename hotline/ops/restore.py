"""`hotline restore FILE [--force]`: a backup archive (backup.py) back into an empty database.

Every file is checked against the manifest's SHA-256 before anything is touched. The database must be
empty (no table in its public schema) unless --force, which drops what is there first. pg_restore runs
in one transaction, so a failed restore leaves the database as it found it; then migrations newer than
the backup are applied, and the model directory is replaced by the archived model. Redis forgets which outbox
events it published (the restored outbox numbers them from the backup's point again). The SLA rules and the
calendar live in the database, so they come back with it (rules.json is the readable copy).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from hotline.db import connect
from hotline.migrate import migrate
from hotline.ops import pg_tools
from hotline.ops.backup import DUMP, FORMAT, MANIFEST, MODEL, VERSION
from hotline.queries import Q
from hotline.queue import connect_queue
from hotline.settings import Settings
from realtime.stream import forget_published


class RestoreRefused(Exception):
    """The Chinese message says why nothing was restored."""


@dataclass
class RestoreDone:
    manifest: dict[str, Any]
    counts: dict[str, int]
    model_dir: Path | None


def read_archive(archive: Path, into: Path) -> dict[str, Any]:
    """Extract the archive's listed files into `into`, each checked against the manifest; the manifest."""
    if not archive.is_file():
        raise RestoreRefused(f"找不到备份文件 {archive}")
    try:
        with tarfile.open(archive, "r:") as tar:
            member = tar.getmember(MANIFEST)
            source = tar.extractfile(member)
            if source is None:
                raise RestoreRefused("备份文件中的清单(manifest.json)不是文件")
            manifest = json.loads(source.read())
            if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
                raise RestoreRefused(f"不是本系统的备份文件（格式 {manifest.get('format')} {manifest.get('version')}）")
            for name, expected in manifest["files"].items():
                _extract_checked(tar, name, expected, into)
    except (tarfile.TarError, KeyError, ValueError, OSError) as exc:
        raise RestoreRefused(f"备份文件已损坏或不完整：{exc}") from None
    return dict(manifest)


def _extract_checked(tar: tarfile.TarFile, name: str, expected: dict[str, Any], into: Path) -> None:
    target = (into / name).resolve()
    if not target.is_relative_to(into.resolve()):
        raise RestoreRefused(f"备份文件中有不安全的路径：{name}")
    try:
        source = tar.extractfile(tar.getmember(name))
    except KeyError:
        raise RestoreRefused(f"备份文件缺少 {name}") from None
    if source is None:
        raise RestoreRefused(f"备份文件中的 {name} 不是文件")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with target.open("wb") as out:
        while block := source.read(1 << 20):
            digest.update(block)
            out.write(block)
    if digest.hexdigest() != expected["sha256"]:
        raise RestoreRefused(f"{name} 的校验和不符（备份文件已损坏），未恢复任何数据")


async def restore(settings: Settings, archive: Path, *, force: bool = False) -> RestoreDone:
    assert settings.database_url
    with tempfile.TemporaryDirectory(prefix="hotline-restore-") as tmp:
        workdir = Path(tmp)
        manifest = await asyncio.to_thread(read_archive, archive, workdir)
        conn = await connect(settings)
        try:
            tables = await conn.fetchval(Q.restore_public_tables)
            if tables and not force:
                raise RestoreRefused(
                    f"目标数据库不是空的（已有 {tables} 个表）；确认要用备份覆盖它，请加 --force（现有数据将被删除）"
                )
            server = await conn.fetchrow(Q.backup_server)
            pg_restore = pg_tools.choose("pg_restore", server["major"], settings.backup.pg_bin_dir)
            if tables:
                await conn.execute(Q.restore_drop_public_schema)
                await conn.execute(Q.restore_create_public_schema)
            await pg_tools.run(
                [pg_restore, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
                 f"--dbname={server['name']}", workdir / DUMP],
                settings.database_url,
            )  # fmt: skip
            await migrate(conn)  # what this version adds to the backup's schema
            run_id = manifest.get("backup_run_id")
            if run_id is not None:
                await conn.execute(Q.backup_run_restored, run_id, datetime.fromisoformat(manifest["created_at"]))
            counts = dict(await conn.fetchrow(Q.restore_summary))
        finally:
            await conn.close()
        await _forget_published(settings)
        model_dir = await asyncio.to_thread(_put_model, settings, workdir, manifest)
    return RestoreDone(manifest, counts, model_dir)


async def _forget_published(settings: Settings) -> None:
    """The restored outbox's ids start again from the backup's point: the events published from the database it
    replaces must not make its new ones look sent (realtime/stream.py publish_once)."""
    redis = connect_queue(settings)
    try:
        await forget_published(redis)
    finally:
        await redis.aclose()


def _put_model(settings: Settings, workdir: Path, manifest: dict[str, Any]) -> Path | None:
    """The archived model becomes the one in use: written beside the configured directory, then swapped in
    (the previous one is kept as <dir>.before-restore); processes reload it by themselves."""
    if not manifest.get("model", {}).get("dir"):
        return None
    target = settings.path(settings.classifier.model_dir)
    staged = target.with_name(f".{target.name}.restoring")
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(workdir / MODEL, staged)
    if target.exists() or target.is_symlink():
        previous = target.with_name(f"{target.name}.before-restore")
        shutil.rmtree(previous, ignore_errors=True)
        target.rename(previous)
    staged.rename(target)
    return target
