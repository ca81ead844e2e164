"""Historical ticket imports from the admin page: announce a file, send it in pieces, start the worker job,
follow its progress and read its errors. City administrators only."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from hotline import access, schemas
from hotline.api.common import Endpoint, int_param, ok, parse_body
from hotline.audit.log import record_request
from hotline.auth import User, current_user
from hotline.errors import ApiError
from hotline.imports import jobs
from hotline.queries import Q

RECENT = 20


async def _admin(request: Request) -> User:
    user = await current_user(request)
    async with request.app.state.pool.acquire() as conn:
        access.require_city_admin(user, await request.app.state.catalogs.get(conn))
    return user


async def _job(request: Request) -> dict:
    async with request.app.state.pool.acquire() as conn:
        job = await conn.fetchrow(Q.import_job, int_param(request, "id"))
    if job is None:
        raise ApiError(404, "找不到该导入任务", code="import_not_found")
    return dict(job)


async def create_import(request: Request) -> Response:
    user = await _admin(request)
    body = await parse_body(request, schemas.ImportUpload)
    for name in (body.file_name, body.mapping_name):
        if name is not None and (problem := jobs.file_problem(name)):
            raise ApiError(422, problem, code="invalid")
    upload = jobs.Upload(body.file_name, body.file_size, body.mapping_name)
    async with request.app.state.pool.acquire() as conn:
        job_id = await jobs.create_job(conn, "page", upload, user.id)
    return ok({"id": job_id, "chunk_bytes": jobs.CHUNK_BYTES}, 201)


async def upload_chunk(request: Request) -> Response:
    """One piece of the file (`part` data or mapping, pieces numbered from 0), as the raw request body."""
    await _admin(request)
    part, seq_text = request.query_params.get("part", ""), request.query_params.get("seq", "")
    if part not in ("data", "mapping") or not seq_text.isdigit() or int(seq_text) > 4096:
        raise ApiError(422, "请指明文件部分（part=data 或 mapping）和序号（seq，从 0 开始）", code="invalid")
    job = await _job(request)
    if job["status"] != "uploading":
        raise ApiError(409, "该导入任务已开始，不能再上传文件", code="not_uploading")
    if part == "mapping" and not job["mapping_name"]:
        raise ApiError(422, "该导入任务没有映射文件", code="invalid")
    data = bytearray()
    async for piece in request.stream():
        data += piece
        if len(data) > jobs.CHUNK_BYTES:
            raise ApiError(413, f"每次最多上传 {jobs.CHUNK_BYTES // 1024} KB")
    if not data:
        raise ApiError(422, "上传的内容是空的", code="invalid")
    async with request.app.state.pool.acquire() as conn:
        await conn.execute(Q.import_file_chunk, job["id"], part, int(seq_text), bytes(data))
    return ok({"ok": True})


async def start_import(request: Request) -> Response:
    user = await _admin(request)
    job = await _job(request)
    if job["status"] != "uploading":
        raise ApiError(409, "该导入任务已开始", code="not_uploading")
    async with request.app.state.pool.acquire() as conn:
        problems = jobs.upload_problems(job, await jobs.uploaded(conn, job["id"]))
        if problems:
            raise ApiError(422, "；".join(problems), code="incomplete_upload")
        await conn.execute(Q.import_job_set_status, job["id"], "queued", datetime.now(UTC), None)
        after = {"job": job["id"], "file": job["file_name"], "mapping": job["mapping_name"]}
        await record_request(conn, request, user, "import.tickets", target=job["file_name"], after=after)
    await _enqueue(request, job["id"])
    return ok(jobs.job_json(await _job(request)))


async def retry_import(request: Request) -> Response:
    """A failed or interrupted import runs again; the tickets the earlier run wrote are skipped."""
    user = await _admin(request)
    job = await _job(request)
    async with request.app.state.pool.acquire() as conn:
        if await conn.fetchval(Q.import_job_restart, job["id"], datetime.now(UTC)) is None:
            raise ApiError(409, "只有未完成且文件仍在的导入任务可以重新导入", code="cannot_retry")
        after = {"job": job["id"], "retry": True}
        await record_request(conn, request, user, "import.tickets", target=job["file_name"], after=after)
    await _enqueue(request, job["id"])
    return ok(jobs.job_json(await _job(request)))


async def _enqueue(request: Request, job_id: int) -> None:
    stamp = int(datetime.now(UTC).timestamp() * 1000)  # a retry is a new arq job
    await request.app.state.redis.enqueue_job("import_tickets", job_id, _job_id=f"import-tickets:{job_id}:{stamp}")


async def get_import(request: Request) -> Response:
    await _admin(request)
    job = await _job(request)
    return ok(jobs.job_json(job))


async def list_imports(request: Request) -> Response:
    await _admin(request)
    async with request.app.state.pool.acquire() as conn:
        rows = await conn.fetch(Q.import_jobs_recent, RECENT)
    return ok({"items": [jobs.job_json(r) for r in rows]})


PIECE = (("part", {"type": "string", "enum": ["data", "mapping"]}), ("seq", {"type": "integer", "minimum": 0}))
ENDPOINTS = [
    Endpoint(
        "POST", "/api/imports", create_import, "新建历史工单导入（随后分片上传文件）", "imports",
        schemas.ImportUpload, "ImportCreated", (201, 401, 403, 422),
    ),
    Endpoint("GET", "/api/imports", list_imports, "最近的导入任务", "imports", None, "ImportList", (200, 401, 403)),
    Endpoint(
        "PUT", "/api/imports/{id:int}/chunk", upload_chunk, "上传文件的一片（请求体为原始字节，每片至多 1 MB）",
        "imports", None, "Ok", (200, 401, 403, 404, 409, 413, 422), query=PIECE,
    ),
    Endpoint(
        "POST", "/api/imports/{id:int}/start", start_import, "文件上传完毕，开始导入（由后台任务执行）", "imports",
        None, "ImportJob", (200, 401, 403, 404, 409, 422),
    ),
    Endpoint(
        "POST", "/api/imports/{id:int}/retry", retry_import, "重新导入未完成的任务（已写入的工单跳过）", "imports",
        None, "ImportJob", (200, 401, 403, 404, 409),
    ),
    Endpoint(
        "GET", "/api/imports/{id:int}", get_import, "导入任务的进度和错误", "imports", None, "ImportJob",
        (200, 401, 403, 404),
    ),
]  # fmt: skip
