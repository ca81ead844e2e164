"""Live inbox benchmark: 500 handler inboxes and 100 boards connected to one web process; dispatchers assign
50 tickets a second for 60 s through the real API; each assignment must reach every inbox of its unit, and
no socket may hear of a ticket outside its unit's subtree.

    python bench/inbox.py      # no arguments; ends with one JSON line

A fresh database with the demo city (bench/system.py: embedded servers unless HOTLINE_* URLs are set) and one
`hotline web` process. Tickets wait in the three district dispatchers' queues (planted by SQL, like bench/sla.py);
each assignment is `POST /api/tickets/{id}/assign` to a random handler unit of the district (department, street,
community or grid): the real use-case (lock, hops, events, SLA clocks), whose announcement after COMMIT is the
event the inboxes get. The inbox sockets (/ws/inbox) belong to the ~100 handler users, about five sockets each (a
unit's people and tabs); the board sockets (/ws/board) to the 16 city, district and street supervisors. Latency
runs from just before the POST until an inbox of the target unit has parsed the frame, so it includes the API
call and the client process's own queueing behind 600 sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import resource
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.system import System, free_port, stop, system, wait_for_http

INBOXES, BOARDS = 500, 100
RATE, SECONDS = 50, 60
GOAL_P99_MS = 500
# cheap password hashing for the bench's 116 logins (the demo seed hashes once)
CHEAP_AUTH = {"HOTLINE_AUTH_ARGON2_TIME_COST": "1", "HOTLINE_AUTH_ARGON2_MEMORY_KIB": "64"}


def main() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with system() as bench:
        print(json.dumps(asyncio.run(run(bench))))


async def plant(bench: System, districts: dict[int, str]) -> dict[int, list[int]]:
    """RATE × SECONDS tickets waiting in the district queues; district id -> ticket ids."""
    conn = await asyncpg.connect(bench.database_url)
    try:
        now = datetime.now(UTC)
        planted: dict[int, list[int]] = {}
        per = RATE * SECONDS // len(districts) + 1
        for n, district in enumerate(districts):
            rows = await conn.fetch(
                """INSERT INTO tickets (number, type, channel, content, category_code, state, holder_unit_id,
                                       created_at, updated_at)
                   SELECT 'B' || $4::int || '-' || g, 'complaint', 'phone', '压测工单：楼下烧烤噪音', 'NOISE', 'new',
                          $1, $2, $2
                   FROM generate_series(1, $3) g RETURNING id""",
                district,
                now,
                per,
                n,
            )
            ids = [r["id"] for r in rows]
            await conn.execute("UPDATE tickets SET state = 'pending_dispatch' WHERE id = ANY($1::bigint[])", ids)
            await conn.execute(
                "INSERT INTO ticket_units (ticket_id, unit_id, first_at) SELECT unnest($1::bigint[]), $2, $3",
                ids,
                district,
                now,
            )
            planted[district] = ids
        return planted
    finally:
        await conn.close()


async def org(bench: System) -> tuple[dict[int, int | None], dict[str, Any]]:
    conn = await asyncpg.connect(bench.database_url)
    try:
        parents = {r["id"]: r["parent_id"] for r in await conn.fetch("SELECT id, parent_id FROM units")}
        rows = await conn.fetch(
            "SELECT u.username, u.role, u.unit_id, n.level, n.code FROM users u JOIN units n ON n.id = u.unit_id"
            " WHERE u.role IN ('handler', 'supervisor') OR (u.role = 'dispatcher' AND n.level = 'district')"
            " ORDER BY u.id"
        )
        return parents, {"users": [dict(r) for r in rows]}
    finally:
        await conn.close()


def chain(parents: dict[int, int | None], unit: int) -> set[int]:
    found: set[int] = set()
    current: int | None = unit
    while current is not None:
        found.add(current)
        current = parents[current]
    return found


async def run(bench: System) -> dict[str, Any]:
    port = free_port()
    web = bench.start("web", "--port", str(port), **CHEAP_AUTH)
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(wait_for_http, f"{base}/healthz")
        parents, found = await org(bench)
        users = found["users"]
        handlers = [u for u in users if u["role"] == "handler"]
        supervisors = [u for u in users if u["role"] == "supervisor"]
        dispatchers = {u["unit_id"]: u for u in users if u["role"] == "dispatcher"}
        planted = await plant(bench, {d: u["username"] for d, u in dispatchers.items()})
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            tokens = {}
            for user in users:
                body = {"username": user["username"], "password": "demo12345", "kind": "api"}
                tokens[user["username"]] = (await http.post("/api/auth/login", json=body)).json()["token"]
        return await drive(base, parents, handlers, supervisors, dispatchers, planted, tokens)
    finally:
        stop(web)


async def drive(
    base: str,
    parents: dict[int, int | None],
    handlers: list[dict[str, Any]],
    supervisors: list[dict[str, Any]],
    dispatchers: dict[int, dict[str, Any]],
    planted: dict[int, list[int]],
    tokens: dict[str, str],
) -> dict[str, Any]:
    ws_base = base.replace("http://", "ws://")
    started: dict[int, float] = {}
    target_of: dict[int, int] = {}
    latencies: list[float] = []
    wrong: list[tuple[int, int]] = []
    reached: Counter[tuple[int, int]] = Counter()  # (ticket, unit) -> inbox sockets of that unit that got it
    sockets_of: Counter[int] = Counter()
    frames = Counter[str]()
    all_in = asyncio.Event()
    waiting = {"expected": sys.maxsize}

    async def listen(ws: ClientConnection, unit: int, inbox: bool) -> None:
        async for raw in ws:
            now = time.perf_counter()
            frame = json.loads(raw)
            if frame.get("type") != "event":
                continue
            frames["inbox" if inbox else "board"] += 1
            ticket = frame["payload"].get("ticket_id")
            if frame["event_type"] != "ticket.dispatched" or ticket not in target_of:
                continue
            target = target_of[ticket]
            if unit not in chain(parents, target):
                wrong.append((ticket, unit))
            elif inbox and unit == target:
                reached[(ticket, unit)] += 1
                latencies.append((now - started[ticket]) * 1000)
                if len(latencies) >= waiting["expected"]:
                    all_in.set()

    async def open_socket(path: str, token: str, unit: int, inbox: bool) -> tuple[ClientConnection, asyncio.Task[None]]:
        ws = await connect(f"{ws_base}{path}?token={token}", compression=None, max_queue=None, open_timeout=60)
        first = json.loads(await ws.recv())
        assert first["type"] == "snapshot", first
        return ws, asyncio.create_task(listen(ws, unit, inbox))

    opened = []
    for i in range(INBOXES):
        user = handlers[i % len(handlers)]
        opened.append(await open_socket("/ws/inbox", tokens[user["username"]], user["unit_id"], True))
        sockets_of[user["unit_id"]] += 1
    for i in range(BOARDS):
        user = supervisors[i % len(supervisors)]
        opened.append(await open_socket("/ws/board", tokens[user["username"]], user["unit_id"], False))

    # targets: the handler units of each district (its departments, streets, communities and grids)
    targets = {d: [u for u in sockets_of if d in chain(parents, u) and u != d] for d in dispatchers}
    rng = random.Random(12345)
    statuses: Counter[int] = Counter()
    clients = {
        d: httpx.AsyncClient(base_url=base, timeout=30, headers={"Authorization": f"Bearer {tokens[u['username']]}"})
        for d, u in dispatchers.items()
    }
    order = [d for _ in range(RATE * SECONDS // len(dispatchers) + 1) for d in dispatchers][: RATE * SECONDS]

    async def assign(district: int, ticket: int, unit: int) -> None:
        target_of[ticket] = unit
        started[ticket] = time.perf_counter()
        response = await clients[district].post(
            f"/api/tickets/{ticket}/assign", json={"unit_id": unit, "reason": "压测"}
        )
        statuses[response.status_code] += 1

    begin = time.perf_counter()
    calls = []
    for n, district in enumerate(order):
        delay = begin + n / RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        ticket = planted[district].pop()
        calls.append(asyncio.create_task(assign(district, ticket, rng.choice(targets[district]))))
    await asyncio.gather(*calls)
    sent_for = time.perf_counter() - begin
    expected = sum(sockets_of[target_of[t]] for t in target_of)
    waiting["expected"] = expected
    if sum(reached.values()) < expected:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_in.wait(), 10)
    for client in clients.values():
        await client.aclose()
    for ws, task in opened:
        task.cancel()
        await ws.close()

    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 1) if latencies else -1.0

    return {
        "bench": "inbox",
        "inbox_sockets": INBOXES,
        "board_sockets": BOARDS,
        "assignments": len(target_of),
        "rate_per_s": RATE,
        "sent_in_s": round(sent_for, 1),
        "http_statuses": dict(statuses),
        "deliveries_expected": expected,
        "deliveries_received": sum(reached.values()),
        "wrong_unit_deliveries": len(wrong),
        "frames": dict(frames),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "max_ms": round(latencies[-1], 1) if latencies else -1.0,
        "goal_p99_ms": GOAL_P99_MS,
        "ok": bool(latencies) and pct(99) <= GOAL_P99_MS and not wrong and sum(reached.values()) == expected,
    }


if __name__ == "__main__":
    main()
