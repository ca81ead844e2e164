"""HTTP as the schema says (issue 12 point 17): a 405 names what is allowed, logging out with a token that is
not one is a 401, and query parameters keep the limits /openapi.json publishes."""

from __future__ import annotations

import httpx

from tests.support.api import Login


async def test_405_allow_logout_and_published_query_limits(
    city: dict[str, int], http: httpx.AsyncClient, login: Login
) -> None:
    wrong = await http.delete("/api/tickets")
    assert wrong.status_code == 405 and set(wrong.headers["allow"].split(", ")) >= {"GET", "POST"}
    assert wrong.json()["error"]["message"] == "不支持该请求方法"
    open311 = await http.put("/open311/v2/requests.json")
    assert open311.status_code == 405 and {"GET", "POST"} <= set(open311.headers["allow"].split(", "))

    bogus = await http.post("/api/auth/logout", headers={"Authorization": "Bearer not-a-token"})
    assert bogus.status_code == 401

    operator = await login("operator")
    spec = (await http.get("/openapi.json")).json()
    [q] = [p for p in spec["paths"]["/api/kb"]["get"]["parameters"] if p["name"] == "q"]
    longest = q["schema"]["maxLength"]
    assert (await operator.get("/api/kb", params={"q": "社保" * (longest // 2)})).status_code == 200
    too_long = await operator.get("/api/kb", params={"q": "社" * (longest + 1)})
    assert too_long.status_code == 422 and f"最多 {longest} 个字符" in too_long.json()["error"]["message"]
    limit = await operator.get("/api/tickets", params={"limit": "abc"})
    assert limit.status_code == 422
    assert (await operator.post("/api/auth/logout")).status_code == 200
    assert (await operator.post("/api/auth/logout")).status_code == 401  # that token has gone
