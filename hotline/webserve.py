"""Running the web processes: one uvicorn server, or several each listening on its own socket.

uvicorn's `--workers` share one listening socket: whichever worker is waiting in accept() takes
a whole burst of new connections, and keep-alive clients then stay with it (measured in the
intake benchmark: 66 % vs 10 % CPU on two workers). Here each worker binds its own socket to the
same port with SO_REUSEPORT, so the kernel spreads connections over the workers evenly. This
process only supervises: it restarts a worker that dies and stops them all on SIGTERM/SIGINT.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from typing import Any

import structlog
import uvicorn
from uvicorn.config import STARTUP_FAILURE

from hotline.embedded import die_with_parent
from hotline.ops.gc_tuning import settle_after_startup

log = structlog.get_logger(__name__)

# A worker that exits with an error this soon after it started is broken (bad app, port taken):
# restarting it would only fail again, so everything stops. One killed by a signal is replaced.
STARTUP_GRACE_S = 10.0
STOP_TIMEOUT_S = 20.0


def refuse_if_served(host: str, port: int) -> None:
    """Stop with a clear message if something already listens on the port: our workers bind with
    SO_REUSEPORT, so a second `hotline web` on a served port would otherwise bind too and silently take
    half the connections (to another database, perhaps). A probe without SO_REUSEPORT cannot bind
    where anyone listens."""
    if not port:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SystemExit(
                f"端口 {host}:{port} 已被占用（另一个 hotline web 或其他程序正在监听），拒绝启动：{exc.strerror}"
            ) from None


def serve(processes: int, **config: Any) -> int:
    """Serve `config` (uvicorn.Config keywords) with `processes` workers; returns the exit code."""
    if processes <= 1:
        if not _run(config):
            sys.exit(STARTUP_FAILURE)
        return 0
    if not config.get("port"):
        raise SystemExit("several web processes need a fixed port ([web] port)")
    spawn = multiprocessing.get_context("spawn")
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    def start() -> tuple[BaseProcess, float]:
        worker = spawn.Process(target=_worker, kwargs=config, daemon=False)
        worker.start()
        return worker, time.monotonic()

    workers = [start() for _ in range(processes)]
    exit_code = 0
    while not stopping:
        time.sleep(0.5)
        for i, (worker, started) in enumerate(workers):
            if worker.is_alive() or stopping:
                continue
            code = worker.exitcode or 0
            if code == STARTUP_FAILURE or (code > 0 and time.monotonic() - started < STARTUP_GRACE_S):
                log.error("web process failed to start; stopping", code=code)
                stopping, exit_code = True, 1
                break
            log.warning("web process died; restarting", code=code)
            workers[i] = start()
    for worker, _ in workers:
        if worker.is_alive():
            worker.terminate()  # SIGTERM: uvicorn finishes the requests in flight
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for worker, _ in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            worker.kill()
    return exit_code


def _worker(**config: Any) -> None:
    die_with_parent(signal.SIGTERM)()  # no orphaned workers if the supervisor is killed
    try:
        sock = _reuseport_socket(config.get("host", "127.0.0.1"), config["port"])
    except OSError as exc:
        log.error("cannot listen", port=config["port"], error=str(exc))
        sys.exit(STARTUP_FAILURE)
    _run(config, [sock])


class _SettlingServer(uvicorn.Server):
    """A uvicorn server that tunes its process's garbage collector once the app has started (gc_tuning)."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        settle_after_startup()


def _run(config: dict[str, Any], sockets: list[socket.socket] | None = None) -> bool:
    """Serve until stopped; whether the app started."""
    server = _SettlingServer(uvicorn.Config(**config))
    server.run(sockets=sockets)
    return server.started


def _reuseport_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock
