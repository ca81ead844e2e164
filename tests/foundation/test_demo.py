"""`hotline demo seed`: a fictional city with the whole five-level chain and a user for every role."""

from collections.abc import Callable
from subprocess import CompletedProcess

import asyncpg
import pytest

from hotline.passwords import verify_password
from tests.support.services import SHIPPED_ARGON2

pytestmark = pytest.mark.usefixtures("clean")


Cli = Callable[..., CompletedProcess[str]]


async def test_demo_city_has_the_whole_chain(hotline_cli: Cli, pool: asyncpg.Pool) -> None:
    result = hotline_cli("demo", "seed")
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
    # the demo's tickets include returns approved and re-routed and returns rejected (派单准确性 shows them)
    reviews = dict(await pool.fetch(
        "SELECT action, count(*) FROM ticket_events WHERE action IN ('approve_return', 'reject_return') GROUP BY 1"
    ))  # fmt: skip
    assert reviews.get("approve_return", 0) > 0 and reviews.get("reject_return", 0) > 0
    admin_hash = await pool.fetchval("SELECT password_hash FROM users WHERE username = 'admin'")
    assert verify_password(admin_hash, "demo12345")
    assert admin_hash.startswith("$argon2id$v=19$m=64,t=1,p=4$")  # [auth] from HOTLINE_AUTH_* (the tests' cheap ones)


async def test_seeding_twice_changes_nothing(hotline_cli: Cli, pool: asyncpg.Pool) -> None:
    assert hotline_cli("demo", "seed").returncode == 0
    counts = await pool.fetchrow("SELECT (SELECT count(*) FROM units) u, (SELECT count(*) FROM users) p")
    assert hotline_cli("demo", "seed").returncode == 0
    assert await pool.fetchrow("SELECT (SELECT count(*) FROM units) u, (SELECT count(*) FROM users) p") == counts


def test_demo_is_refused_in_production(hotline_cli: Cli) -> None:
    # with the shipped password hashing: the tests' cheap parameters are refused in production
    production = {"HOTLINE_APP_ENV": "production", **SHIPPED_ARGON2}
    result = hotline_cli("demo", "seed", **production)
    assert result.returncode == 1
    assert "生产环境" in result.stderr and "不能写入演示数据" in result.stderr
