"""安全 (/admin/security): the admin reads the sign-in record (a wrong password and their own sign-in, with the
address) and makes an Open311 client key, shown once, then revokes it."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.support.browser import Open

pytestmark = pytest.mark.browser


async def test_the_admin_reads_sign_ins_and_manages_open311_keys(
    city: dict[str, int], open_as: Open, http: httpx.AsyncClient
) -> None:
    wrong = {"username": "dh-dispatcher", "password": "guess", "kind": "api"}
    assert (await http.post("/api/auth/login", json=wrong, headers={"X-Forwarded-For": "10.9.8.7"})).status_code == 401
    admin = await open_as("admin")
    page = admin.page
    await page.click("nav >> text=安全")
    await expect(page).to_have_url(f"{admin.base}/admin/security")
    failed = page.locator("#login-events tbody tr", has_text="dh-dispatcher")
    await expect(failed).to_contain_text("10.9.8.7")
    await expect(failed).to_contain_text("用户名或密码错误")
    own = page.locator("#login-events tbody tr[data-outcome=ok]", has_text="admin").first
    await expect(own).to_contain_text("网页")
    await page.select_option("#login-filter select[name=outcome]", "bad_credentials")
    await page.click("#login-filter button[type=submit]")
    await expect(page.locator("#login-events tbody tr")).to_have_count(1)

    await page.fill("#key-form input[name=name]", "云川市民 App")
    await page.click("#key-form button[type=submit]")
    await expect(page.locator("#key-once")).to_be_visible()
    key = await page.locator("#key-value").inner_text()
    assert key.startswith("o311_")
    row = page.locator("#open311-clients tbody tr", has_text="云川市民 App")
    await expect(row).to_contain_text("有效")
    await expect(row).to_contain_text(key[:9])
    services = await http.get("/open311/v2/services.json", params={"api_key": key})
    assert services.status_code == 200
    await row.locator("button.revoke").click()
    await expect(row).to_contain_text("已吊销")
    assert (await http.get("/open311/v2/services.json", params={"api_key": key})).status_code == 401
    await page.reload()
    await expect(page.locator("#key-once")).to_be_hidden()
    assert key not in await page.content()
