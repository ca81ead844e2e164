"""A private PostgreSQL primary with a streaming standby (pg_basebackup from the embedded binaries), for the
tests of reads off the primary. Run as the embedded server's user when we are root, like var/'s server."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from hotline.embedded import die_with_parent, free_port, postgres_bin_dir, postgres_run_as, reachable_install


class StandbyPair:
    def __init__(self) -> None:
        # under /tmp, not pytest's 0700 tmp_path: the server's user must reach it
        self.root = Path(tempfile.mkdtemp(prefix="hotline-standby-"))
        self.root.chmod(0o755)
        self.run_as = postgres_run_as()
        # the server's user runs these: a copy it can reach when the clone's virtualenv is out of its reach
        self.bindir = reachable_install(postgres_bin_dir()) if self.run_as else postgres_bin_dir()
        if self.run_as is not None:
            os.chown(self.root, self.run_as.pw_uid, self.run_as.pw_gid)
        self.ports = {"primary": free_port(), "standby": free_port()}
        self.servers: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, which: str, database: str = "hotline") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports[which]}/{database}"

    def start(self) -> StandbyPair:
        self._run("initdb", "-D", self._data("primary"), "-U", "postgres", "--auth=trust", "--locale=C")
        self.start_server("primary")
        self._run("psql", "-h", "127.0.0.1", "-p", str(self.ports["primary"]), "-U", "postgres", "-d", "postgres",
                  "-c", "CREATE DATABASE hotline")  # fmt: skip
        # a fast checkpoint: the default spread one kept the backup waiting 91 s for an almost empty database
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.ports["primary"]), "-U", "postgres",
                  "-D", self._data("standby"), "-R", "-X", "stream", "--checkpoint=fast")  # fmt: skip
        self.start_server("standby")
        return self

    def start_server(self, which: str) -> None:
        port = self.ports[which]
        command = [self.bindir / "postgres", "-D", self._data(which), "-p", str(port), "-k", self.root,
                   "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=50"]  # fmt: skip
        log = open(self.root / f"{which}.log", "ab")
        self.servers[which] = subprocess.Popen(
            [str(c) for c in command],
            stdout=log,
            stderr=subprocess.STDOUT,
            user=self.run_as.pw_uid if self.run_as else None,
            group=self.run_as.pw_gid if self.run_as else None,
            preexec_fn=die_with_parent(signal.SIGINT),
        )
        deadline = time.monotonic() + 30
        while subprocess.run([self.bindir / "pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)]).returncode:
            if time.monotonic() > deadline or self.servers[which].poll() is not None:
                raise RuntimeError(f"{which} did not start; see {self.root / f'{which}.log'}")
            time.sleep(0.05)

    def stop_server(self, which: str) -> None:
        server = self.servers.pop(which, None)
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)  # fast shutdown
            server.wait(15)

    def stop(self) -> None:
        for which in ("standby", "primary"):
            self.stop_server(which)
        shutil.rmtree(self.root, ignore_errors=True)

    def _data(self, which: str) -> Path:
        return self.root / which

    def _run(self, program: str, *args: object) -> None:
        subprocess.run(
            [str(self.bindir / program), *map(str, args)],
            check=True,
            capture_output=True,
            user=self.run_as.pw_uid if self.run_as else None,
            group=self.run_as.pw_gid if self.run_as else None,
        )
