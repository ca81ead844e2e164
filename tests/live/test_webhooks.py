"""Outbound webhooks against a real HTTP receiver on localhost: signed, retried with backoff after the receiver
fails twice, delivered once; the failures are visible to administrators.

Roles: the city's administrator configures them (the secret is shown once); a handler may not. The receiver sees
the ticket's number, category and unit, never the caller's name, phone, address or words.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hotline.settings import Settings, WebhookSettings
from hotline.webhooks.signing import verify
from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL
from tests.support.jobs import run_through_queue

pytestmark = pytest.mark.usefixtures("city")


class Receiver:
    """Answers 500 to the first `failures` requests, then 200; keeps every request."""

    def __init__(self, failures: int):
        self.failures = failures
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(500 if len(receiver.requests) <= receiver.failures else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/12345"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(failures=2)
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def quick(settings: Settings) -> Settings:
    return dataclasses.replace(settings, webhooks=WebhookSettings(timeout_s=2.0, max_attempts=5, backoff_s=0.05))


async def test_a_webhook_is_signed_retried_and_delivered_once(
    login: Login, receiver: Receiver, quick: Settings, city: dict[str, int]
) -> None:
    admin = await login("admin")
    new = {"unit_id": city["DH-S1-C1"], "url": receiver.url, "events": ["assigned", "urged"]}
    created = ok(await admin.post("/api/admin/webhooks", json=new), 201)
    secret = created["secret"]
    assert secret.startswith("whsec_") and "secret" not in created["webhook"]
    elsewhere = {**new, "unit_id": city["DH-S1-C2"]}
    ok(await admin.post("/api/admin/webhooks", json=elsewhere), 201)
    listed = ok(await admin.get("/api/admin/webhooks"))
    assert secret not in json.dumps(listed)

    ticket = ok(await (await login("operator")).post("/api/tickets", json=NOISE_CALL), 201)
    assert await run_through_queue(quick, "webhook_fanout", "fanout-1") == 1  # the other unit's hook: nothing

    assert len(receiver.requests) == 3  # two failures, then delivered; the burst worker waited out the backoff
    deliveries = {h["X-Hotline-Delivery"] for h, _ in receiver.requests}
    assert len(deliveries) == 1
    for headers, body in receiver.requests:
        assert verify(secret, headers["X-Hotline-Timestamp"], body, headers["X-Hotline-Signature"])
        assert not verify("whsec_wrong", headers["X-Hotline-Timestamp"], body, headers["X-Hotline-Signature"])
    sent = json.loads(receiver.requests[-1][1])
    assert sent["event"] == "assigned" and sent["unit"] == {"id": city["DH-S1-C1"], "name": "柳岸社区"}
    assert sent["ticket"]["number"] == ticket["number"] and sent["ticket"]["summary"] == "投诉·噪音扰民·柳岸社区"
    words = json.dumps(sent, ensure_ascii=False)
    for personal in (NOISE_CALL["caller_phone"], NOISE_CALL["caller_name"], "柳岸花园", "烧烤"):
        assert personal not in words

    assert await run_through_queue(quick, "webhook_fanout", "fanout-2") == 0  # nothing new, nothing twice
    assert len(receiver.requests) == 3
    [hook] = [h for h in ok(await admin.get("/api/admin/webhooks"))["items"] if h["id"] == created["webhook"]["id"]]
    assert (hook["delivered"], hook["failed"], hook["pending"]) == (1, 0, 0)
    [delivery] = ok(await admin.get(f"/api/admin/webhooks/{hook['id']}/deliveries"))["items"]
    assert delivery["attempts"] == 3 and delivery["last_status"] == 200 and delivery["delivered_at"]


async def test_failures_are_shown_and_only_administrators_configure(
    login: Login, quick: Settings, city: dict[str, int]
) -> None:
    admin = await login("admin")
    dead = {"unit_id": city["DH-S1-C1"], "url": "http://127.0.0.1:9/nobody", "events": ["assigned"]}
    hook = ok(await admin.post("/api/admin/webhooks", json=dead), 201)["webhook"]
    ok(await (await login("operator")).post("/api/tickets", json=NOISE_CALL), 201)
    few = dataclasses.replace(quick, webhooks=WebhookSettings(timeout_s=1.0, max_attempts=2, backoff_s=0.05))
    assert await run_through_queue(few, "webhook_fanout", "fanout-dead") == 1
    [shown] = [h for h in ok(await admin.get("/api/admin/webhooks"))["items"] if h["id"] == hook["id"]]
    assert shown["failed"] == 1 and shown["last_failure"]["attempts"] == 2
    assert "ConnectError" in shown["last_failure"]["last_error"]

    bad = ok(await admin.post("/api/admin/webhooks", json={**dead, "url": "ftp://x"}), 422)
    assert "推送地址" in bad["error"]["message"]
    assert (await (await login("dh-s1-c1-handler")).post("/api/admin/webhooks", json=dead)).status_code == 403
    stranger = ok(await admin.post("/api/admin/webhooks", json={**dead, "username": "xl-s1-handler"}), 422)
    assert "不属于所选单位" in stranger["error"]["message"]
    personal = ok(await admin.post("/api/admin/webhooks", json={**dead, "username": "dh-s1-c1-handler"}), 201)
    assert personal["webhook"]["username"] == "dh-s1-c1-handler"
    off = ok(await admin.post(f"/api/admin/webhooks/{hook['id']}/enabled", json={"enabled": False}))
    assert off["enabled"] is False
