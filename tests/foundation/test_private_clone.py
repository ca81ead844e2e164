"""The embedded PostgreSQL from a clone under a directory other users cannot enter (`mktemp -d`, root's home),
as `make run` as root starts it: the server's user gets a data directory under /var/lib/hotline-pg recorded in
var/, and a copy of the PostgreSQL install when the virtualenv is out of its reach too."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import asyncpg
import pytest

from hotline.embedded import PG_HOME, PG_USER, EmbeddedServices, postgres_bin_dir, reachable_install, traversable

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")


async def test_the_embedded_database_starts_and_answers_from_a_private_directory() -> None:
    private = Path(tempfile.mkdtemp(prefix="hotline-private-"))  # 0700, as mktemp -d makes it
    assert not traversable(private / "clone")
    # the virtualenv's PostgreSQL as the wheel lays it out: the package's install, its shared libraries beside it
    shipped = postgres_bin_dir().parent
    site = private / "clone" / ".venv" / "site-packages"
    install = site / shipped.parent.name / shipped.name
    made: list[Path] = []
    try:
        shutil.copytree(shipped, install, symlinks=True)
        libs = shipped.parent.parent / f"{shipped.parent.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, site / libs.name, symlinks=True)
        bindir = reachable_install(install / "bin")
        made.append(bindir.parents[2])
        assert bindir.parents[2].parent == PG_HOME and traversable(bindir / "postgres")
        command = [bindir / "postgres", "--version"]
        version = await asyncio.to_thread(
            subprocess.run, command, user=PG_USER, cwd="/", capture_output=True, text=True
        )
        assert version.returncode == 0 and "PostgreSQL" in version.stdout

        var = private / "clone" / "var"
        with EmbeddedServices(var, postgres_bin=install / "bin") as urls:  # initdb and postgres from the copy
            location = Path((var / "postgres" / "location").read_text().strip())
            made.append(location)
            assert location.parent == PG_HOME and (location / "data" / "PG_VERSION").exists()
            conn = await asyncpg.connect(urls.database_url)
            try:
                await conn.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)")
            finally:
                await conn.close()
        with EmbeddedServices(
            var, postgres_bin=install / "bin"
        ) as urls:  # the next start finds the same data through var/
            conn = await asyncpg.connect(urls.database_url)
            try:
                assert await conn.fetchval("SELECT n FROM kept") == 7
            finally:
                await conn.close()
    finally:
        shutil.rmtree(private, ignore_errors=True)
        for path in made:
            shutil.rmtree(path, ignore_errors=True)
