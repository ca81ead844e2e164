"""Page scripts are revalidated on every load, so an upgrade never leaves yesterday's code running."""

import httpx
import pytest


@pytest.mark.usefixtures("clean")
async def test_page_assets_are_revalidated_and_answered_304_when_unchanged(http: httpx.AsyncClient) -> None:
    first = await http.get("/static/common.js")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-cache"
    assert "export function h" in first.text
    again = await http.get("/static/common.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
