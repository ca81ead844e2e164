"""Which unit each webhook event is for, and what its payload may say: pure, over a small org tree."""

from __future__ import annotations

import json

from dispatch.org import Level, OrgTree, Unit
from hotline.webhooks.events import FROM_BOARD, addressee, payload
from realtime.events import Event

TREE = OrgTree(
    [
        Unit(1, "云川市", Level.CITY, None),
        Unit(2, "东湖区", Level.DISTRICT, 1),
        Unit(3, "青山街道", Level.STREET, 2),
        Unit(4, "柳岸社区", Level.COMMUNITY, 3),
        Unit(5, "柳岸社区第一网格", Level.GRID, 4),
    ]
)


def event(kind: str, **extra: object) -> Event:
    body = {"ticket_id": 9, "number": "202612030000009", "state": "assigned", "state_label": "待签收"}
    return Event("1764720000123-0", kind, "2026-12-03T00:00:00.123+00:00", [1, 2, 3, 4, 5], {**body, **extra})


def test_each_event_is_for_the_unit_that_must_act() -> None:
    assert addressee(event("ticket.dispatched", holder_unit_id=5), TREE) == 5
    assert addressee(event("ticket.urged", holder_unit_id=5), TREE) == 5
    assert addressee(event("supervision.order", holder_unit_id=5, unit_id=5), TREE) == 5
    assert addressee(event("sla.warning", holder_unit_id=5, unit_id=4), TREE) == 4  # the clock's unit
    assert addressee(event("ticket.returned", holder_unit_id=5), TREE) == 4  # the level above reviews a return
    assert addressee(event("ticket.sent_back", holder_unit_id=5), TREE) == 5
    assert addressee(event("ticket.dispatched", holder_unit_id=99), TREE) is None  # not in the tree: nobody
    named = {"assigned", "urged", "order_issued", "warning", "overdue", "returned", "reopened"}
    assert set(FROM_BOARD.values()) == named


def test_the_payload_names_the_ticket_and_unit_but_nothing_the_caller_said() -> None:
    ticket = {"id": 9, "number": "202612030000009", "type": "complaint", "category_name": "噪音扰民"}
    body = payload(event("sla.overdue", holder_unit_id=5, unit_id=5, due_at="2026-12-03T01:00:00+00:00",
                         note="王建国 13812341234"), "overdue", 5, TREE, ticket)  # fmt: skip
    assert body["ticket"]["summary"] == "投诉·噪音扰民·柳岸社区第一网格"
    assert body["due_at"] == "2026-12-03T01:00:00+00:00" and body["unit"] == {"id": 5, "name": "柳岸社区第一网格"}
    assert "王建国" not in json.dumps(body, ensure_ascii=False) and "1381234" not in json.dumps(body)
