"""`hotline up`: the whole system on one machine — embedded services, migrations, web and worker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from hotline.db import connect
from hotline.embedded import EmbeddedServiceError, die_with_parent
from hotline.migrate import migrate
from hotline.services import supervised_services
from hotline.settings import Settings
from hotline.sla.rules_store import seed_from_settings
from hotline.tickets import search_index

log = structlog.get_logger("hotline.up")

# A child that exits this soon after it started is broken (bad config, port taken): starting it again
# would only fail again, so everything stops. One that dies later (killed, crashed) is started again.
STARTUP_GRACE_S = 10.0


async def prepare_database(settings: Settings, *, seed_demo: bool) -> None:
    from hotline.demo.city import DEMO_TICKETS, seed_demo_if_empty
    from hotline.demo.tickets import seed_tickets

    ensure_model(settings)
    conn = await connect(settings)
    try:
        applied = await migrate(conn)
        if applied:
            log.info("migrations applied", names=applied)
        if indexed := await search_index.backfill(conn):
            log.info("search index filled for tickets written before it", tickets=indexed)
        if await seed_from_settings(conn, settings):
            log.info("SLA rules and calendar written from config.toml into the new database")
        seeded = seed_demo and await seed_demo_if_empty(conn, settings)
    finally:
        await conn.close()
    if seeded:
        outcomes = await seed_tickets(settings, DEMO_TICKETS, datetime.now(UTC))
        log.info("demo city seeded", tickets=outcomes)


def ensure_model(settings: Settings) -> None:
    """The demo city classifies out of the box: train the shipped bootstrap model if none is configured."""
    from classifier.artifact import METADATA_FILE, needs_training
    from classifier.bootstrap import train_default_model
    from classifier.versions import ModelStore

    model_dir = settings.path(settings.classifier.model_dir)
    if needs_training(model_dir) and (model_dir / METADATA_FILE).exists():
        # a model we cannot read may be the city's own: never overwrite it with the demo one
        raise SystemExit(
            f"{model_dir} 中的分类模型格式已过期，请重新训练"
            f"（hotline classifier train --data 历史工单.csv --model {model_dir}），或删除该目录以使用内置演示模型"
        )
    if needs_training(model_dir):
        log.info("training the default classifier model", model_dir=str(model_dir))
        store = ModelStore(model_dir)  # versions/<version>, and model_dir a symlink to it (classifier/versions.py)
        staged = store.staging()
        train_default_model(staged)
        store.switch(store.add(staged))


def child_env(settings: Settings) -> dict[str, str]:
    assert settings.database_url and settings.redis_url
    env = dict(os.environ)
    env["HOTLINE_DATABASE_URL"] = settings.database_url
    env["HOTLINE_REDIS_URL"] = settings.redis_url
    env["HOTLINE_SECRET_KEY"] = settings.secret_key
    return env


def spawn(name: str, settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "hotline", name],
        env=child_env(settings),
        cwd=settings.root,
        start_new_session=True,  # we forward Ctrl-C ourselves, in order
        preexec_fn=die_with_parent(signal.SIGTERM),
    )


@dataclass
class Child:
    command: str  # "worker" or "web"
    proc: subprocess.Popen[bytes]
    started: float


def run_all(settings: Settings, *, seed_demo: bool) -> int:
    """Serve until Ctrl-C/SIGTERM, supervising: a worker or web process that dies is started again (one
    that dies within STARTUP_GRACE_S of its start is broken, and everything stops loudly), and so is an
    embedded PostgreSQL or valkey that dies (on its port: every process's URL stays right; the web
    processes answer 503 meanwhile, the workers retry)."""
    stop_requested = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with supervised_services(settings) as (live, embedded):
        asyncio.run(prepare_database(live, seed_demo=seed_demo))
        names = ["worker"] * live.worker.processes + ["web"]
        children = [Child(name, spawn(name, live), time.monotonic()) for name in names]
        log.info("hotline is up", url=f"http://{live.web.host}:{live.web.port}/")
        exit_code = 0
        while not stop_requested:
            try:
                for server in embedded.revive() if embedded is not None else []:
                    log.error("embedded server died; started it again", server=server)
            except EmbeddedServiceError as exc:
                log.error("embedded server cannot be kept up; stopping", error=str(exc))
                stop_requested, exit_code = True, 1
                break
            for child in children:
                if child.proc.poll() is None:
                    continue
                if time.monotonic() - child.started < STARTUP_GRACE_S:
                    log.error("process exited right after starting; stopping", process=child.command,
                              code=child.proc.returncode)  # fmt: skip
                    stop_requested, exit_code = True, 1
                    break
                log.error("process exited unexpectedly; starting it again", process=child.command,
                          code=child.proc.returncode)  # fmt: skip
                child.proc, child.started = spawn(child.command, live), time.monotonic()
            time.sleep(0.2)
        log.info("stopping")
        for child in children:
            if child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.proc.kill()
    return exit_code
