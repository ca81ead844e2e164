"""PostgreSQL's own tools (pg_dump, pg_restore) for a server given by URL: the embedded binaries or the
server's, whichever fits its version, run with the connection in the environment (never on the command
line, where other users of the host could read a password)."""

from __future__ import annotations

import asyncio
import functools
import glob
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from hotline.embedded import EmbeddedServiceError, postgres_bin_dir


class ToolError(RuntimeError):
    """The Chinese message says what failed."""


def libpq_environ(database_url: str) -> dict[str, str]:
    """PG* variables for libpq tools: host, port, user, password, database, and sslmode and the like."""
    parts = urlsplit(database_url)
    env = dict(os.environ)
    values = {
        "PGHOST": parts.hostname or "",
        "PGPORT": str(parts.port or ""),
        "PGUSER": unquote(parts.username or ""),
        "PGPASSWORD": unquote(parts.password or ""),
        "PGDATABASE": unquote(parts.path.lstrip("/")),
    }
    for key, items in parse_qs(parts.query).items():
        if key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name"):
            values[f"PG{key.upper().replace('_', '')}"] = items[-1]
    env.update({k: v for k, v in values.items() if v})
    return env


@functools.cache
def tool_version(binary: Path) -> int:
    """The major version of a PostgreSQL client program (0: unusable)."""
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return 0
    found = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    return int(found.group(1)) if found else 0


def candidates(tool: str, configured: str = "") -> list[Path]:
    """Where `tool` may be: the configured directory, the embedded binaries, the distribution's, PATH."""
    found: list[Path] = []
    if configured:
        found.append(Path(configured) / tool)
    try:
        found.append(postgres_bin_dir() / tool)
    except EmbeddedServiceError:
        pass
    found += [Path(p) for p in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))]
    on_path = shutil.which(tool)
    if on_path:
        found.append(Path(on_path))
    return [p for p in dict.fromkeys(found) if p.exists()]


def choose(tool: str, server_major: int, configured: str = "") -> Path:
    """The tool of the server's own major version if there is one, else the oldest newer one (pg_dump reads
    older servers; an older pg_dump refuses a newer server)."""
    usable = [(tool_version(p), p) for p in candidates(tool, configured)]
    usable = [(v, p) for v, p in usable if v >= server_major]
    if not usable:
        raise ToolError(
            f"找不到 PostgreSQL {server_major} 或更新版本的 {tool}；请安装 PostgreSQL 客户端，"
            "或在 config.toml 的 [backup] pg_bin_dir 中指定其 bin 目录"
        )
    return min(usable, key=lambda item: (item[0] != server_major, item[0]))[1]


async def run(command: list[str | Path], database_url: str) -> str:
    """Run a client program against the database; its output, or ToolError with the end of its complaint."""
    proc = await asyncio.create_subprocess_exec(
        *(str(c) for c in command),
        env=libpq_environ(database_url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise ToolError(f"{Path(str(command[0])).name} 失败：{err.decode(errors='replace').strip()[-2000:]}")
    return out.decode(errors="replace")
