"""A flood of wrong passwords against one web process while another client reads tickets.

    python bench/login_flood.py        # about 2.5 minutes; ends with one JSON line

One `hotline web` process with the shipped argon2 parameters ([auth] in config.toml) on a fresh database with
the demo city and 60 tickets. A reader (the city's supervisor) lists tickets at 20 requests/s throughout; its
p99 is measured alone for 30 s, then during two floods of 50 wrong-password logins/s for 60 s each:

- from one address, any usernames: past [auth] failed_logins_per_address the login answers 429 without
  hashing (what one attacking machine gets);
- from a new address and a new username each time (X-Forwarded-For, which uvicorn trusts from localhost, as
  from a proxy): every attempt is a full argon2 check in the bounded thread pool ([auth] hash_threads), so
  this is what a botnet gets.

Counts of 401 (checked and refused) and 429 (limited) show which defence was at work.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import http_load
from bench.system import System, free_port, stop, system, wait_for_http

READ_RATE, FLOOD_RATE = 20.0, 50.0
BASELINE_S, FLOOD_S = 30.0, 60.0
TICKETS = 60
CALL = {
    "type": "complaint",
    "channel": "phone",
    "content": "楼下烧烤店每天营业到凌晨，噪音很大。",
    "address": "东湖区柳岸花园",
}


def get(base: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {urlsplit(base).netloc}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def p99(values: list[float]) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[98], 1) if len(values) > 1 else 0.0


async def flood(base: str, spread: bool, seconds: float) -> dict[str, int]:
    """Wrong-password logins at FLOOD_RATE; the answers by status."""
    statuses: dict[int, int] = {}

    def attempt(i: int) -> bytes:
        who = {"username": f"guess{i % 500}" if spread else ("admin", "operator", "nobody")[i % 3]}
        address = {"X-Forwarded-For": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"} if spread else {}
        return http_load.post_json(base, "/api/auth/login", {**who, "password": f"wrong{i}", "kind": "api"}, address)

    connections: list[tuple[http_load.Connection, float]] = []

    async def one(i: int) -> None:
        conn, used = connections.pop() if connections else (await http_load.Connection.open(base), time.perf_counter())
        if time.perf_counter() - used > http_load.IDLE_REUSE_S:  # the server may be closing it (keep-alive)
            conn.close()
            conn = await http_load.Connection.open(base)
        try:
            status, _ = await conn.send(attempt(i))
        except ConnectionError:
            statuses[0] = statuses.get(0, 0) + 1  # 0: the connection was reset
            conn.close()
            return
        statuses[status] = statuses.get(status, 0) + 1
        connections.append((conn, time.perf_counter()))

    tasks, start = [], time.perf_counter()
    for i in range(int(FLOOD_RATE * seconds)):
        await asyncio.sleep(max(0.0, start + i / FLOOD_RATE - time.perf_counter()))
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    for conn, _ in connections:
        conn.close()
    return {str(k): v for k, v in sorted(statuses.items())}


async def phase(base: str, read: bytes, spread: bool | None) -> dict[str, object]:
    seconds = BASELINE_S if spread is None else FLOOD_S
    reader = asyncio.create_task(http_load.open_loop(base, lambda i: read, READ_RATE, seconds))
    flooded = await flood(base, spread, seconds) if spread is not None else {}
    latencies, errors = await reader
    return {"reader_p99_ms": p99(latencies), "reader_errors": errors, "logins": flooded}


def measure(bench: System) -> dict[str, object]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = bench.start("web", "--port", str(port))
    try:
        wait_for_http(f"{base}/openapi.json")
        login = {"password": "demo12345", "kind": "api"}
        operator = httpx.post(f"{base}/api/auth/login", json={**login, "username": "operator"}, timeout=30).json()
        for _ in range(TICKETS):
            bearer = {"Authorization": f"Bearer {operator['token']}"}
            httpx.post(f"{base}/api/tickets", json=CALL, headers=bearer, timeout=30).raise_for_status()
        reader = httpx.post(f"{base}/api/auth/login", json={**login, "username": "supervisor"}, timeout=30).json()
        read = get(base, "/api/tickets?limit=50", {"Authorization": f"Bearer {reader['token']}"})
        http_load.run(http_load.open_loop(base, lambda i: read, READ_RATE, 3))  # warm up
        alone = http_load.run(phase(base, read, None))
        one_address = http_load.run(phase(base, read, False))
        many_addresses = http_load.run(phase(base, read, True))
    finally:
        stop(web)
    return {"alone": alone, "flood_one_address": one_address, "flood_many_addresses": many_addresses}


def main() -> None:
    with system() as bench:
        auth = bench.settings().auth
        result = measure(bench)
    alone_p99 = result["alone"]["reader_p99_ms"]  # type: ignore[index]
    summary = {
        "bench": "login_flood",
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "argon2": {"time_cost": auth.argon2_time_cost, "memory_kib": auth.argon2_memory_kib},
        "hash_threads": auth.hash_threads,
        "flood_per_s": FLOOD_RATE,
        "flood_s": FLOOD_S,
        "reader_per_s": READ_RATE,
        "reader_p99_ms_alone": alone_p99,
        **{
            f"reader_p99_ms_{name}": result[name]["reader_p99_ms"]  # type: ignore[index]
            for name in ("flood_one_address", "flood_many_addresses")
        },
        "phases": result,
    }
    print(f"reader p99 alone {alone_p99} ms; during the flood from one address "
          f"{summary['reader_p99_ms_flood_one_address']} ms, from many addresses "
          f"{summary['reader_p99_ms_flood_many_addresses']} ms")  # fmt: skip
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
