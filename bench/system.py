"""What the system benchmarks share: services (embedded unless HOTLINE_* URLs are set), a fresh
migrated database with the demo city and model, and hotline processes started from this checkout."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from hotline.embedded import EmbeddedServices
from hotline.runner import ensure_model
from hotline.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class System:
    database_url: str
    redis_url: str
    var_dir: Path

    def environ(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            HOTLINE_CONFIG=str(ROOT / "config.toml"),
            HOTLINE_APP_VAR_DIR=str(self.var_dir),
            HOTLINE_DATABASE_URL=self.database_url,
            HOTLINE_REDIS_URL=self.redis_url,
            HOTLINE_SECRET_KEY="bench-secret-key-not-for-production",
            HOTLINE_LOGGING_LEVEL="WARNING",
        )
        env.update(extra)
        return env

    def settings(self) -> Settings:
        """The settings a process of the system under test would build."""
        return load_settings(environ=self.environ())

    def hotline(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hotline", *args],
            env=self.environ(**env),
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )

    def start(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        # the processes classify calls, with the model `hotline up` trains on a new machine (a bench starts them
        # itself: on a fresh clone, every call failed without one)
        ensure_model(load_settings(environ=self.environ(**env)))
        return subprocess.Popen(
            [sys.executable, "-m", "hotline", *args],
            env=self.environ(**env),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            httpx.get(url, timeout=1)
            return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process started in a session of its own, and its children with it: a web process's workers must not
    outlive it when it is killed after a slow shutdown (they would go on serving sockets as orphans)."""
    if proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    _signal_group(proc, signal.SIGKILL)  # whatever of the group is left


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


@contextlib.contextmanager
def servers(var: Path) -> Iterator[tuple[str, str]]:
    """(PostgreSQL URL, Redis URL): the HOTLINE_* URLs when set, embedded servers under var/services for the rest."""
    db_url, redis_url = os.environ.get("HOTLINE_DATABASE_URL"), os.environ.get("HOTLINE_REDIS_URL")
    if db_url and redis_url:
        yield db_url, redis_url
        return
    embedded = EmbeddedServices(var / "services")
    urls = embedded.start()
    try:
        yield db_url or urls.database_url, redis_url or urls.redis_url
    finally:
        embedded.stop()


def with_database(url: str, name: str) -> str:
    """The same server's URL for database `name`."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def create_database(server_url: str, name: str, *, replace: bool = False, copy_of: str | None = None) -> str:
    """Create database `name` on the server of `server_url` (dropping it first when `replace`), empty or a copy of
    database `copy_of` (file by file: a copy through the WAL writes a large database twice); returns its URL."""
    if replace:
        drop_database(server_url, name)
    copy = f' TEMPLATE "{copy_of}" STRATEGY = FILE_COPY' if copy_of else ""
    asyncio.run(_execute(with_database(server_url, "postgres"), f'CREATE DATABASE "{name}"{copy}'))
    return with_database(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    asyncio.run(_execute(with_database(server_url, "postgres"), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def system() -> Iterator[System]:
    """A fresh database on the configured or embedded servers, migrated, with the demo city (no tickets)."""
    var = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    var.chmod(0o711)
    try:
        with servers(var) as (db_url, redis_url):
            name = f"hotline_bench_{secrets.token_hex(4)}"
            bench = System(create_database(db_url, name), redis_url, var)
            try:
                bench.hotline("demo", "seed", "--tickets", "0")
                yield bench
            finally:
                drop_database(db_url, name)
    finally:
        shutil.rmtree(var, ignore_errors=True)


async def _execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
