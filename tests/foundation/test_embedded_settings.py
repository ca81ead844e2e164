"""The embedded PostgreSQL's buffer cache: as configured, or a quarter of the machine's memory (128 MB to 4 GB)."""

from __future__ import annotations

import shutil
from pathlib import Path

import asyncpg
import psutil

from hotline.queries import load_queries
from hotline.services import supervised_services
from hotline.settings import load_settings
from tests.support.services import private_service_dir

ROOT = Path(__file__).resolve().parents[2]
T = load_queries(Path(__file__).with_name("sql"))


async def buffer_cache_mb(extra_env: dict[str, str]) -> int:
    directory = private_service_dir()
    settings = load_settings(ROOT / "config.toml", {"HOTLINE_APP_VAR_DIR": str(directory), **extra_env})
    try:
        with supervised_services(settings) as (live, embedded):
            assert embedded is not None  # no URL was given: the servers are our own
            conn = await asyncpg.connect(live.database_url)
            try:
                return int(await conn.fetchval(T.shared_buffers_mb))
            finally:
                await conn.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def test_the_configured_buffer_cache_is_the_embedded_servers() -> None:
    assert await buffer_cache_mb({"HOTLINE_EMBEDDED_POSTGRES_SHARED_BUFFERS": "160MB"}) == 160


async def test_without_a_setting_the_buffer_cache_is_a_quarter_of_the_memory() -> None:
    quarter = psutil.virtual_memory().total // 4 // 2**20
    assert await buffer_cache_mb({}) == min(max(quarter, 128), 4096)
