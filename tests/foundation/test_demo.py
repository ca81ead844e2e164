"""`hotline demo seed`: a fictional city with the whole five-level chain and a user for every role."""

import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from hotline.passwords import verify_password
from tests.conftest import ROOT, service_environ

pytestmark = pytest.mark.usefixtures("clean")


def seed(database_url: str, redis_url: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hotline", "demo", "seed"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        env=service_environ(database_url, redis_url, var_dir),
    )


async def test_demo_city_has_the_whole_chain(database_url, redis_url, var_dir, pool: asyncpg.Pool) -> None:
    result = seed(database_url, redis_url, var_dir)
    assert result.returncode == 0, result.stderr
    assert "演示城市" in result.stdout

    districts = await pool.fetch("SELECT id FROM units WHERE level = 'district'")
    assert len(districts) >= 3
    for district in districts:
        children = await pool.fetch("SELECT id, level FROM units WHERE parent_id = $1", district["id"])
        assert sum(c["level"] == "department" for c in children) >= 8
        streets = [c["id"] for c in children if c["level"] == "street"]
        assert len(streets) >= 4
        for street in streets:
            assert await pool.fetchval("SELECT count(*) FROM units WHERE parent_id = $1", street) >= 4

    roles = {r["role"] for r in await pool.fetch("SELECT DISTINCT role FROM users")}
    assert roles == {"operator", "dispatcher", "handler", "supervisor", "admin"}
    unstaffed = await pool.fetchval(
        """SELECT count(*) FROM units u WHERE level IN ('department', 'street', 'community')
           AND NOT EXISTS (SELECT 1 FROM users WHERE unit_id = u.id AND role = 'handler')"""
    )
    assert unstaffed == 0
    admin_hash = await pool.fetchval("SELECT password_hash FROM users WHERE username = 'admin'")
    assert verify_password(admin_hash, "demo12345")


async def test_seeding_twice_changes_nothing(database_url, redis_url, var_dir, pool: asyncpg.Pool) -> None:
    assert seed(database_url, redis_url, var_dir).returncode == 0
    counts = await pool.fetchrow("SELECT (SELECT count(*) FROM units) u, (SELECT count(*) FROM users) p")
    assert seed(database_url, redis_url, var_dir).returncode == 0
    assert await pool.fetchrow("SELECT (SELECT count(*) FROM units) u, (SELECT count(*) FROM users) p") == counts


def test_demo_is_refused_in_production(database_url, redis_url, var_dir) -> None:
    env = service_environ(database_url, redis_url, var_dir, HOTLINE_APP_ENV="production")
    result = subprocess.run(
        [sys.executable, "-m", "hotline", "demo", "seed"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        env=env,
    )
    assert result.returncode == 1
    assert "生产环境" in result.stderr and "不能写入演示数据" in result.stderr
