"""`hotline web` with several processes (hotline/webserve.py): connections spread over all of them,
a killed worker is replaced, and SIGTERM stops every one."""

import socket
import time
from pathlib import Path

import httpx
import psutil

from tests.conftest import free_port, service_environ, start_process, stop_process, wait_for_http


def workers(supervisor: psutil.Process) -> list[psutil.Process]:
    """The uvicorn workers: the children listening on a socket (multiprocessing adds a helper that does not)."""
    found = []
    for child in supervisor.children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and any(
                c.status == psutil.CONN_LISTEN for c in child.net_connections()
            ):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def wait_for_workers(
    supervisor: psutil.Process, count: int, gone: int | None = None, timeout: float = 60
) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = workers(supervisor)
        if len(found) == count and gone not in {w.pid for w in found}:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{count} listening workers expected, found {len(workers(supervisor))}")


def test_two_web_processes_share_the_port(database_url: str, redis_url: str, var_dir: Path) -> None:
    port = free_port()
    env = service_environ(database_url, redis_url, var_dir, HOTLINE_WEB_PROCESSES="2")
    proc = start_process(["web", "--port", str(port)], env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/healthz", proc)
        supervisor = psutil.Process(proc.pid)
        first, second = wait_for_workers(supervisor, 2)

        # 40 connections opened at once: the kernel spreads them over both sockets (all on one: 2^-39)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        time.sleep(0.5)
        held = [sum(c.status == psutil.CONN_ESTABLISHED for c in w.net_connections()) for w in (first, second)]
        for client in clients:
            client.close()
        assert min(held) > 0, held

        # a worker that dies is replaced, and the port keeps answering
        first.kill()
        replaced = wait_for_workers(supervisor, 2, gone=first.pid)
        assert httpx.get(f"{base}/healthz", timeout=10).status_code in (200, 503)

        proc.terminate()
        proc.wait(30)
        _, alive = psutil.wait_procs(replaced, timeout=10)
        assert alive == []
    finally:
        stop_process(proc)
