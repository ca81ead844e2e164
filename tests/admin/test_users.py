"""Users administered over HTTP: a new user's temporary password must be changed before anything else (the
policy refuses short, username-like and common passwords), deactivation ends an open session at once, a reset
ends every session, and a district's administrator manages its own subtree only. Every step is in the audit
log with who, from where, before and after."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from tests.support.api import Login, ok

pytestmark = pytest.mark.usefixtures("module_city")


@contextlib.asynccontextmanager
async def _login(base: str, username: str, password: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base, timeout=15.0) as client:
        body = {"username": username, "password": password, "kind": "api"}
        client.headers["Authorization"] = f"Bearer {ok(await client.post('/api/auth/login', json=body))['token']}"
        yield client


async def test_a_new_user_changes_the_temporary_password_first(
    web_server: str, login: Login, module_city: dict[str, int], pool: asyncpg.Pool
) -> None:
    admin = await login("admin")
    created = ok(
        await admin.post(
            "/api/admin/users",
            json={"username": "zhang.wei", "display_name": "张伟", "role": "handler", "unit_id": module_city["DH-S1"]},
        ),
        201,
    )
    temporary = created["temporary_password"]
    assert created["user"]["must_change_password"] and len(temporary) == 12
    duplicate = await admin.post(
        "/api/admin/users", json={"username": "ZHANG.WEI", "display_name": "x", "role": "handler", "unit_id": 1}
    )
    assert duplicate.status_code == 409

    async with _login(web_server, "zhang.wei", temporary) as user:
        assert ok(await user.get("/api/me"))["must_change_password"] is True
        blocked = await user.get("/api/tickets?scope=inbox")
        assert blocked.status_code == 403 and blocked.json()["error"]["code"] == "password_change_required"
        for weak, message in (
            ("short1", "密码至少 10 位"),
            ("xzhang.weix99", "密码不能包含用户名"),
            ("password123", "密码过于常见或简单"),
        ):
            refused = await user.post("/api/me/password", json={"current_password": temporary, "new_password": weak})
            assert refused.status_code == 422 and message in refused.json()["error"]["message"]
        wrong = await user.post("/api/me/password", json={"current_password": "nope", "new_password": "Qingshan-2027"})
        assert wrong.json()["error"]["message"] == "当前密码不正确"
        ok(await user.post("/api/me/password", json={"current_password": temporary, "new_password": "Qingshan-2027"}))
        assert ok(await user.get("/api/me"))["must_change_password"] is False
        ok(await user.get("/api/tickets?scope=inbox"))  # the same session goes on
    stale = await httpx.AsyncClient(base_url=web_server).post(
        "/api/auth/login", json={"username": "zhang.wei", "password": temporary}
    )
    assert stale.status_code == 401

    actions = await pool.fetch(
        "SELECT action, actor_name, ip, after FROM audit_log WHERE target = 'zhang.wei' ORDER BY id"
    )
    assert [a["action"] for a in actions] == [
        "user.create",
        "login.success",
        "password.change",
        "login.failure",
    ]
    assert actions[0]["actor_name"] == "admin" and actions[0]["ip"] == "127.0.0.1"
    assert actions[0]["after"]["unit_id"] == module_city["DH-S1"]


async def test_deactivation_refuses_the_open_session_and_a_reset_ends_every_session(
    web_server: str, login: Login, pool: asyncpg.Pool
) -> None:
    admin = await login("admin")
    handler = await login("dh-s1-handler")
    ok(await handler.get("/api/me"))
    [target] = ok(await admin.get("/api/admin/users?q=dh-s1-handler"))["items"]
    gone = ok(await admin.post(f"/api/admin/users/{target['id']}/deactivate"))["user"]
    assert gone["active"] is False
    assert (await handler.get("/api/me")).status_code == 401  # at once, not at the token's expiry
    assert await pool.fetchval("SELECT count(*) FROM auth_tokens WHERE user_id = $1", target["id"]) == 0
    ok(await admin.post(f"/api/admin/users/{target['id']}/reactivate"))
    again = await login("dh-s1-handler")
    reset = ok(await admin.post(f"/api/admin/users/{target['id']}/reset-password"))
    assert (await again.get("/api/me")).status_code == 401
    async with _login(web_server, "dh-s1-handler", reset["temporary_password"]) as fresh:
        assert ok(await fresh.get("/api/me"))["must_change_password"] is True
    before_after = await pool.fetchrow(
        "SELECT before, after FROM audit_log WHERE action = 'user.deactivate' AND target = 'dh-s1-handler'"
    )
    assert before_after["before"]["active"] is True and before_after["after"]["active"] is False
    own = await admin.post(f"/api/admin/users/{ok(await admin.get('/api/me'))['id']}/deactivate")
    assert own.status_code == 409


async def test_a_district_administrator_manages_its_subtree_only(
    web_server: str, login: Login, module_city: dict[str, int]
) -> None:
    admin = await login("admin")
    created = ok(
        await admin.post(
            "/api/admin/users",
            json={"username": "dh-admin", "display_name": "东湖管理员", "role": "admin", "unit_id": module_city["DH"]},
        ),
        201,
    )
    async with _login(web_server, "dh-admin", created["temporary_password"]) as district:
        body = {"current_password": created["temporary_password"], "new_password": "Donghu-admin-2027"}
        ok(await district.post("/api/me/password", json=body))
        listed = ok(await district.get("/api/admin/users"))["items"]
        assert {u["username"] for u in listed} >= {"dh-dispatcher", "dh-s1-c1-handler"}
        assert not {"operator", "admin"} & {u["username"] for u in listed}
        outside = {"username": "city-2", "display_name": "x", "role": "operator", "unit_id": module_city["YC"]}
        assert (await district.post("/api/admin/users", json=outside)).status_code == 403
        city_admin_id = ok(await admin.get("/api/me"))["id"]
        hidden = await district.patch(f"/api/admin/users/{city_admin_id}", json={"display_name": "x"})
        assert hidden.status_code == 404
        inside = {"username": "dh-new", "display_name": "新人", "role": "handler", "unit_id": module_city["DH-S1-C1"]}
        ok(await district.post("/api/admin/users", json=inside), 201)
    operator = await login("operator")
    assert (await operator.get("/api/admin/users")).status_code == 403
