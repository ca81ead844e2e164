"""The bare baseline for bench/intake.py: a minimal Starlette + asyncpg endpoint inserting the same row,
with no validation, classification, routing, events or clocks. Run by the benchmark as our web
processes are run (hotline/webserve.py):

    python -m bench.baseline_app PORT PROCESSES
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

INSERT = """INSERT INTO tickets (number, type, channel, caller_phone, caller_name, address, content, state,
                                 created_at, updated_at)
            VALUES ('B' || nextval('ticket_number_seq'), $1, $2, $3, $4, $5, $6, 'new', now(), now()) RETURNING id"""


async def create(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    async with request.app.state.pool.acquire() as conn:
        ticket_id = await conn.fetchval(
            INSERT,
            body["type"],
            body["channel"],
            body.get("caller_phone"),
            body.get("caller_name"),
            body.get("address", ""),
            body["content"],
        )
    return JSONResponse({"id": ticket_id}, status_code=201)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(os.environ["HOTLINE_DATABASE_URL"], min_size=1, max_size=10)
    yield
    await app.state.pool.close()


app = Starlette(routes=[Route("/api/tickets", create, methods=["POST"])], lifespan=lifespan)


if __name__ == "__main__":
    from hotline.webserve import serve

    sys.exit(serve(int(sys.argv[2]), app="bench.baseline_app:app", port=int(sys.argv[1]), log_level="warning"))
