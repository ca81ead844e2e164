"""`hotline web` with several processes (hotline/webserve.py): connections spread over all of them,
a killed worker is replaced, and SIGTERM stops every one."""

import socket
import subprocess
from collections.abc import Callable

import httpx
import psutil
import pytest

from tests.support.services import all_gone, answering, free_port, start_process, stop_process
from tests.support.waiting import eventually


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


async def listening_workers(supervisor: psutil.Process, count: int, gone: int | None = None) -> list[psutil.Process]:
    def found() -> list[psutil.Process]:
        listening = workers(supervisor)
        return listening if len(listening) == count and gone not in {w.pid for w in listening} else []

    return await eventually(found, timeout=60, interval=0.2, message=f"{count} listening web workers")


def clients_held(worker: psutil.Process, port: int) -> int:
    """Connections from clients to `port` that this worker accepted (not its own to PostgreSQL or Redis)."""
    return sum(c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port for c in worker.net_connections())


@pytest.mark.usefixtures("clean")  # no worker has beaten: /healthz answers 503
async def test_two_web_processes_share_the_port(test_environ: dict[str, str]) -> None:
    port = free_port()
    proc = start_process(["web", "--port", str(port)], {**test_environ, "HOTLINE_WEB_PROCESSES": "2"})
    try:
        base = f"http://127.0.0.1:{port}"
        await answering(f"{base}/healthz", proc)
        supervisor = psutil.Process(proc.pid)
        first, second = await listening_workers(supervisor, 2)

        # 40 connections opened at once: the kernel spreads them over both sockets (all on one: 2^-39)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        await eventually(
            lambda: sum(clients_held(w, port) for w in (first, second)) == 40, message="all 40 connections accepted"
        )
        held = [clients_held(w, port) for w in (first, second)]
        for client in clients:
            client.close()
        assert min(held) > 0, held

        # a worker that dies is replaced, and the port keeps answering
        first.kill()
        replaced = await listening_workers(supervisor, 2, gone=first.pid)
        async with httpx.AsyncClient(timeout=10) as client:
            assert (await client.get(f"{base}/healthz")).status_code == 503

        proc.terminate()
        proc.wait(30)
        await eventually(lambda: all_gone(replaced), message="every web worker stopped with the supervisor")
    finally:
        stop_process(proc)


@pytest.mark.usefixtures("clean")
async def test_a_second_web_on_a_served_port_refuses_to_start(
    test_environ: dict[str, str], hotline_cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """Two processes each bind the port with SO_REUSEPORT: a second `hotline web` would have shared it silently."""
    port = free_port()
    first = start_process(["web", "--port", str(port)], {**test_environ, "HOTLINE_WEB_PROCESSES": "2"})
    try:
        await answering(f"http://127.0.0.1:{port}/healthz", first)
        for processes in ("2", "1"):
            second = hotline_cli("web", "--port", str(port), HOTLINE_WEB_PROCESSES=processes)
            assert second.returncode == 1
            assert f"端口 127.0.0.1:{port} 已被占用" in second.stderr, second.stderr
        assert first.poll() is None, "the first web keeps serving"
    finally:
        stop_process(first)
