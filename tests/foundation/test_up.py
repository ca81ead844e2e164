"""`hotline up` on embedded servers: starts, survives kill -9 with its data, stops on Ctrl-C leaving nothing."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from hotline.embedded import postgres_bin_dir
from tests.conftest import ROOT, free_port, private_service_dir


@pytest.fixture
def laptop(tmp_path: Path):
    """A config of its own: private var/ and port, no service URLs (so embedded servers start)."""
    var = private_service_dir()
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        (ROOT / "config.toml")
        .read_text(encoding="utf-8")
        .replace('var_dir = "var"', f'var_dir = "{var}"')
        .replace("port = 8000", f"port = {port}"),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(HOTLINE_CONFIG=str(config), HOTLINE_WORKER_HEARTBEAT_S="1", HOTLINE_LOGGING_LEVEL="WARNING")
    yield env, f"http://127.0.0.1:{port}", var
    shutil.rmtree(var, ignore_errors=True)


def start_up(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "hotline", "up", "--seed-demo-if-empty"], env=env, cwd=ROOT, start_new_session=True
    )


def wait_green(base: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        assert proc.poll() is None, "hotline up exited"
        try:
            response = httpx.get(f"{base}/healthz", timeout=2)
            body = response.json()
            if response.status_code == 200:
                return body
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"healthz not green within {timeout} s: {body}")


def family(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def wait_all_gone(processes: list[psutil.Process], timeout: float = 20) -> list[psutil.Process]:
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return alive


def units_count(var: Path) -> int:
    port = (var / "postgres" / "port").read_text().strip()
    out = subprocess.run(
        [
            str(postgres_bin_dir() / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-U",
            "postgres",
            "-d",
            "hotline",
            "-tAc",
            "SELECT count(*) FROM units",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


def test_kill_9_leaves_no_orphan_and_keeps_the_data(laptop) -> None:
    env, base, var = laptop
    up = start_up(env)
    try:
        wait_green(base, up)
        children = family(up.pid)
        names = {p.name() for p in children}
        assert any("postgres" in n for n in names) and any("valkey" in n for n in names)
        seeded = units_count(var)
        assert seeded > 50

        os.kill(up.pid, signal.SIGKILL)
        up.wait()
        assert wait_all_gone(children) == [], "servers or processes outlived a killed `hotline up`"

        again = start_up(env)
        wait_green(base, again, timeout=30)
        assert units_count(var) == seeded  # same data, not re-seeded
        children = family(again.pid)
        again.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert again.wait(30) == 0
        assert wait_all_gone(children) == []
    finally:
        for proc in (up, locals().get("again")):
            if proc is not None and proc.poll() is None:
                proc.kill()
