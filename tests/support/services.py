"""Processes of the system under test (web, worker, command line) and their environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import asyncpg
import httpx
import psutil
import redis.asyncio as aioredis

from hotline.heartbeat import HEARTBEATS_KEY
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
# argon2 at its cheapest in tests (logins and the demo seed hash and verify passwords all the time),
# and the parameters config.toml ships, which production requires at least
CHEAP_ARGON2 = {"HOTLINE_AUTH_ARGON2_TIME_COST": "1", "HOTLINE_AUTH_ARGON2_MEMORY_KIB": "64"}
SHIPPED_ARGON2 = {"HOTLINE_AUTH_ARGON2_TIME_COST": "3", "HOTLINE_AUTH_ARGON2_MEMORY_KIB": "65536"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def private_service_dir() -> Path:
    """A fresh directory for embedded servers that the PostgreSQL user can reach when we run as root."""
    path = Path(tempfile.mkdtemp(prefix="hotline-test-"))
    path.chmod(0o711)
    return path


def service_environ(database_url: str, redis_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a process of the system under test."""
    env = dict(os.environ)
    env.update(
        HOTLINE_CONFIG=str(ROOT / "config.toml"),
        HOTLINE_APP_ENV="test",
        HOTLINE_APP_VAR_DIR=str(var_dir),
        HOTLINE_DATABASE_URL=database_url,
        HOTLINE_REDIS_URL=redis_url,
        HOTLINE_SECRET_KEY="test-secret-key-not-for-production",
        HOTLINE_LOGGING_LEVEL="WARNING",
        HOTLINE_LOGGING_FORMAT="json",  # one line per error in the test output
        HOTLINE_WORKER_HEARTBEAT_S="1",
        HOTLINE_CLASSIFIER_MODEL_DIR=str(var_dir / "models" / "current"),
        **CHEAP_ARGON2,
    )
    env.update(extra)
    return env


def start_process(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "hotline", *args], env=env, cwd=ROOT, start_new_session=True)


def start_logged_process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Like `start_process`, with its output (logs included) written to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "hotline", *args], env=env, cwd=ROOT, start_new_session=True, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def answering(url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30.0) -> None:
    """Wait until `url` answers (any status); fail at once if `proc` exits first."""

    async def answers() -> bool:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            async with httpx.AsyncClient(timeout=1.0) as client:
                await client.get(url)
            return True
        except httpx.TransportError:
            return False

    await eventually(answers, timeout=timeout, interval=0.1, message=f"{url} answering")


async def beating(redis: aioredis.Redis, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Wait until the worker `proc` has written its first heartbeat (it polls its queue from then on)."""
    suffix = f":{proc.pid}".encode()

    async def beats() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode} before its first heartbeat")
        return any(key.endswith(suffix) for key in await redis.hkeys(HEARTBEATS_KEY))

    await eventually(beats, timeout=timeout, interval=0.1, message=f"worker {proc.pid} beating")


def survivors(processes: list[psutil.Process]) -> list[str]:
    """Those of `processes` still running (a zombie left for its parent to reap counts as gone), each as its
    pid and command line, so a test that waits for them to stop can say which did not."""
    running = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                running.append(f"{process.pid} {' '.join(process.cmdline())[:100]}")
        except psutil.NoSuchProcess:
            pass
    return running


def all_gone(processes: list[psutil.Process]) -> bool:
    return not survivors(processes)


SCHEMA_DATA = ["schema_migrations", "ticket_transitions"]  # rows that are part of the schema


async def truncate_all(pool: asyncpg.Pool, attempts: int = 5) -> None:
    """Empty every table. A process of the previous test may still be writing (a page's last request, a worker's
    job): TRUNCATE takes its locks table by table, in another order than that statement's, and PostgreSQL may end
    the TRUNCATE as the deadlock's victim; the other side then commits and the TRUNCATE is tried again."""
    async with pool.acquire() as conn:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> ALL($1::text[])", SCHEMA_DATA
        )
        if not tables:
            return
        names = ", ".join(f'"{t["tablename"]}"' for t in tables)
        for attempt in range(attempts):
            try:
                await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
                return
            except asyncpg.DeadlockDetectedError:
                if attempt == attempts - 1:
                    raise


class Processes:
    """Web and worker processes started by one test, on that test's queue; all stopped after it.

    `await spawn.web(HOTLINE_SLA_REPLY_MINUTES="0.05")` returns a base URL once it answers;
    `await spawn.worker()` returns the Popen once the worker beats.
    """

    def __init__(self, env: dict[str, str], redis: aioredis.Redis):
        self.env = env
        self.redis = redis
        self.started: list[subprocess.Popen[bytes]] = []
        self.web_processes: dict[str, subprocess.Popen[bytes]] = {}

    async def web(self, port: int | None = None, **env: str) -> str:
        port = port or free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_process(["web", "--port", str(port)], {**self.env, **env})
        self.started.append(proc)
        await answering(f"{base}/healthz", proc)
        self.web_processes[base] = proc
        return base

    async def worker(self, **env: str) -> subprocess.Popen[bytes]:
        proc = start_process(["worker"], {**self.env, **env})
        self.started.append(proc)
        await beating(self.redis, proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.started:
            stop_process(proc)
