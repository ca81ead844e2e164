"""Who may read and act on a ticket held by 柳岸社区 (东湖区 › 青山街道): every role, every endpoint.

404 for those who may not see it (its existence does not leak), 403 for those who see it but
may not do that, and never a change to the ticket by someone without the right.
"""

from __future__ import annotations

import pytest

from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL

READS = [("GET", "", None), ("GET", "/events", None)]
ACTIONS = [
    ("POST", "/sign", None),
    ("POST", "/return", {"reason": "不归我们管"}),
    ("POST", "/contact", {"method": "phone", "outcome": "reached"}),
    ("POST", "/notes", {"text": "进展"}),
    ("POST", "/extension", {"extra_days": 3, "reason": "需要时间"}),
    ("POST", "/suspend", {"reason": "等待材料"}),
    ("POST", "/complete", {"result": "已处理"}),
    ("POST", "/assign", {"unit_id": 1}),
    ("POST", "/return-review", {"approve": True}),
    ("POST", "/extension-review", {"approve": True}),
    ("POST", "/completion-review", {"approve": True}),
    ("POST", "/callback", {"reached": True, "resolved": True, "satisfaction": "satisfied"}),
    ("POST", "/close-on-spot", {}),
    ("POST", "/appeals", {"kind": "other", "reason": "申诉"}),
]

# user -> what they get for reads, and for actions they have no right to
OUTSIDERS = [
    "dh-s1-c2-handler",
    "dh-s2-handler",
    "dh-s2-c1-handler",
    "xl-dispatcher",
    "xl-supervisor",
    "xl-s1-c4-handler",
    "dh-cg-handler",
]
INSIDERS_WITHOUT_RIGHTS = ["dh-supervisor", "dh-s1-supervisor"]
# review actions and what a reviewer gets when the ticket waits for no such review
REVIEWS = {
    "/return-review": "invalid_transition",
    "/extension-review": "no_pending_extension",
    "/completion-review": "invalid_transition",
}


@pytest.fixture
async def held_by_liuan(city: dict[str, int], login: Login) -> int:
    operator = await login("operator")
    ticket = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    assert ticket["holder_unit_id"] == city["DH-S1-C1"]
    return int(ticket["id"])


@pytest.mark.parametrize("username", OUTSIDERS)
async def test_units_outside_the_chain_see_nothing(username: str, held_by_liuan: int, login: Login) -> None:
    client = await login(username)
    for method, path, body in READS + ACTIONS:
        response = await client.request(method, f"/api/tickets/{held_by_liuan}{path}", json=body)
        assert response.status_code == 404, (username, path, response.text)
        assert response.json()["error"]["code"] == "ticket_not_found"
    # the same answer as for a ticket that does not exist
    assert (await client.get("/api/tickets/999999")).status_code == 404
    listed = ok(await client.get("/api/tickets"))
    assert held_by_liuan not in [t["id"] for t in listed["items"]]


@pytest.mark.parametrize("username", INSIDERS_WITHOUT_RIGHTS)
async def test_supervisors_above_see_but_do_not_handle(username: str, held_by_liuan: int, login: Login) -> None:
    client = await login(username)
    for method, path, body in READS:
        assert (await client.request(method, f"/api/tickets/{held_by_liuan}{path}", json=body)).status_code == 200
    for method, path, body in ACTIONS:
        if path == "/appeals":
            continue  # a unit that held the ticket may appeal
        response = await client.request(method, f"/api/tickets/{held_by_liuan}{path}", json=body)
        if path in REVIEWS:  # theirs to review, but the ticket waits for no review
            assert (response.status_code, response.json()["error"]["code"]) == (409, REVIEWS[path]), response.text
        else:
            assert response.status_code == 403, (username, path, response.text)
    operator = await login("operator")
    events = ok(await operator.get(f"/api/tickets/{held_by_liuan}/events"))["events"]
    assert [e["action"] for e in events][-1] == "assign"  # nothing they tried was recorded


@pytest.mark.parametrize("username", INSIDERS_WITHOUT_RIGHTS)
async def test_supervisors_above_review_what_waits_for_review(
    username: str, held_by_liuan: int, login: Login, city: dict[str, int]
) -> None:
    """Returns, extensions and completions below them are the supervisors' to review, as the dispatchers'."""
    tid = held_by_liuan
    community, supervisor = await login("dh-s1-c1-handler"), await login(username)
    ok(await community.post(f"/api/tickets/{tid}/sign"))
    ok(await community.post(f"/api/tickets/{tid}/extension", json={"extra_days": 3, "reason": "需要时间"}))
    decided = ok(await supervisor.post(f"/api/tickets/{tid}/extension-review", json={"approve": True}))
    assert decided["state"] == "signed"
    ok(await community.post(f"/api/tickets/{tid}/contact", json={"method": "phone", "outcome": "reached"}))
    ok(await community.post(f"/api/tickets/{tid}/complete", json={"result": "已处理"}))
    reviewed = ok(await supervisor.post(f"/api/tickets/{tid}/completion-review", json={"approve": True}))
    assert reviewed["state"] == "reviewed"

    operator = await login("operator")
    returned = ok(await operator.post("/api/tickets", json={**NOISE_CALL, "caller_phone": "13900002222"}), 201)
    ok(await community.post(f"/api/tickets/{returned['id']}/return", json={"reason": "不归我们管"}))
    approved = ok(await supervisor.post(f"/api/tickets/{returned['id']}/return-review", json={"approve": True}))
    assert approved["state"] == "pending_dispatch"
    events = ok(await operator.get(f"/api/tickets/{tid}/events"))["events"]
    assert [e["action"] for e in events if e["actor_name"].endswith("督办人")] == [
        "approve_extension",
        "accept_completion",
    ]


async def test_the_holder_handles_and_its_own_handler_sees_the_phone_masked(held_by_liuan: int, login: Login) -> None:
    """Units configured to see numbers reveal them on request: tests/api/test_personal_data.py."""
    community = await login("dh-s1-c1-handler")
    ticket = ok(await community.get(f"/api/tickets/{held_by_liuan}"))
    assert ticket["caller_phone"] == "138****1234" and ticket["personal_data_masked"] is True
    assert ticket["caller_name"] == "王**"
    operator = await login("operator")
    assert ok(await operator.get(f"/api/tickets/{held_by_liuan}"))["caller_phone"] == "13812341234"
    # the operator cannot sign for a community
    assert (await operator.post(f"/api/tickets/{held_by_liuan}/sign")).status_code == 403
    assert ok(await community.post(f"/api/tickets/{held_by_liuan}/sign"))["state"] == "signed"


async def test_unauthenticated_requests_get_401(web_server: str, held_by_liuan: int) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=web_server) as anon:
        for method, path, body in READS + ACTIONS:
            response = await anon.request(method, f"/api/tickets/{held_by_liuan}{path}", json=body)
            assert response.status_code == 401
            assert response.json()["error"]["message"] == "请先登录"
        bad = await anon.post("/api/auth/login", json={"username": "operator", "password": "wrong"})
        assert bad.status_code == 401 and bad.json()["error"]["message"] == "用户名或密码不正确"
