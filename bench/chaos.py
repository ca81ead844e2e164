"""Failing servers under load (issue 12): `hotline up` with 2 web processes and 2 workers on embedded
PostgreSQL and valkey, intake at 100 tickets/s for 3 minutes and 300 SLA clocks falling due, while the
run kills a worker (SIGKILL), pauses Redis for 10 s (SIGSTOP/SIGCONT), restarts Redis, restarts
PostgreSQL and kills a web process. A supervisor's board follows it all over a websocket.

Reported (one JSON line): `acknowledged` (201 answers), `stored` (of those, the tickets in the database
at the end), `lost` (acknowledged, not stored: must be 0), `alerts_expected` (the planted clocks'
warnings and overdue alerts), `alerts_delivered_once` / `alerts_missing` / `alerts_duplicated` (on the
board client), `events_lost` (tickets committed whose `ticket.created` never reached the board stream),
and per fault `recovery_s` (from the fault's start to the answer of the last failed intake request
sent in its window, 0 when none failed) and `error_rate` (failed / sent in the window: from the start
of the fault to 10 s after it was lifted).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from bench.http_load import IDLE_REUSE_S, Connection, post_json, run
from bench.system import ROOT, free_port
from hotline.queue import connect_queue
from hotline.settings import load_settings
from hotline.sla.timers import schedule_timers

RATE = 100.0  # tickets per second
INTAKE_S = 190.0
CLOCKS = 300
PASSWORD = "demo12345"
REQUEST_TIMEOUT_S = 15.0
AFTER_FAULT_S = 10.0  # a fault's window runs this long after it was lifted
DRAIN_S = 90.0
# (name, seconds into the intake, seconds it lasts)
FAULTS = [
    ("worker_sigkill", 25.0, 0.0),
    ("redis_pause_10s", 50.0, 10.0),
    ("redis_restart", 85.0, 0.0),
    ("postgres_restart", 115.0, 0.0),
    ("web_sigkill", 150.0, 0.0),
]
CALLS = [
    ("东湖区青山街道柳岸花园3栋", "柳岸花园3栋楼下烧烤店每天营业到凌晨，噪音很大，请尽快处理"),
    ("南江区江湾街道江湾一号", "江湾一号整栋楼停水一上午了，一直没有通知，请相关部门处理"),
    ("东湖区桂花街道桂园新村", "桂园新村门口的路灯坏了半个月，晚上走路看不见，请维修"),
    ("西岭区白云街道白云山庄", "白云山庄物业公司乱收停车费，业主意见很大，希望有关部门管一管"),
]


@dataclass
class Request:
    sent: float
    answered: float = 0.0
    status: int = 0  # 0: no answer (connection refused, reset, timed out)
    ticket_id: int | None = None


@dataclass
class Board:
    """A supervisor's board over a websocket that comes back and resumes, as a wall screen does."""

    url: str
    alerts: Counter[int] = field(default_factory=Counter)
    created: set[int] = field(default_factory=set)
    last_event_id: str | None = None
    reconnects: int = 0

    async def follow(self) -> None:
        while True:
            query = f"&last_event_id={self.last_event_id}" if self.last_event_id else ""
            try:
                async with connect(self.url + query, compression=None, max_size=None, open_timeout=5) as ws:
                    async for raw in ws:
                        frame = json.loads(raw)
                        if frame["type"] in ("snapshot", "resumed") and frame.get("last_event_id"):
                            self.last_event_id = frame["last_event_id"]
                        if frame["type"] != "event":
                            continue
                        self.last_event_id = frame["id"]
                        payload = frame["payload"]
                        if frame["event_type"] in ("sla.warning", "sla.overdue"):
                            self.alerts[int(payload["alert_id"])] += 1
                        elif frame["event_type"] == "ticket.created":
                            self.created.add(int(payload["ticket_id"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                self.reconnects += 1
                await asyncio.sleep(0.3)


def environ(var: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        HOTLINE_CONFIG=str(ROOT / "config.toml"),
        HOTLINE_APP_VAR_DIR=str(var),
        HOTLINE_WEB_PORT=str(port),
        HOTLINE_WEB_PROCESSES="2",
        HOTLINE_WORKER_PROCESSES="2",
        HOTLINE_LOGGING_LEVEL="WARNING",
        HOTLINE_LOGGING_FORMAT="json",
    )
    return env


def children(up: psutil.Process) -> dict[str, list[psutil.Process]]:
    """The processes under `hotline up`: workers, uvicorn web workers, the servers' main processes."""
    found: dict[str, list[psutil.Process]] = {"worker": [], "web": [], "postgres": [], "valkey": []}
    for child in up.children():
        name, cmdline = child.name(), " ".join(child.cmdline())
        if "postgres" in name:
            found["postgres"].append(child)
        elif "valkey" in name:
            found["valkey"].append(child)
        elif cmdline.endswith("hotline worker"):
            found["worker"].append(child)
        elif cmdline.endswith("hotline web"):
            found["web"] += [p for p in child.children() if "multiprocessing.spawn" in " ".join(p.cmdline())
                             and "resource_tracker" not in " ".join(p.cmdline())]  # fmt: skip
    return found


def inject(up: psutil.Process, fault: str) -> None:
    procs = children(up)
    if fault == "worker_sigkill":
        procs["worker"][0].send_signal(signal.SIGKILL)
    elif fault == "redis_pause_10s":
        procs["valkey"][0].send_signal(signal.SIGSTOP)
    elif fault == "redis_restart":
        procs["valkey"][0].send_signal(signal.SIGTERM)  # it exits; the supervisor starts it again
    elif fault == "postgres_restart":
        procs["postgres"][0].send_signal(signal.SIGINT)  # fast shutdown; the supervisor starts it again
    elif fault == "web_sigkill":
        procs["web"][0].send_signal(signal.SIGKILL)


def lift(up: psutil.Process, fault: str) -> None:
    if fault == "redis_pause_10s":
        children(up)["valkey"][0].send_signal(signal.SIGCONT)


async def wait_green(base: str, up: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=3) as client:
        while time.monotonic() < deadline:
            if up.poll() is not None:
                raise RuntimeError(f"hotline up exited with {up.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.5)
    raise RuntimeError("hotline up did not turn green")


async def token(base: str, username: str) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{base}/api/auth/login", json={"username": username, "password": PASSWORD, "kind": "api"}
        )
        response.raise_for_status()
        return str(response.json()["token"])


async def plant_clocks(
    conn: asyncpg.Connection, first_due: float, window: float
) -> tuple[dict[int, datetime], set[int]]:
    """CLOCKS open tickets with a reply clock each, falling due over the run (written straight into the
    database, so without board events of their own): their deadlines' due times, and the tickets."""
    unit = await conn.fetchval("SELECT id FROM units WHERE code = 'DH-S1-C1'")
    now = datetime.now(UTC)
    ids = [
        r["id"]
        for r in await conn.fetch(
            """INSERT INTO tickets (number, type, channel, content, state, holder_unit_id, created_at, updated_at)
               SELECT 'X' || g, 'complaint', 'phone', '故障演练时限工单', 'new', $1, $2, $2
               FROM generate_series(1, $3) g RETURNING id""",
            unit,
            now,
            CLOCKS,
        )
    ]
    await conn.execute("UPDATE tickets SET state = 'assigned' WHERE id = ANY($1::bigint[])", ids)
    dues = [now + timedelta(seconds=first_due + window * i / CLOCKS) for i in range(CLOCKS)]
    rows = await conn.fetch(
        """INSERT INTO deadlines (ticket_id, unit_id, track, rule_name, duration_seconds, counts, warn_fraction,
                                  start_at, due_at, warn_at)
           SELECT t, $1, 'reply', '演练时限', 60, 'natural', 0.8, $2, d, d - interval '1 second'
           FROM unnest($3::bigint[], $4::timestamptz[]) AS u (t, d) RETURNING id, due_at""",
        unit,
        now,
        ids,
        dues,
    )
    return {r["id"]: r["due_at"] for r in rows}, set(ids)


async def intake(base: str, bearer: str, log: list[Request]) -> None:
    """Open loop at RATE for INTAKE_S: every request is sent on time whatever the others do."""
    idle: list[tuple[Connection, float]] = []

    async def one(i: int) -> None:
        address, content = CALLS[i % len(CALLS)]
        body = {"type": "complaint", "channel": "phone", "content": f"{content}（第{i}次来电）", "address": address,
                "caller_phone": f"139{i:08d}"}  # fmt: skip
        request = Request(time.monotonic())
        log.append(request)
        conn = None
        try:
            while idle and not conn:
                conn, used = idle.pop()
                if time.monotonic() - used > IDLE_REUSE_S:  # the server may be closing it (keep-alive timeout)
                    conn.close()
                    conn = None
            conn = conn or await asyncio.wait_for(Connection.open(base), 5)
            headers = {"Authorization": f"Bearer {bearer}", "Idempotency-Key": f"chaos-{i}"}
            status, raw = await asyncio.wait_for(
                conn.send(post_json(base, "/api/tickets", body, headers)), REQUEST_TIMEOUT_S
            )
            request.status = status
            if status == 201:
                request.ticket_id = int(json.loads(raw)["id"])
            idle.append((conn, time.monotonic()))
        except Exception:
            if conn is not None:
                conn.close()
        request.answered = time.monotonic()

    start = time.monotonic()
    tasks = []
    for i in range(int(RATE * INTAKE_S)):
        await asyncio.sleep(max(0.0, start + i / RATE - time.monotonic()))
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    for conn, _ in idle:
        conn.close()


async def chaos(up: psutil.Process, started: float, marks: dict[str, tuple[float, float]]) -> None:
    for name, at, lasts in FAULTS:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        begin = time.monotonic()
        inject(up, name)
        if lasts:
            await asyncio.sleep(lasts)
            lift(up, name)
        marks[name] = (begin, time.monotonic())


def fault_figures(log: list[Request], marks: dict[str, tuple[float, float]]) -> dict[str, dict[str, Any]]:
    figures = {}
    for name, (begin, lifted) in marks.items():
        window = [r for r in log if begin <= r.sent < lifted + AFTER_FAULT_S]
        failed = [r for r in window if not 200 <= r.status < 300]
        figures[name] = {
            "recovery_s": round(max((r.answered - begin for r in failed), default=0.0), 2),
            "error_rate": round(len(failed) / len(window), 4) if window else None,
            "sent": len(window),
            "failed": len(failed),
            "statuses": dict(Counter(str(r.status) for r in failed)),  # 0: no answer
        }
    return figures


async def stream_created(redis_url: str) -> set[int]:
    """Ticket ids of every ticket.created event on the board stream."""
    client = aioredis.from_url(redis_url, socket_timeout=10)
    ids: set[int] = set()
    after = "-"
    try:
        while True:
            entries = await client.xrange("realtime:events", min=after, max="+", count=5000)
            if after != "-":
                entries = entries[1:]
            if not entries:
                return ids
            for _entry_id, fields in entries:
                if fields.get(b"type") == b"ticket.created":
                    ids.add(int(json.loads(fields[b"payload"])["ticket_id"]))
            after = entries[-1][0].decode()
    finally:
        await client.aclose()


async def measure(var: Path, env: dict[str, str], base: str, up_proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    await wait_green(base, up_proc, 600)
    services = json.loads((var / "services.json").read_text())
    settings = load_settings(
        environ={**env, "HOTLINE_DATABASE_URL": services["database_url"], "HOTLINE_REDIS_URL": services["redis_url"]}
    )
    up = psutil.Process(up_proc.pid)
    operator, supervisor = await token(base, "operator"), await token(base, "supervisor")
    board = Board(base.replace("http://", "ws://") + f"/ws/board?token={supervisor}")
    follower = asyncio.create_task(board.follow())
    conn = await asyncpg.connect(services["database_url"])
    try:
        first_ticket = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM tickets"))
        clocks, planted = await plant_clocks(conn, first_due=15.0, window=INTAKE_S - 25.0)
    finally:
        await conn.close()
    queue = connect_queue(settings)
    for due in clocks.values():
        await schedule_timers(queue, (due - timedelta(seconds=1), due))
    await queue.aclose()

    log: list[Request] = []
    marks: dict[str, tuple[float, float]] = {}
    started = time.monotonic()
    await asyncio.gather(intake(base, operator, log), chaos(up, started, marks))
    intake_s = time.monotonic() - started

    async def settled() -> tuple[int, int, int]:
        conn = await asyncpg.connect(services["database_url"])
        try:
            alerts = await conn.fetch("SELECT id FROM sla_alerts WHERE deadline_id = ANY($1::bigint[])", list(clocks))
            pending = await conn.fetchval("SELECT count(*) FROM board_outbox WHERE relayed_at IS NULL")
        finally:
            await conn.close()
        seen = sum(1 for a in alerts if board.alerts[a["id"]])
        return len(alerts), seen, int(pending)

    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            raised, seen, pending = await settled()
            if raised >= 2 * CLOCKS and seen >= 2 * CLOCKS and pending == 0:
                break
        await asyncio.sleep(1)
    await asyncio.sleep(2)  # a duplicate would arrive now
    follower.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await follower

    conn = await asyncpg.connect(services["database_url"])
    try:
        acknowledged = {r.ticket_id for r in log if r.ticket_id is not None}
        stored = {
            r["id"] for r in await conn.fetch("SELECT id FROM tickets WHERE id = ANY($1::bigint[])", list(acknowledged))
        }
        committed = {r["id"] for r in await conn.fetch("SELECT id FROM tickets WHERE id > $1", first_ticket)}
        alert_ids = [
            r["id"]
            for r in await conn.fetch("SELECT id FROM sla_alerts WHERE deadline_id = ANY($1::bigint[])", list(clocks))
        ]
        unrelayed = int(await conn.fetchval("SELECT count(*) FROM board_outbox WHERE relayed_at IS NULL"))
    finally:
        await conn.close()
    intake_tickets = committed - planted  # every ticket the intake committed, acknowledged or not
    on_stream = await stream_created(services["redis_url"])
    expected = 2 * CLOCKS
    delivered = [board.alerts[a] for a in alert_ids]
    latencies = sorted(r.answered - r.sent for r in log if r.status == 201)
    return {
        "bench": "chaos",
        "intake_s": round(intake_s, 1),
        "sent": len(log),
        "rate_per_s": round(len(log) / intake_s, 1),
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "lost": len(acknowledged - stored),
        "alerts_expected": expected,
        "alerts_raised": len(alert_ids),
        "alerts_delivered_once": sum(1 for n in delivered if n == 1),
        "alerts_missing": expected - sum(1 for n in delivered if n >= 1),
        "alerts_duplicated": sum(1 for n in delivered if n > 1),
        "events_lost": len(intake_tickets - on_stream),
        "board_missed_created": len(acknowledged - board.created),
        "outbox_unrelayed": unrelayed,
        "board_reconnects": board.reconnects,
        "statuses": dict(Counter(str(r.status) for r in log)),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else None,
        "max_recovery_s": {name: f["recovery_s"] for name, f in fault_figures(log, marks).items()},
        "error_rate": {name: f["error_rate"] for name, f in fault_figures(log, marks).items()},
        "faults": fault_figures(log, marks),
    }


def main() -> None:
    var = Path(tempfile.mkdtemp(prefix="hotline-chaos-"))
    var.chmod(0o711)  # the embedded PostgreSQL runs as its own user when we are root
    port = free_port()
    env = environ(var, port)
    with open(var / "up.log", "wb") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "hotline", "up", "--seed-demo-if-empty"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            result = run(measure(var, env, f"http://127.0.0.1:{port}", up))
            result["up_still_running"] = up.poll() is None
        finally:
            if up.poll() is None:
                up.send_signal(signal.SIGINT)
                try:
                    up.wait(60)
                except subprocess.TimeoutExpired:
                    up.kill()
    lines = (var / "up.log").read_text(errors="replace").splitlines()
    errors: Counter[str] = Counter()
    for line in lines:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            entry = json.loads(line)
            if entry.get("level") == "error":
                errors[f"{entry.get('component', '?')}: {str(entry['event'])[:80]}"] += 1
    result["up_log_errors"] = dict(errors.most_common(8))
    shutil.rmtree(var, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
