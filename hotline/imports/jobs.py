"""Ticket imports as jobs: the command line runs one in its own process; the admin page uploads the file
into the database piece by piece (so a worker on any host can read it) and a worker job runs it, its
progress and errors recorded on the import_jobs row the page polls."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from arq.connections import ArqRedis

from hotline.db import connect
from hotline.imports.rows import ImportFailed
from hotline.imports.tickets import Outcome, TicketImport
from hotline.queries import Q
from hotline.settings import Settings

CHUNK_BYTES = 1024 * 1024  # one upload request; the page slices the file into pieces of this size
MAX_FILE_BYTES = 2 * 1024**3
SUFFIXES = (".csv", ".xlsx", ".xlsm")

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Upload:
    file_name: str
    file_size: int
    mapping_name: str | None = None


def file_problem(name: str) -> str | None:
    if not name.lower().endswith(SUFFIXES):
        return f"不支持的文件类型：{name}（请使用 .csv 或 .xlsx）"
    return None


async def create_job(conn: asyncpg.Connection, source: str, upload: Upload, user_id: int | None) -> int:
    status = "uploading" if source == "page" else "queued"
    name, size, mapping = upload.file_name, upload.file_size, upload.mapping_name
    now = datetime.now(UTC)
    return int(await conn.fetchval(Q.import_job_create, "tickets", source, name, size, mapping, status, user_id, now))


async def import_file(
    conn: asyncpg.Connection, settings: Settings, path: Path, mapping: Path | None, redis: ArqRedis | None
) -> tuple[int, Outcome]:
    """`hotline import tickets FILE`: a job of its own, run here. Raises ImportFailed."""
    upload = await asyncio.to_thread(_local_upload, path, mapping)
    job_id = await create_job(conn, "cli", upload, None)
    return job_id, await TicketImport(conn, settings, job_id, path, mapping, redis).run()


def _local_upload(path: Path, mapping: Path | None) -> Upload:
    if not path.exists():
        raise ImportFailed([f"找不到文件 {path}"])
    if mapping is not None and not mapping.exists():
        raise ImportFailed([f"找不到映射文件 {mapping}"])
    return Upload(path.name, path.stat().st_size, mapping.name if mapping else None)


async def uploaded(conn: asyncpg.Connection, job_id: int) -> dict[str, dict[str, int]]:
    """Per part: pieces, bytes, last piece number."""
    return {r["part"]: dict(r) for r in await conn.fetch(Q.import_file_uploaded, job_id)}


def upload_problems(job: asyncpg.Record, parts: dict[str, dict[str, int]]) -> list[str]:
    """What is missing before the job may start: every piece of the file (and of the mapping file)."""
    problems = []
    data = parts.get("data", {"pieces": 0, "bytes": 0, "last": -1})
    if data["bytes"] != job["file_size"] or data["pieces"] != data["last"] + 1:
        problems.append(f"文件尚未上传完整（已收到 {data['bytes']} / {job['file_size']} 字节）")
    if job["mapping_name"] and "mapping" not in parts:
        problems.append("映射文件尚未上传")
    return problems


async def _download(conn: asyncpg.Connection, job_id: int, part: str, path: Path) -> None:
    async with conn.transaction():  # a cursor: one piece in memory at a time
        with path.open("wb") as fh:
            async for row in conn.cursor(Q.import_file_chunks, job_id, part):
                fh.write(row["data"])


async def run_import_job(ctx: dict[str, Any], job_id: int) -> str:
    """arq job: the uploaded file, imported by a worker. Runs again after a crash: the tickets already
    written are skipped by number. The run drops the uploaded file once it is imported or refused for its
    content; it stays for a retry when the import was interrupted."""
    settings: Settings = ctx["settings"]
    async with ctx["pool"].acquire() as conn:
        job = await conn.fetchrow(Q.import_job, job_id)
        if job is None or job["status"] in ("done", "uploading"):
            return "nothing to do"
    with tempfile.TemporaryDirectory(prefix="hotline-import-") as tmp:
        data = Path(tmp) / f"data{Path(job['file_name']).suffix.lower()}"
        mapping = Path(tmp) / f"mapping{Path(job['mapping_name']).suffix.lower()}" if job["mapping_name"] else None
        async with ctx["pool"].acquire() as conn:
            await _download(conn, job_id, "data", data)
            if mapping is not None:
                await _download(conn, job_id, "mapping", mapping)
        # a connection of its own: the import holds a session lock and its connection for minutes
        conn = await connect(settings)
        run = TicketImport(conn, settings, job_id, data, mapping, ctx["redis"])
        try:
            outcome = await run.run()
        except ImportFailed as failed:
            log.info("ticket import refused", job_id=job_id, errors=failed.count)
            return f"refused: {failed.summary}"
        finally:
            if not conn.is_closed():
                await conn.close()
    return f"written {outcome.written}, existing {outcome.existing}"


def job_json(record: asyncpg.Record) -> dict[str, Any]:
    job = dict(record)

    def at(key: str) -> str | None:
        value = job[key]
        return value.isoformat() if value is not None else None

    keys = (
        "id", "source", "file_name", "file_size", "mapping_name", "status", "rows_total", "rows_checked",
        "rows_done", "rows_written", "rows_existing", "error_count",
    )  # fmt: skip
    result: dict[str, Any] = {k: job[k] for k in keys}
    result.update(created_at=at("created_at"), started_at=at("started_at"), finished_at=at("finished_at"))
    if "errors" in job:
        result["errors"] = job["errors"]
    if "created_by_name" in job:
        result["created_by_name"] = job["created_by_name"]
    return result
