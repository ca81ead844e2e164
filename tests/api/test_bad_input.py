"""Bad input gets a 4xx with a message a person understands, and nothing is half-written."""

from __future__ import annotations

import asyncpg
import pytest

from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL

CASES = [
    ({"type": "complaint"}, 422, "缺少必填项：诉求内容"),
    ({**NOISE_CALL, "type": "rant"}, 422, "工单类型取值无效"),
    ({**NOISE_CALL, "content": 12345}, 422, "诉求内容类型或格式不正确"),
    ({**NOISE_CALL, "content": "   "}, 422, "诉求内容不能为空"),
    ({**NOISE_CALL, "content": "吵" * 100_000}, 413, "提交的内容过大"),
    ({**NOISE_CALL, "content": "x" * 100_000}, 422, "诉求内容过长（最多 5000 字）"),
    ({**NOISE_CALL, "content": "吵" * 5001}, 422, "诉求内容过长（最多 5000 字）"),
    ({**NOISE_CALL, "caller_phone": "12345abc"}, 422, "来电号码格式不正确"),
    ({**NOISE_CALL, "category_code": "NOPE"}, 422, "分类代码 NOPE 不存在"),
    ({**NOISE_CALL, "surprise": 1}, 422, "不认识的字段：surprise"),
    ({**NOISE_CALL, "merge_into": 99999}, 404, "找不到该工单"),
    ({**NOISE_CALL, "caller_name": "王\u0000"}, 422, "提交的内容含有空字符"),
]


@pytest.mark.parametrize(("body", "status", "message"), CASES)
async def test_bad_tickets_are_refused_and_nothing_is_written(
    body: dict, status: int, message: str, city: dict[str, int], login: Login, pool: asyncpg.Pool
) -> None:
    operator = await login("operator")
    response = await operator.post("/api/tickets", json=body)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]["message"]
    assert await pool.fetchval("SELECT count(*) FROM tickets") == 0
    assert await pool.fetchval("SELECT count(*) FROM ticket_events") == 0


async def test_not_json_and_wrong_media_type(city: dict[str, int], login: Login) -> None:
    operator = await login("operator")
    response = await operator.post("/api/tickets", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["message"] == "请求体不是有效的 JSON"
    response = await operator.post(
        "/api/tickets", content=b"type=complaint", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 415


async def test_unknown_unit_and_invalid_ids(city: dict[str, int], login: Login) -> None:
    operator = await login("operator")
    ticket = ok(
        await operator.post(
            "/api/tickets", json={**NOISE_CALL, "category_code": None, "content": "咨询一下", "address": ""}
        ),
        201,
    )
    # no category, no place: it waits in the city's dispatcher queue
    assert (ticket["state"], ticket["holder_unit_id"]) == ("pending_dispatch", city["YC"])
    dispatcher = await login("dispatcher")
    response = await dispatcher.post(f"/api/tickets/{ticket['id']}/assign", json={"unit_id": 987654})
    assert response.status_code == 422 and response.json()["error"]["message"] == "目标单位不存在"
    assert (await operator.get("/api/tickets/abc")).status_code == 404
    assert (await operator.get("/api/tickets/0")).status_code == 404
    assert (await operator.get("/api/tickets?limit=100000")).status_code == 422


async def test_sql_and_html_are_stored_as_text(city: dict[str, int], login: Login, pool: asyncpg.Pool) -> None:
    operator = await login("operator")
    content = "'); DROP TABLE tickets; -- <script>alert('x')</script><img src=x onerror=alert(1)>"
    ticket = ok(await operator.post("/api/tickets", json={**NOISE_CALL, "content": content}), 201)
    assert ticket["content"] == content
    assert await pool.fetchval("SELECT content FROM tickets WHERE id = $1", ticket["id"]) == content
    assert await pool.fetchval("SELECT count(*) FROM tickets") == 1
