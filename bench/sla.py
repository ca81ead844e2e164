"""SLA timer benchmark: 10,000 deadlines fall due within a short window; how late does each
overdue alert reach a connected board client?

    python bench/sla.py        # ends with one JSON line

Deadlines are planted directly in the database (with their timer jobs queued as the system
queues them), arq worker processes fire them, a supervisor's board client on a web process
receives the alerts over a websocket. Delay = arrival at the client - the deadline's due_at.
Duplicates count alert ids (overdue or warning) that arrived more than once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.system import System, free_port, stop, system, wait_for_http
from hotline.queue import connect_queue
from hotline.sla.timers import schedule_timers


async def plant(bench: System, timers: int, lead: float, window: float) -> dict[int, datetime]:
    conn = await asyncpg.connect(bench.database_url)
    try:
        unit = await conn.fetchval("SELECT id FROM units WHERE code = 'DH-S1-C1'")
        now = datetime.now(UTC)
        ids = [
            r["id"]
            for r in await conn.fetch(
                """INSERT INTO tickets (number, type, channel, content, state, holder_unit_id, created_at, updated_at)
               SELECT 'S' || g, 'complaint', 'phone', '压测工单', 'new', $1, $2, $2 FROM generate_series(1, $3) g
               RETURNING id""",
                unit,
                now,
                timers,
            )
        ]
        await conn.execute("UPDATE tickets SET state = 'assigned' WHERE id = ANY($1::bigint[])", ids)
        dues = [now + timedelta(seconds=lead + window * i / timers) for i in range(timers)]
        rows = await conn.fetch(
            """INSERT INTO deadlines (ticket_id, unit_id, track, rule_name, duration_seconds, counts, warn_fraction,
                                      start_at, due_at, warn_at)
               SELECT t, $1, 'reply', '压测时限', 60, 'natural', 0.8, $2, d, d - interval '1 second'
               FROM unnest($3::bigint[], $4::timestamptz[]) AS u (t, d) RETURNING id, due_at""",
            unit,
            now,
            ids,
            dues,
        )
        return {r["id"]: r["due_at"] for r in rows}
    finally:
        await conn.close()


async def queue_timers(bench: System, deadlines: dict[int, datetime]) -> None:
    queue = connect_queue(bench.settings())
    for due in deadlines.values():  # one call per deadline, as each clock's use-case queues its own
        await schedule_timers(queue, (due - timedelta(seconds=1), due))
    await queue.aclose()


async def watch(base: str, expected: int, timeout: float, connected: asyncio.Event) -> tuple[list[float], int, int]:
    """(overdue delays, duplicate alerts of either kind, distinct warnings) until every overdue alert arrived."""
    async with httpx.AsyncClient(base_url=base) as http:
        login = {"username": "supervisor", "password": "demo12345", "kind": "api"}
        token = (await http.post("/api/auth/login", json=login)).json()["token"]
    seen: Counter[int] = Counter()
    warnings: Counter[int] = Counter()
    delays: list[float] = []
    url = base.replace("http://", "ws://") + f"/ws/board?token={token}"
    async with connect(url, compression=None, max_size=None) as ws:
        ready = asyncio.get_running_loop().create_future()

        async def receive() -> None:
            async for raw in ws:
                frame = json.loads(raw)
                if not ready.done():
                    ready.set_result(True)
                if frame["type"] == "event" and frame["event_type"] == "sla.warning":
                    warnings[frame["payload"]["alert_id"]] += 1
                if frame["type"] == "event" and frame["event_type"] == "sla.overdue":
                    arrived = datetime.now(UTC)
                    payload = frame["payload"]
                    seen[payload["alert_id"]] += 1
                    if seen[payload["alert_id"]] == 1:
                        due = datetime.fromisoformat(payload["due_at"])
                        delays.append((arrived - due).total_seconds() * 1000)
                    if len(seen) >= expected:
                        return

        task = asyncio.create_task(receive())
        await asyncio.wait_for(ready, 10)
        connected.set()
        try:
            await asyncio.wait_for(task, timeout)
        except TimeoutError:
            task.cancel()
    duplicates = sum(n - 1 for counter in (seen, warnings) for n in counter.values())
    return delays, duplicates, len(warnings)


async def raised(bench: System) -> tuple[int, int]:
    """(alerts, supervision orders) in the database: each at most once by its unique key."""
    conn = await asyncpg.connect(bench.database_url)
    try:
        alerts = await conn.fetchval("SELECT count(*) FROM sla_alerts")
        return alerts, await conn.fetchval("SELECT count(*) FROM supervision_orders")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=20.0, help="seconds over which the deadlines fall due")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with system() as bench:
        port = free_port()
        web = bench.start("web", "--port", str(port))
        base = f"http://127.0.0.1:{port}"
        workers = []
        try:
            wait_for_http(f"{base}/healthz")

            async def run() -> tuple[list[float], int, int, tuple[int, int]]:
                lead = 15.0 + args.timers / 2000  # time to plant and queue before the first one is due
                deadlines = await plant(bench, args.timers, lead, args.window)
                started = time.perf_counter()
                await queue_timers(bench, deadlines)
                print(f"planted and queued {args.timers} timers in {time.perf_counter() - started:.1f} s")
                connected = asyncio.Event()
                watcher = asyncio.create_task(watch(base, args.timers, lead + args.window + 120, connected))
                await connected.wait()
                for _ in range(args.workers):
                    workers.append(bench.start("worker"))
                delays, duplicates, warnings = await watcher
                return delays, duplicates, warnings, await raised(bench)

            delays, duplicates, warnings, (db_alerts, orders) = asyncio.run(run())
        finally:
            for proc in [*workers, web]:
                stop(proc)
    q = statistics.quantiles(delays, n=100, method="inclusive") if len(delays) > 1 else [0.0] * 99
    result = {
        "timers": args.timers,
        "alerts": len(delays),
        "warnings": warnings,
        "db_alerts": db_alerts,
        "orders": orders,
        "duplicates": duplicates,
        "p50_ms": round(q[49], 1),
        "p99_ms": round(q[98], 1),
        "max_ms": round(max(delays, default=0.0), 1),
        "window_s": args.window,
        "workers": args.workers,
    }
    print(
        f"{result['alerts']}/{args.timers} overdue alerts ({warnings} warnings) at the board; "
        f"{result['db_alerts']} alerts and {result['orders']} supervision orders in the database; delay: "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms; "
        f"duplicates {duplicates}"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
