"""A private valkey server a test may stop, start, pause (SIGSTOP) and resume, apart from the session's."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import redis
import redis.asyncio as aioredis

from hotline.embedded import valkey_server_binary
from tests.support.services import free_port
from tests.support.waiting import eventually


class Valkey:
    """A valkey server on a fixed port that can be restarted, with or without persistence."""

    def __init__(self, directory: Path, *, persistent: bool):
        self.directory = directory
        self.persistent = persistent
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.process = self._launch()
        client = aioredis.Redis(port=self.port, socket_timeout=1)

        async def answers() -> bool:
            try:
                return bool(await client.ping())
            except redis.ConnectionError:
                return False

        try:
            await eventually(answers, message=f"valkey on port {self.port} answering")
        finally:
            await client.aclose()

    def _launch(self) -> subprocess.Popen[bytes]:
        aof = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        command = [str(valkey_server_binary()), "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--dir", str(self.directory), "--save", "", *aof]
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)  # a paused server would not act on the SIGTERM
            self.process.terminate()
            self.process.wait(10)

    def pause(self) -> None:
        """SIGSTOP: the server hangs (its kernel still accepts connections), as a stalled host would."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)
