"""Live board benchmark: fan-out delay of one event to 1,000 websockets, and memory per connection.

    python bench/board.py              # 1,000 clients, 20 events; ends with one JSON line
    python bench/board.py --compare    # publish->receive latency and loss: Streams, pub/sub, NOTIFY

Uses HOTLINE_REDIS_URL (and HOTLINE_DATABASE_URL for --compare) when set, otherwise starts
private embedded servers in a temporary directory. The board endpoint runs under uvicorn in
a child process (so its memory can be measured alone); the clients share this process.
A delay is measured from just before XADD to the moment a client has parsed the frame, so it
includes the client side's own queueing behind the other 999 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect

from realtime import Event, Hub, publish, websocket_route

UNIT_PATH = [1, 3, 5]  # a street office (5) under a district (3) under the city (1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between events")
    parser.add_argument(
        "--deflate", action="store_true", help="serve with permessage-deflate (hotline serves without it)"
    )
    parser.add_argument("--compare", action="store_true", help="compare Streams, pub/sub and NOTIFY")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--redis", help=argparse.SUPPRESS)
    parser.add_argument("--stream", help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_fd_limit()
    if args.serve:
        serve(args.port, args.redis, args.stream, deflate=args.deflate)
        return
    with services() as (redis_url, database_url):
        if args.compare:
            result = asyncio.run(compare(redis_url, database_url))
        else:
            result = fan_out(redis_url, args)
    print(json.dumps(result))


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@contextlib.contextmanager
def services() -> Iterator[tuple[str, str | None]]:
    """(redis URL, database URL or None): configured, or private embedded servers."""
    redis_url = os.environ.get("HOTLINE_REDIS_URL")
    if redis_url:
        yield redis_url, os.environ.get("HOTLINE_DATABASE_URL")
        return
    from hotline.embedded import EmbeddedServices

    directory = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    directory.chmod(0o711)  # the PostgreSQL user must reach it when we run as root
    embedded = EmbeddedServices(directory)
    try:
        urls = embedded.start()
        yield urls.redis_url, urls.database_url
    finally:
        embedded.stop()
        shutil.rmtree(directory, ignore_errors=True)


# -- the server (child process) -------------------------------------------------------------


def serve(port: int, redis_url: str, stream: str, *, deflate: bool) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket

    hub = Hub(aioredis.from_url(redis_url), stream=stream)

    async def authenticate(websocket: WebSocket) -> int | None:
        token = websocket.query_params.get("unit", "")
        return int(token) if token.isdigit() else None

    async def snapshot(unit: int) -> dict[str, Any]:
        return {"unit": unit, "counts": {"待签收": 12, "处理中": 40, "即将超时": 3, "已超时": 1}}

    def accepts(unit: int, event: Event) -> bool:
        return unit in event.unit_path

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with hub:
            yield

    endpoint = websocket_route(hub, authenticate, snapshot, accepts)
    app = Starlette(routes=[WebSocketRoute("/ws/board", endpoint)], lifespan=lifespan)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", backlog=4096, ws_per_message_deflate=deflate)


# -- fan-out --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the board server exited")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError("the board server did not start")


def fan_out(redis_url: str, args: argparse.Namespace) -> dict[str, Any]:
    port, stream = free_port(), f"bench:board:{secrets.token_hex(4)}"
    command = [
        sys.executable,
        __file__,
        "--serve",
        "--port",
        str(port),
        "--redis",
        redis_url,
        "--stream",
        stream,
    ]
    proc = subprocess.Popen([*command, *(["--deflate"] if args.deflate else [])], start_new_session=True)
    try:
        wait_for_port(port, proc)
        return asyncio.run(drive(f"ws://127.0.0.1:{port}/ws/board", redis_url, stream, psutil.Process(proc.pid), args))
    finally:
        proc.terminate()
        proc.wait(30)


async def drive(
    url: str, redis_url: str, stream: str, server: psutil.Process, args: argparse.Namespace
) -> dict[str, Any]:
    redis = aioredis.from_url(redis_url)
    arrivals: dict[str, list[float]] = {}

    def arrived(frame: dict[str, Any], at: float) -> None:
        arrivals.setdefault(frame["id"], []).append(at)

    warm, warm_task = await open_client(f"{url}?unit=5", arrived)  # loads the server's lazy code paths first
    await warm.close()
    await warm_task
    await asyncio.sleep(1.0)
    rss_before = server.memory_info().rss

    started = time.perf_counter()
    urls = [f"{url}?unit={UNIT_PATH[n % len(UNIT_PATH)]}" for n in range(args.clients)]
    clients = await open_clients(urls, arrived)
    connect_s = time.perf_counter() - started
    await asyncio.sleep(2.0)
    rss_after = server.memory_info().rss
    print(
        f"{len(clients)} clients connected in {connect_s:.1f} s; server RSS {rss_before / 2**20:.1f} -> "
        f"{rss_after / 2**20:.1f} MiB",
        file=sys.stderr,
    )

    sent: dict[str, float] = {}
    payload = {
        "ticket": 20261122001,
        "title": "小区夜间施工噪音扰民",
        "deadline": "2026-11-22T10:00:00+08:00",
    }
    for n in range(args.events):
        at = time.perf_counter()
        event_id = await publish(redis, "sla.warning", UNIT_PATH, {**payload, "n": n}, stream=stream)
        sent[event_id] = at
        await asyncio.sleep(args.interval)
    await asyncio.sleep(2.0)

    delays = sorted((t - sent[i]) * 1000 for i in sent for t in arrivals.get(i, []))
    complete = sorted((max(arrivals[i]) - sent[i]) * 1000 for i in sent if i in arrivals)
    await close_clients(clients)
    await redis.delete(stream)
    await redis.aclose()

    result = {
        "bench": "board",
        "clients": len(clients),
        "events": len(sent),
        "delivered": len(delays),
        "expected": len(sent) * len(clients),
        "p50_ms": round(percentile(delays, 50), 1),
        "p99_ms": round(percentile(delays, 99), 1),
        "max_ms": round(delays[-1], 1) if delays else None,
        "all_clients_p50_ms": round(percentile(complete, 50), 1),
        "all_clients_max_ms": round(complete[-1], 1) if complete else None,
        "kib_per_client": round((rss_after - rss_before) / 1024 / max(len(clients), 1), 1),
        "deflate": args.deflate,
    }
    print(
        f"delivered {result['delivered']}/{result['expected']}; delay p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms, max {result['max_ms']} ms; last client reached after "
        f"{result['all_clients_p50_ms']} ms (median event), {result['all_clients_max_ms']} ms (worst); "
        f"{result['kib_per_client']} KiB per connection",
        file=sys.stderr,
    )
    return result


# -- board clients (bench/megacity.py opens them too) ------------------------------------------

OnEvent = Callable[[dict[str, Any], float], None]  # an event frame and the moment it was parsed (perf_counter)
EVENT_FRAMES = Counter[str]()  # the frames that carried events ("frames"), however many events each ("events")
Client = tuple[ClientConnection, asyncio.Task[None]]


async def open_client(url: str, on_event: OnEvent, max_size: int = 2**20) -> Client:
    """A board socket whose first frame was its snapshot, and the task handing its event frames to `on_event`."""
    ws = await connect(url, max_size=max_size, open_timeout=60)
    first = json.loads(await ws.recv())
    assert first["type"] == "snapshot", first
    return ws, asyncio.create_task(listen(ws, on_event))


async def listen(ws: ClientConnection, on_event: OnEvent) -> None:
    with contextlib.suppress(Exception):
        async for message in ws:
            frame = json.loads(message)
            events = {"event": [frame], "events": frame.get("events")}.get(frame["type"])  # "events": batch=1
            if events:
                EVENT_FRAMES["frames"] += 1  # not Counter.update(...): a tenth of this process's work under load
                EVENT_FRAMES["events"] += len(events)
                at = time.perf_counter()
                for event in events:
                    on_event(event, at)


async def open_clients(urls: list[str], on_event: OnEvent, batch: int = 100, max_size: int = 2**20) -> list[Client]:
    """One client per URL, `batch` connecting at a time (a reconnect storm, not one socket after another)."""
    clients: list[Client] = []
    for first in range(0, len(urls), batch):
        clients += await asyncio.gather(*(open_client(u, on_event, max_size) for u in urls[first : first + batch]))
    return clients


async def close_clients(clients: list[Client]) -> None:
    for _ws, task in clients:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws, _ in clients), return_exceptions=True)


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, round(pct / 100 * (len(sorted_values) - 1)))]


# -- transports compared --------------------------------------------------------------------


async def compare(redis_url: str, database_url: str | None, rounds: int = 500, missed: int = 100) -> dict[str, Any]:
    """Publish->receive latency, one message at a time, and what a reader that was away gets."""
    result: dict[str, Any] = {"bench": "board-compare", "rounds": rounds, "missed_while_away": missed}
    result["streams"] = await compare_streams(redis_url, rounds, missed)
    result["pubsub"] = await compare_pubsub(redis_url, rounds, missed)
    if database_url:
        result["notify"] = await compare_notify(database_url, rounds, missed)
    for name in ("streams", "pubsub", "notify"):
        if name in result:
            r = result[name]
            print(
                f"{name:8} p50 {r['p50_ms']:.3f} ms  p99 {r['p99_ms']:.3f} ms  "
                f"received after reconnect {r['recovered']}/{missed}",
                file=sys.stderr,
            )
    return result


def summary(latencies: list[float], recovered: int) -> dict[str, Any]:
    latencies.sort()
    return {
        "p50_ms": round(percentile(latencies, 50), 3),
        "p99_ms": round(percentile(latencies, 99), 3),
        "recovered": recovered,
    }


async def compare_streams(redis_url: str, rounds: int, missed: int) -> dict[str, Any]:
    stream = f"bench:compare:{secrets.token_hex(4)}"
    writer, reader = aioredis.from_url(redis_url), aioredis.from_url(redis_url)
    last = "0-0"
    latencies = []
    for n in range(rounds):
        read = asyncio.create_task(reader.xread({stream: last}, count=1, block=5000))
        await asyncio.sleep(0.001)  # the XREAD is waiting in Redis, as a hub's reader would be
        started = time.perf_counter()
        await writer.xadd(stream, {"n": str(n)})
        [[_name, [(entry_id, _fields)]]] = await read
        latencies.append((time.perf_counter() - started) * 1000)
        last = entry_id
    await reader.aclose()  # the reader goes away...
    for n in range(missed):
        await writer.xadd(stream, {"n": str(n)})
    reader = aioredis.from_url(redis_url)  # ...and comes back with its last id
    reply = await reader.xread({stream: last}, count=missed * 2)
    recovered = len(reply[0][1]) if reply else 0
    await writer.delete(stream)
    await reader.aclose()
    await writer.aclose()
    return summary(latencies, recovered)


async def compare_pubsub(redis_url: str, rounds: int, missed: int) -> dict[str, Any]:
    channel = f"bench:compare:{secrets.token_hex(4)}"
    writer, reader = aioredis.from_url(redis_url), aioredis.from_url(redis_url)
    pubsub = reader.pubsub()
    await pubsub.subscribe(channel)
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    latencies = []
    for n in range(rounds):
        started = time.perf_counter()
        await writer.publish(channel, str(n))
        message = None
        while message is None:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
        latencies.append((time.perf_counter() - started) * 1000)
    await pubsub.aclose()
    for n in range(missed):
        await writer.publish(channel, str(n))
    pubsub = reader.pubsub()
    await pubsub.subscribe(channel)
    recovered = 0
    while await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5) is not None:
        recovered += 1
    await pubsub.aclose()
    await reader.aclose()
    await writer.aclose()
    return summary(latencies, recovered)


async def compare_notify(database_url: str, rounds: int, missed: int) -> dict[str, Any]:
    import asyncpg

    channel = f"bench_{secrets.token_hex(4)}"
    writer, reader = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    queue: asyncio.Queue[str] = asyncio.Queue()

    def on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
        queue.put_nowait(payload)

    await reader.add_listener(channel, on_notify)
    latencies = []
    for n in range(rounds):
        started = time.perf_counter()
        await writer.execute("SELECT pg_notify($1, $2)", channel, str(n))
        await asyncio.wait_for(queue.get(), 5)
        latencies.append((time.perf_counter() - started) * 1000)
    await reader.close()
    for n in range(missed):
        await writer.execute("SELECT pg_notify($1, $2)", channel, str(n))
    reader = await asyncpg.connect(database_url)
    await reader.add_listener(channel, on_notify)
    await asyncio.sleep(0.5)
    recovered = queue.qsize()
    await reader.close()
    await writer.close()
    return summary(latencies, recovered)


if __name__ == "__main__":
    main()
