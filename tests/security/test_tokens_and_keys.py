"""Tokens and keys (issue 12 point 7): a token in the query string counts only on the websocket and never
reaches the logs; Open311 clients have keys of their own (created, named, scoped, rate-limited, revoked); the
public reads GeoReport v2 without a key, masked; a new password ends the old sessions."""

from __future__ import annotations

from pathlib import Path

import httpx
import openpyxl
from websockets.asyncio.client import connect

from tests.support.api import Login, api_token, ok, open311_key
from tests.support.services import answering, free_port, start_logged_process, stop_process

CALL = {
    "service_code": "NOISE",
    "description": "柳岸花园 3 栋楼下烧烤店噪音，我的电话 13812341234。",
    "address_string": "东湖区青山街道柳岸花园3栋2单元501",
    "phone": "13812341234",
}


async def test_query_string_tokens_only_open_the_websocket(city: dict[str, int], web_server: str) -> None:
    token = await api_token(web_server, "supervisor")
    async with httpx.AsyncClient(base_url=web_server) as client:
        assert (await client.get("/api/me", params={"token": token})).status_code == 401
        assert (await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    async with connect(web_server.replace("http://", "ws://") + f"/ws/board?token={token}") as ws:
        assert '"snapshot"' in str(await ws.recv())


async def test_open311_keys_are_made_by_admins_shown_once_and_revoked(city: dict[str, int], login: Login) -> None:
    admin, operator = await login("admin"), await login("operator")
    new = {"name": "市民 App", "acts_as": "operator"}
    assert (await operator.post("/api/admin/open311-clients", json=new)).status_code == 403
    handler = await admin.post("/api/admin/open311-clients", json={**new, "acts_as": "dh-s1-c1-handler"})
    assert handler.status_code == 422 and "热线中心" in handler.json()["error"]["message"]
    created = ok(await admin.post("/api/admin/open311-clients", json=new), 201)
    key = created["key"]
    [listed] = ok(await admin.get("/api/admin/open311-clients"))["items"]
    assert key not in str(listed) and listed["key_hint"] == key[:9] + "…" and listed["active"]

    post = "/open311/v2/requests.json"
    posted = await admin.post(post, data={**CALL, "api_key": key}, headers={"Authorization": ""})
    assert posted.status_code == 201, posted.text
    number = posted.json()[0]["service_request_id"]
    [ticket] = ok(await operator.get("/api/tickets"))["items"]
    assert (ticket["number"], ticket["channel"]) == (number, "api")

    # a key opens Open311 and nothing else
    assert (await admin.get("/api/me", headers={"Authorization": f"Bearer {key}"})).status_code == 401
    ok(await admin.post(f"/api/admin/open311-clients/{created['id']}/revoke"))
    refused = await admin.post(post, data={**CALL, "api_key": key}, headers={"Authorization": ""})
    assert refused.status_code == 401 and "api_key" in refused.json()[0]["description"]
    assert not ok(await admin.get("/api/admin/open311-clients"))["items"][0]["active"]


async def test_the_public_reads_georeport_without_a_key_masked(
    city: dict[str, int], http: httpx.AsyncClient, web_server: str
) -> None:
    key = await open311_key(web_server)
    posted = await http.post("/open311/v2/requests.json", data={**CALL, "api_key": key})
    number = posted.json()[0]["service_request_id"]

    definition = ok(await http.get("/open311/v2/services/NOISE.json"))
    assert definition["service_code"] == "NOISE"
    assert [a["code"] for a in definition["attributes"]] == ["confidential"]
    unknown = await http.get("/open311/v2/services/NOPE.json")
    assert unknown.status_code == 404 and unknown.json()[0]["code"] == 404

    [public] = ok(await http.get(f"/open311/v2/requests/{number}.json"))
    listed = ok(await http.get("/open311/v2/requests.json"))
    assert [r["service_request_id"] for r in listed] == [number]
    for seen in (public, listed[0]):
        assert seen["status"] == "open" and seen["address"] is None
        assert "13812341234" not in str(seen) and "138****1234" in seen["description"]
    [with_key] = ok(await http.get(f"/open311/v2/requests/{number}.json", params={"api_key": key}))
    assert with_key["address"].startswith("东湖区青山街道柳岸花园")
    bad_key = await http.get("/open311/v2/requests.json", params={"api_key": "o311_nope"})
    assert bad_key.status_code == 401


async def test_logs_keep_no_query_values_and_a_city_can_close_reading_and_limits_keys(
    city: dict[str, int], test_environ: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = {
        "HOTLINE_LOGGING_LEVEL": "INFO",
        "HOTLINE_LOGGING_FORMAT": "console",
        "HOTLINE_OPEN311_PUBLIC_READ": "false",
        "HOTLINE_OPEN311_KEY_REQUESTS_PER_MINUTE": "3",
    }
    log = tmp_path / "web.log"
    proc = start_logged_process(["web", "--port", str(port)], {**test_environ, **settings}, log)
    try:
        await answering(f"{base}/openapi.json", proc)
        token = await api_token(base, "supervisor")
        key = await open311_key(base)
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/api/me", params={"token": token, "q": "13812341234"})).status_code == 401
            async with connect(base.replace("http://", "ws://") + f"/ws/board?token={token}") as ws:
                await ws.recv()
            closed = await client.get("/open311/v2/services.json")
            assert closed.status_code == 401  # [open311] public_read = false
            # [open311] key_requests_per_minute = 3: seven requests span at most two minutes, one has a fourth
            answers = [await client.get("/open311/v2/services.json", params={"api_key": key}) for _ in range(7)]
        assert answers[0].status_code == 200
        limited = next(a for a in answers if a.status_code == 429)
        assert "请求过于频繁" in limited.json()[0]["description"] and 1 <= int(limited.headers["Retry-After"]) <= 60
    finally:
        stop_process(proc)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "/api/me?token=…&q=…" in text and "/ws/board?token=…" in text
    for secret in (token, key, "13812341234"):
        assert secret not in text


async def test_a_new_password_ends_the_sessions_of_the_old_one(
    city: dict[str, int], hotline_cli, web_server: str, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["username", "display_name", "role", "unit_code", "password"])
    sheet.append(["dh-s1-c1-handler", "柳岸社区承办人", "handler", "DH-S1-C1", "demo12345"])
    path = tmp_path / "users.xlsx"
    book.save(path)
    token = await api_token(web_server, "dh-s1-c1-handler")
    bearer = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=web_server, headers=bearer) as client:
        assert hotline_cli("import", "users", str(path)).returncode == 0  # the same password: nothing ends
        assert (await client.get("/api/me")).status_code == 200
        sheet["E2"] = "a-new-password-2026"
        book.save(path)
        assert hotline_cli("import", "users", str(path)).returncode == 0
        assert (await client.get("/api/me")).status_code == 401
    assert await api_token(web_server, "dh-s1-c1-handler", "a-new-password-2026")
