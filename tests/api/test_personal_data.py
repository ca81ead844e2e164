"""Callers' personal data (个人信息保护法) over HTTP: who sees a caller's name, number and address, and the
numbers inside a ticket's text, masked or not; confidential tickets (保密); the logged reveal (查看号码);
the privacy log (pii_reads) and the administrators' view of it.

Roles in the demo city: the hotline centre (operator, supervisor, admin at 云川市) sees everything and
every such read is logged; a department (区直部门, sees_phone) sees numbers masked and reveals them on
request; a community or a street sees them masked and cannot reveal; nobody below the centre sees the
caller of a confidential ticket.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from tests.support.api import Login, ok, open311_key
from tests.support.calls import NOISE_CALL

MOBILE, ID_NUMBER, LANDLINE = "13912345678", "430102199003071234", "0731-84567890"
RAW_NUMBERS = re.compile(r"1[3-9]\d{9}|\d{17}[\dXx]|84567890")
# routed to 柳岸社区 (a community: no sees_phone), numbers in the content and the address
NUMBERS_CALL = {
    **NOISE_CALL,
    "content": f"烧烤店凌晨两点还在营业，我手机{MOBILE}，身份证{ID_NUMBER}，座机{LANDLINE}，请回电。",
    "address": f"东湖区青山街道柳岸花园3栋（门卫电话{MOBILE}）",
}
# routed to 东湖区人力资源和社会保障局 (a department: sees_phone in the demo city)
WAGES_CALL = {
    "type": "complaint",
    "channel": "phone",
    "category_code": "WAGES",
    "content": f"东风路一家装修公司拖欠我三个月工资，老板电话{MOBILE}。",
    "address": "东湖区东风路18号",
    "caller_phone": "13812341234",
    "caller_name": "王建国",
}
# a 举报 (report): confidential unless the caller says otherwise
REPORT_CALL = {**WAGES_CALL, "type": "report", "content": "东风路一家装修公司长期拖欠工资，还雇用童工，我要举报。"}


def raw_numbers(value: Any) -> list[str]:
    return RAW_NUMBERS.findall(str(value))


async def reads(pool: asyncpg.Pool, ticket_id: int | None = None) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT r.ticket_id, u.username, r.fields, r.via, r.at FROM pii_reads r JOIN users u ON u.id = r.user_id"
        " WHERE $1::bigint IS NULL OR r.ticket_id = $1 ORDER BY r.id",
        ticket_id,
    )


async def test_a_community_sees_numbers_in_content_address_lists_and_trail_masked_the_centre_sees_them(
    city: dict[str, int], login: Login
) -> None:
    """Community handler and street supervisor: every phone and ID number in the text masked like the caller's
    own (138****1234), in the ticket, its lists and its trail; the operator sees the text as it was taken."""
    operator = await login("operator")
    ticket = ok(await operator.post("/api/tickets", json=NUMBERS_CALL), 201)
    assert ticket["content"] == NUMBERS_CALL["content"] and ticket["address"] == NUMBERS_CALL["address"]
    community = await login("dh-s1-c1-handler")
    ok(await community.post(f"/api/tickets/{ticket['id']}/sign"))
    ok(await community.post(f"/api/tickets/{ticket['id']}/notes", json={"text": f"已致电{MOBILE}，店主答应整改"}))

    for username in ("dh-s1-c1-handler", "dh-s1-supervisor"):
        client = await login(username)
        seen = ok(await client.get(f"/api/tickets/{ticket['id']}"))
        assert seen["personal_data_masked"] is True and seen["personal_view"] == "masked"
        assert (
            seen["content"]
            == "烧烤店凌晨两点还在营业，我手机139****5678，身份证430***********1234，座机073*****7890，请回电。"
        )
        assert seen["address"] == "东湖区青山街道柳岸花园3栋（门卫电话139****5678）"
        assert (seen["caller_phone"], seen["caller_name"]) == ("138****1234", "王**")
        listed = ok(await client.get("/api/tickets?scope=all"))["items"]
        assert [t["id"] for t in listed] == [ticket["id"]] and raw_numbers(listed) == []
        trail = ok(await client.get(f"/api/tickets/{ticket['id']}/events"))["events"]
        assert "已致电139****5678，店主答应整改" in [e["reason"] for e in trail] and raw_numbers(trail) == []

    own = ok(await operator.get(f"/api/tickets/{ticket['id']}"))
    assert own["content"] == NUMBERS_CALL["content"] and own["personal_view"] == "full"
    trail = ok(await operator.get(f"/api/tickets/{ticket['id']}/events"))["events"]
    assert f"已致电{MOBILE}，店主答应整改" in [e["reason"] for e in trail]


async def test_the_operators_suggestions_show_other_tickets_with_numbers_masked(
    city: dict[str, int], login: Login
) -> None:
    """Operator: caller history and similar open tickets are summaries of other calls: masked for everyone."""
    operator = await login("operator")
    ok(await operator.post("/api/tickets", json=NUMBERS_CALL), 201)
    draft = {
        "content": "柳岸花园烧烤店凌晨还在营业，太吵了",
        "address": "东湖区青山街道柳岸花园",
        "caller_phone": "13812341234",
    }
    suggestions = ok(await operator.post("/api/intake/suggest", json=draft))
    assert suggestions["caller_history"] and suggestions["similar_open"]
    assert "139****5678" in suggestions["caller_history"][0]["summary"]
    assert raw_numbers(suggestions["caller_history"]) == raw_numbers(suggestions["similar_open"]) == []


async def test_a_department_that_needs_numbers_sees_them_masked_until_it_reveals_them_and_each_reveal_is_logged(
    city: dict[str, int], login: Login, pool: asyncpg.Pool
) -> None:
    """Department handler (sees_phone): masked in the ticket and in its inbox; 查看号码 returns the caller's name,
    number, address and text unmasked and writes pii_reads; a community (no sees_phone) may not reveal."""
    operator = await login("operator")
    ticket = ok(await operator.post("/api/tickets", json=WAGES_CALL), 201)
    assert ticket["holder_unit_id"] == city["DH-RS"] and ticket["confidential"] is False
    department = await login("dh-rs-handler")
    seen = ok(await department.get(f"/api/tickets/{ticket['id']}"))
    assert (seen["caller_phone"], seen["caller_name"], seen["personal_view"]) == ("138****1234", "王**", "reveal")
    assert "139****5678" in seen["content"]
    [row] = ok(await department.get("/api/tickets?scope=inbox"))["items"]
    assert (row["caller_phone"], row["personal_view"]) == ("138****1234", "reveal")
    before = len(await reads(pool, ticket["id"]))

    revealed = ok(await department.post(f"/api/tickets/{ticket['id']}/reveal"))
    assert (revealed["caller_phone"], revealed["caller_name"]) == ("13812341234", "王建国")
    assert revealed["address"] == WAGES_CALL["address"] and revealed["content"] == WAGES_CALL["content"]
    logged = (await reads(pool, ticket["id"]))[before:]
    assert [(r["username"], r["via"], r["fields"]) for r in logged] == [
        ("dh-rs-handler", "reveal", ["caller_phone", "caller_name", "content"])
    ]
    # reading the ticket again shows it masked again: a reveal is one read, not a setting
    assert ok(await department.get(f"/api/tickets/{ticket['id']}"))["caller_phone"] == "138****1234"

    community_ticket = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    community = await login("dh-s1-c1-handler")
    refused = await community.post(f"/api/tickets/{community_ticket['id']}/reveal")
    assert refused.status_code == 403 and refused.json()["error"]["message"] == "本单位未开通查看诉求人号码的权限"
    outsider = await login("xl-rs-handler")
    assert (await outsider.post(f"/api/tickets/{ticket['id']}/reveal")).status_code == 404


async def test_a_report_is_confidential_and_no_unit_below_the_centre_sees_its_caller_even_with_sees_phone(
    city: dict[str, int], login: Login, pool: asyncpg.Pool
) -> None:
    """Department handler (sees_phone), district dispatcher and supervisor: a confidential ticket (举报 by default,
    or asked for) shows no caller name, number or address, in the ticket, the lists and a reveal; the centre's
    operator and supervisor see them."""
    operator = await login("operator")
    report = ok(await operator.post("/api/tickets", json=REPORT_CALL), 201)
    asked = ok(await operator.post("/api/tickets", json={**WAGES_CALL, "confidential": True}), 201)
    declined = ok(await operator.post("/api/tickets", json={**REPORT_CALL, "confidential": False}), 201)
    assert (report["confidential"], asked["confidential"], declined["confidential"]) == (True, True, False)
    assert report["caller_phone"] == "13812341234" and report["personal_view"] == "full"
    assert report["holder_unit_id"] == asked["holder_unit_id"] == city["DH-RS"]

    for username in ("dh-rs-handler", "dh-dispatcher", "dh-supervisor"):
        client = await login(username)
        for ticket in (report, asked):
            seen = ok(await client.get(f"/api/tickets/{ticket['id']}"))
            assert seen["confidential"] is True and seen["personal_view"] == "withheld"
            assert (seen["caller_phone"], seen["caller_name"], seen["address"]) == (None, None, None)
            refused = await client.post(f"/api/tickets/{ticket['id']}/reveal")
            assert refused.status_code == 403, refused.text
            assert refused.json()["error"]["message"] == "该工单为保密工单，诉求人信息仅热线中心可见"
        listed = {t["id"]: t for t in ok(await client.get("/api/tickets?scope=all"))["items"]}
        assert [listed[t["id"]]["caller_phone"] for t in (report, asked)] == [None, None]
        assert [listed[t["id"]]["address"] for t in (report, asked)] == [None, None]
        assert listed[declined["id"]]["caller_phone"] == "138****1234"
        hidden = str([listed[report["id"]], listed[asked["id"]]])
        assert "1381234" not in hidden and "东风路18号" not in hidden and "王" not in hidden
    assert [r["via"] for r in await reads(pool, report["id"]) if r["username"] != "operator"] == []

    centre = ok(await (await login("supervisor")).get(f"/api/tickets/{report['id']}"))
    assert (centre["caller_phone"], centre["address"], centre["confidential"]) == (
        "13812341234",
        "东湖区东风路18号",
        True,
    )


async def test_every_unmasked_read_by_the_centre_is_logged_a_list_one_row_per_ticket(
    city: dict[str, int], login: Login, pool: asyncpg.Pool
) -> None:
    """Hotline-centre operator and supervisor: a ticket page, a list and a trail with numbers, each read of
    unmasked data is in pii_reads; a list writes one row per ticket shown with personal data, all at once."""
    operator = await login("operator")
    with_caller = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    confidential = ok(await operator.post("/api/tickets", json=REPORT_CALL), 201)
    anonymous = {**NOISE_CALL, "caller_phone": None, "caller_name": None, "content": "柳岸花园路灯不亮，没有留电话。"}
    without = ok(await operator.post("/api/tickets", json=anonymous), 201)
    supervisor = await login("supervisor")
    start = len(await reads(pool))

    ok(await supervisor.get(f"/api/tickets/{confidential['id']}"))
    ok(await supervisor.get(f"/api/tickets/{without['id']}"))  # nothing personal in it: nothing to log
    ok(await supervisor.get("/api/tickets?scope=all"))
    logged = (await reads(pool))[start:]
    assert [(r["ticket_id"], r["via"], r["fields"]) for r in logged[:1]] == [
        (confidential["id"], "view", ["caller_phone", "caller_name", "address"])
    ]
    listed = logged[1:]
    assert sorted((r["ticket_id"], r["via"]) for r in listed) == sorted(
        [(with_caller["id"], "list"), (confidential["id"], "list")]
    )
    assert {r["username"] for r in logged} == {"supervisor"} and len({r["at"] for r in listed}) == 1


async def test_admins_read_the_privacy_log_by_user_ticket_and_date_page_by_page(
    city: dict[str, int], login: Login
) -> None:
    """Admin: GET /api/admin/pii-reads filters by username, ticket number and local dates, newest first, in
    pages; any other role gets 403, and bad filters a 4xx with a Chinese message."""
    operator = await login("operator")
    tickets = [
        ok(await operator.post("/api/tickets", json={**WAGES_CALL, "caller_phone": f"1381234000{i}"}), 201)
        for i in range(3)
    ]
    department = await login("dh-rs-handler")
    for ticket in tickets:
        ok(await department.post(f"/api/tickets/{ticket['id']}/reveal"))
    admin = await login("admin")
    log = "/api/admin/pii-reads"

    mine = ok(await admin.get(log, params={"user": "dh-rs-handler"}))
    assert [r["ticket_number"] for r in mine["items"]] == [t["number"] for t in reversed(tickets)]
    assert {(r["via"], r["via_label"], r["unit_name"]) for r in mine["items"]} == {
        ("reveal", "查看号码", "东湖区人力资源和社会保障局")
    }
    first = ok(await admin.get(log, params={"user": "dh-rs-handler", "limit": 2}))
    second = ok(await admin.get(log, params={"user": "dh-rs-handler", "limit": 2, "offset": first["next_offset"]}))
    assert [r["id"] for r in first["items"] + second["items"]] == [r["id"] for r in mine["items"]]
    assert second["next_offset"] is None

    one = ok(await admin.get(log, params={"ticket": tickets[0]["number"]}))["items"]
    assert {r["username"] for r in one} == {"operator", "dh-rs-handler"}  # the operator's own read at intake
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert ok(await admin.get(log, params={"from": str(today), "to": str(today)}))["items"]
    assert ok(await admin.get(log, params={"to": str(today - timedelta(days=1))}))["items"] == []

    async def refused(client: httpx.AsyncClient, params: dict[str, str], status: int) -> str:
        response = await client.get(log, params=params)
        assert response.status_code == status, response.text
        return str(response.json()["error"]["message"])

    assert await refused(admin, {"from": "2026-13-40"}, 422) == "from 应为日期，例如 2026-12-01"
    assert await refused(admin, {"from": "2026-12-02", "to": "2026-12-01"}, 422) == "起始日期不能晚于结束日期"
    assert await refused(admin, {"user": "nobody"}, 404) == "用户 nobody 不存在"
    assert await refused(admin, {"limit": "0"}, 422) == "limit 应在 1–200 之间"
    for username in ("supervisor", "operator", "dh-rs-handler"):
        assert await refused(await login(username), {}, 403) == "只有管理员可以执行此操作"


async def test_open311_asks_for_confidentiality_and_never_returns_a_confidential_address(
    city: dict[str, int], http: httpx.AsyncClient, login: Login
) -> None:
    """A city app (Open311, the centre's key) may ask for 保密; reading back shows no address for it, and numbers in
    descriptions and addresses masked; a department handler then sees no caller."""
    key = await open311_key(str(http.base_url).rstrip("/"))
    form = {
        "api_key": key,
        "service_code": "WAGES",
        "description": f"东风路装修公司拖欠工资，老板电话{MOBILE}",
        "address_string": "东湖区东风路18号",
        "phone": "13812341234",
        "last_name": "王",
        "first_name": "建国",
    }
    posted = await http.post("/open311/v2/requests.json", data={**form, "attribute[confidential]": "true"})
    assert posted.status_code == 201, posted.text
    plain = ok(await http.post("/open311/v2/requests.json", data=form), 201)
    number, plain_number = posted.json()[0]["service_request_id"], plain[0]["service_request_id"]
    [hidden] = ok(await http.get(f"/open311/v2/requests/{number}.json", params={"api_key": key}))
    [shown] = ok(await http.get(f"/open311/v2/requests/{plain_number}.json", params={"api_key": key}))
    assert hidden["address"] is None and shown["address"] == "东湖区东风路18号"
    assert hidden["description"] == "东风路装修公司拖欠工资，老板电话139****5678"
    bad = await http.post("/open311/v2/requests.json", data={**form, "attribute[confidential]": "maybe"})
    assert bad.status_code == 400 and "保密" in bad.json()[0]["description"]

    department = await login("dh-rs-handler")
    listed = {t["number"]: t for t in ok(await department.get("/api/tickets?scope=inbox"))["items"]}
    assert (listed[number]["confidential"], listed[number]["caller_phone"]) == (True, None)
    assert listed[plain_number]["caller_phone"] == "138****1234"
