"""Open311 GeoReport v2 (/open311/v2): an app posts a request with its API client key and follows it."""

from __future__ import annotations

import httpx

from tests.support.api import Login, api_token, ok, open311_key

CALL = {
    "service_code": "NOISE",
    "description": "柳岸花园 3 栋楼下的烧烤店每天营业到凌晨两点，噪音很大，电话 13812341234。",
    "address_string": "东湖区青山街道柳岸花园3栋",
    "last_name": "王",
    "first_name": "建国",
    "phone": "13812341234",
}


async def test_an_app_posts_a_request_and_follows_it(
    city: dict[str, int], http: httpx.AsyncClient, web_server: str
) -> None:
    services = ok(await http.get("/open311/v2/services.json"))
    noise = next(s for s in services if s["service_code"] == "NOISE")
    assert (noise["service_name"], noise["group"], noise["type"]) == ("噪音扰民", "环境保护", "realtime")

    key = await open311_key(web_server)
    posted = await http.post(
        "/open311/v2/requests.json", data={**CALL, "api_key": key}, headers={"Idempotency-Key": "a1"}
    )
    assert posted.status_code == 201, posted.text
    number = posted.json()[0]["service_request_id"]
    assert number in posted.json()[0]["service_notice"]
    again = await http.post(
        "/open311/v2/requests.json", data={**CALL, "api_key": key}, headers={"Idempotency-Key": "a1"}
    )
    assert again.status_code == 200 and again.json()[0]["service_request_id"] == number

    [request] = ok(await http.get(f"/open311/v2/requests/{number}.json", params={"api_key": key}))
    assert request["status"] == "open"
    assert request["service_name"] == "噪音扰民"
    assert request["agency_responsible"] == "柳岸社区"
    assert request["expected_datetime"] > request["requested_datetime"]
    assert "13812341234" not in str(request) and "建国" not in str(request)

    listed = ok(await http.get("/open311/v2/requests.json", params={"api_key": key, "status": "open"}))
    assert [r["service_request_id"] for r in listed] == [number]
    assert ok(await http.get("/open311/v2/requests.json", params={"api_key": key, "status": "closed"})) == []
    by_code = {"api_key": key, "service_code": "WAGES"}
    assert ok(await http.get("/open311/v2/requests.json", params=by_code)) == []


async def test_open311_errors_are_lists_with_a_reason(
    city: dict[str, int], http: httpx.AsyncClient, login: Login, web_server: str
) -> None:
    key = await open311_key(web_server)
    post = "/open311/v2/requests.json"

    async def error(response: httpx.Response, status: int) -> str:
        assert response.status_code == status, response.text
        [body] = response.json()
        assert body["code"] == status
        return str(body["description"])

    assert "api_key" in await error(await http.post(post, data=CALL), 401)
    assert "description" in await error(await http.post(post, data={**CALL, "api_key": key, "description": ""}), 400)
    assert "phone" in await error(await http.post(post, data={**CALL, "api_key": key, "phone": "12"}), 400)
    assert "service_code" in await error(await http.post(post, data={**CALL, "api_key": key, "service_code": ""}), 400)
    assert "NOPE" in await error(await http.post(post, data={**CALL, "api_key": key, "service_code": "NOPE"}), 400)
    staff_token = await api_token(web_server, "operator")  # a staff token is never an Open311 key
    await error(await http.post(post, data={**CALL, "api_key": staff_token}), 401)
    await error(await http.get(post, params={"api_key": staff_token}), 401)
    assert "status" in await error(await http.get(post, params={"api_key": key, "status": "done"}), 400)
    naive = {"api_key": key, "start_date": "2026-12-01T08:00:00"}
    assert "时区" in await error(await http.get(post, params=naive), 400)
    await error(await http.get("/open311/v2/requests/20991231000001.json", params={"api_key": key}), 404)
    assert "空字符" in await error(await http.post(post, data={**CALL, "api_key": key, "description": "噪音\x00"}), 400)
    assert "空字符" in await error(await http.get(post, params={"api_key": key, "service_code": "N\x00"}), 400)
    operator = await login("operator")
    assert ok(await operator.get("/api/tickets"))["items"] == []  # nothing was half-written
