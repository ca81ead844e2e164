"""Browser defences (issue 12 point 8): security headers everywhere, pages without inline script, the session
token only in an HttpOnly cookie (Secure by setting behind a TLS proxy), and cookie-authenticated changes only
from our own pages (Origin)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.support.api import PASSWORD, api_token
from tests.support.calls import NOISE_CALL
from tests.support.services import ROOT, Processes

SESSION = {"username": "operator", "password": PASSWORD, "kind": "session"}


async def test_every_response_carries_the_security_headers(clean: None, http: httpx.AsyncClient) -> None:
    for path in ("/login", "/api/me", "/static/common.js", "/openapi.json", "/no/such/page"):
        headers = (await http.get(path)).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_no_template_runs_inline_script() -> None:
    """The CSP would block it: every script is a file (data rides in `application/json` blocks)."""
    for template in sorted(Path(ROOT, "hotline", "templates").glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (template.name, tag)
        assert not re.search(r"\son[a-z]+\s*=", text), template.name
        assert "javascript:" not in text, template.name


async def test_cookie_changes_come_only_from_our_pages(city: dict[str, int], web_server: str) -> None:
    own = {"Origin": web_server}
    async with httpx.AsyncClient(base_url=web_server) as browser:
        signed_in = await browser.post("/api/auth/login", json=SESSION, headers=own)
        assert signed_in.status_code == 200 and "token" not in signed_in.json()
        assert signed_in.json()["user"]["username"] == "operator"
        cookie = signed_in.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
        for headers in ({"Origin": "http://evil.example"}, {"Referer": "http://evil.example/page"}, {}):
            refused = await browser.post("/api/tickets", json=NOISE_CALL, headers=headers)
            assert refused.status_code == 403, headers
            assert "其他网站" in refused.json()["error"]["message"]
        assert (await browser.post("/api/tickets", json=NOISE_CALL, headers=own)).status_code == 201
        referred = {"Referer": f"{web_server}/console"}  # a browser that sends no Origin
        assert (await browser.post("/api/tickets", json=NOISE_CALL, headers=referred)).status_code == 201
        assert (await browser.get("/api/tickets")).status_code == 200  # reading needs no Origin
        token = await api_token(web_server, "operator")
        bearer = {"Authorization": f"Bearer {token}", "Origin": "http://evil.example"}
        assert (await browser.post("/api/tickets", json=NOISE_CALL, headers=bearer)).status_code == 201


async def test_behind_a_tls_proxy_the_cookie_is_secure(city: dict[str, int], spawn: Processes) -> None:
    base = await spawn.web(HOTLINE_AUTH_SECURE_COOKIE="true")
    async with httpx.AsyncClient(base_url=base) as client:
        signed_in = await client.post("/api/auth/login", json=SESSION)
    assert signed_in.status_code == 200 and "; Secure" in signed_in.headers["set-cookie"]
