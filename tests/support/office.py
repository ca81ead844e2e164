"""A ticket walked through the pages' API to where a test of a working day needs it (issue 13)."""

from __future__ import annotations

import httpx

from tests.support.api import ok
from tests.support.calls import NOISE_CALL

CONTACT = {"method": "phone", "outcome": "reached", "note": "已电话联系诉求人"}


async def signed_ticket(operator: httpx.AsyncClient, handler: httpx.AsyncClient, phone: str, **extra: object) -> int:
    """A noise call at 柳岸花园, dispatched to 柳岸社区 and signed for by `handler` (dh-s1-c1-handler)."""
    created = ok(await operator.post("/api/tickets", json={**NOISE_CALL, "caller_phone": phone, **extra}), 201)
    tid = created["id"]
    ok(await handler.post(f"/api/tickets/{tid}/sign"))
    return int(tid)


async def reviewed_ticket(
    operator: httpx.AsyncClient, handler: httpx.AsyncClient, street: httpx.AsyncClient, phone: str
) -> int:
    """Signed, contacted, completed by 柳岸社区 and accepted by 青山街道 (`street`): waiting for the callback."""
    tid = await signed_ticket(operator, handler, phone)
    ok(await handler.post(f"/api/tickets/{tid}/contact", json=CONTACT))
    ok(await handler.post(f"/api/tickets/{tid}/complete", json={"result": "已责令烧烤店22点前停止营业"}))
    ok(await street.post(f"/api/tickets/{tid}/completion-review", json={"approve": True, "note": "材料齐全"}))
    return tid
