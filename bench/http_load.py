"""A lean HTTP/1.1 load generator for the benchmarks: keep-alive connections, requests encoded
as bytes up front, responses read by Content-Length, on uvloop.

httpx spends several times the CPU of the endpoint it measures per request; on a two-core machine
that CPU is taken from the servers under test. This client costs a small fraction of it, and the
same client drives the bare baseline and our server, so both are measured the same way.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

import uvloop

# Well below uvicorn's 5 s keep-alive timeout, so a reused connection is never one the server is closing.
IDLE_REUSE_S = 2.0


class Connection:
    """One keep-alive connection; one request at a time, as a browser tab or an operator's client sends them."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, base: str) -> Connection:
        parts = urlsplit(base)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer)

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
                break
        else:
            raise RuntimeError("a response without Content-Length: this client reads no chunked bodies")
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def post_json(base: str, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> bytes:
    payload = json.dumps(body, ensure_ascii=False).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {urlsplit(base).netloc}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def closed_loop(base: str, make: Callable[[int], bytes], clients: int, seconds: float) -> tuple[float, int, int]:
    """`clients` connections, each sending its next request as soon as the last one is answered:
    (requests per second, answers, non-2xx answers)."""
    connections = await asyncio.gather(*(Connection.open(base) for _ in range(clients)))
    done = errors = 0
    stop_at = time.perf_counter() + seconds

    async def client(conn: Connection, n: int) -> None:
        nonlocal done, errors
        i = n
        while time.perf_counter() < stop_at:
            status, _ = await conn.send(make(i))
            done, errors = done + 1, errors + (not 200 <= status < 300)
            i += clients

    started = time.perf_counter()
    try:
        await asyncio.gather(*(client(conn, n) for n, conn in enumerate(connections)))
    finally:
        for conn in connections:
            conn.close()
    return done / (time.perf_counter() - started), done, errors


async def open_loop(base: str, make: Callable[[int], bytes], rate: float, seconds: float) -> tuple[list[float], int]:
    """Requests sent at a fixed rate whatever the answers do, each timed from send to answer in ms;
    a request finding no idle connection opens one (so slow answers cannot slow the sender)."""
    idle: list[tuple[Connection, float]] = [
        (conn, time.perf_counter()) for conn in await asyncio.gather(*(Connection.open(base) for _ in range(8)))
    ]
    latencies: list[float] = []
    errors = 0

    async def one(i: int) -> None:
        nonlocal errors
        started = time.perf_counter()
        conn, used = idle.pop() if idle else (await Connection.open(base), started)
        if started - used > IDLE_REUSE_S:  # the server may be closing it (keep-alive timeout): a new one
            conn.close()
            conn = await Connection.open(base)
        try:
            status, _ = await conn.send(make(i))
        except (asyncio.IncompleteReadError, ConnectionError):  # the server dropped it: an answer never given
            conn.close()
            errors += 1
            return
        latencies.append((time.perf_counter() - started) * 1000)
        errors += not 200 <= status < 300
        idle.append((conn, time.perf_counter()))

    tasks, start = [], time.perf_counter()
    for i in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    for conn, _ in idle:
        conn.close()
    return latencies, errors


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return uvloop.run(coroutine)
