"""Bounded bodies (issue 12 point 5): every route refuses a body past its limit while it streams, and Open311's
form is parsed with strict limits before its key is looked at."""

from __future__ import annotations

import httpx

from tests.support.hostile import post_chunked, post_declaring, server_process

MIB = 1 << 20


async def test_an_endless_login_body_is_refused_without_the_server_growing(clean: None, web_server: str) -> None:
    process = server_process(web_server)
    before = process.memory_info().rss
    response, sent = await post_chunked(web_server, "/api/auth/login", 200 * MIB)
    assert response.startswith(b"HTTP/1.1 413"), response[:200]
    assert "提交的内容过大" in response.decode()
    assert sent < 64 * MIB, "the server read on after the limit"
    assert process.memory_info().rss - before < 32 * MIB
    async with httpx.AsyncClient(base_url=web_server) as client:
        assert (await client.get("/openapi.json")).status_code == 200  # still serving
    declared = await post_declaring(web_server, "/api/tickets", 10 * 1024**3)
    assert declared.startswith(b"HTTP/1.1 413") and "上限 256 KB" in declared.decode()


async def test_open311_forms_past_the_limits_stop_at_the_first(city: dict[str, int], http: httpx.AsyncClient) -> None:
    post = "/open311/v2/requests.json"
    call = {"service_code": "NOISE", "description": "噪音", "api_key": "not-a-key"}

    async def refused(status: int, **kwargs: object) -> str:
        response = await http.post(post, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == status, response.text
        [error] = response.json()
        return str(error["description"])

    assert "api_key" in await refused(401, data=call)  # a well-formed form gets as far as the key
    files = {"media": ("photo.jpg", b"\xff\xd8" * 1000, "image/jpeg")}
    assert "不接受文件" in await refused(400, data=call, files=files)
    assert "字段" in await refused(400, data={**call, **{f"attribute[a{i}]": "x" for i in range(40)}})
    assert "64 KB" in await refused(400, data={**call, "description": "噪" * 10_000})
    assert "上限 128 KB" in await refused(413, data={**call, "description": "噪" * 20_000})
