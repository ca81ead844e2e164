"""The learning loop end to end (issue 16): three months of settled tickets, with a dispatcher correcting
what the model got wrong, go through the retrain job on a real arq worker. A better candidate is promoted
and the next ticket uses it in every web process; a candidate trained on corrupted labels is refused with
the reason; one rollback puts the previous version back in every process."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import asyncpg
import httpx

from hotline.settings import Settings
from tests.support.api import Login, ok
from tests.support.jobs import run_through_queue
from tests.support.learning import FIRST, LAST, install_weak_model, learning_settings, play_months, split_messages
from tests.support.services import Processes
from tests.support.waiting import eventually

CITY_TICKETS = 480
PROBE = {"content": "小区旁边的工地每天夜里十一点以后还在打桩，吵得人根本睡不着觉。"}
NEXT_CALL = {
    "type": "complaint",
    "content": "我在一家装修公司干了四个月，老板一直拖着不发工资，一共欠我一万六千块。",
    "address": "",
}
# Rotate every category to the next one (by code): a batch of labels gone wrong, say a mis-mapped import.
CORRUPT_LABELS = """
WITH codes AS (SELECT code, row_number() OVER (ORDER BY code) AS n, count(*) OVER () AS total FROM categories),
     shifted AS (SELECT a.code AS from_code, b.code AS to_code FROM codes a JOIN codes b ON b.n = a.n % a.total + 1)
UPDATE tickets t SET category_code = s.to_code FROM shifted s
WHERE t.category_code = s.from_code AND t.created_at <= $1
"""


async def model_in_use(client: httpx.AsyncClient) -> str:
    """The version a web process classifies with, as the operator's suggestions report it."""
    return str(ok(await client.post("/api/intake/suggest", json=PROBE))["analysis"]["model_version"])


async def test_settled_tickets_train_a_candidate_that_is_promoted_then_refused_then_rolled_back(
    city: dict[str, int], pool: asyncpg.Pool, settings: Settings, spawn: Processes, login: Login, tmp_path: Path
) -> None:
    weak, calls = split_messages()
    pointer = tmp_path / "models" / "current"
    store, start = install_weak_model(pointer, weak)
    live = learning_settings(settings, pointer)

    played = await play_months(pool, live, calls[:CITY_TICKETS], FIRST, LAST)
    assert played.tickets == CITY_TICKETS
    # the weak model is often wrong, and every correction is a label with the dispatcher's name
    assert played.corrected > 150
    corrections = await pool.fetch(
        "SELECT l.*, u.display_name FROM category_labels l JOIN users u ON u.id = l.user_id "
        "WHERE l.from_code IS DISTINCT FROM l.to_code"
    )
    assert len(corrections) == played.corrected
    assert {r["display_name"] for r in corrections} <= {
        "云川市派单员",
        *(f"{n}派单员" for n in ("东湖区", "西岭区", "南江区")),
    }
    assert all(FIRST <= r["at"] <= LAST.replace(hour=23) for r in corrections)

    # two web processes and the model they use; their jobs go to a queue of their own (the burst worker
    # below must find only the retrain job on the test's queue)
    env = {
        "HOTLINE_CLASSIFIER_MODEL_DIR": str(pointer),
        "HOTLINE_CLASSIFIER_RELOAD_CHECK_S": "0.2",
        "HOTLINE_REDIS_QUEUE_NAME": settings.redis.queue_name + ":web",
    }
    webs = [await spawn.web(**env), await spawn.web(**env)]
    operators = [await login("operator", base) for base in webs]
    assert [await model_in_use(c) for c in operators] == [start, start]

    async def everywhere(version: str) -> bool:
        return [await model_in_use(c) for c in operators] == [version, version]

    # week one: the candidate learnt from the settled tickets and beats the start on tickets neither saw
    first_run = await run_through_queue(live, "retrain_model", "retrain-week-1")
    assert first_run["outcome"] == "promoted", first_run
    better = first_run["version"]
    assert first_run["previous"] == start and better != start
    assert store.current_version() == better
    await eventually(lambda: everywhere(better), timeout=20, message="both web processes on the promoted model")

    ticket = ok(await operators[0].post("/api/tickets", json=NEXT_CALL), 201)
    created = ok(await operators[0].get(f"/api/tickets/{ticket['id']}/events"))["events"][0]
    assert created["payload"]["analysis"]["model_version"] == better
    stored = await pool.fetchrow("SELECT model_version, top FROM ticket_predictions WHERE ticket_id = $1", ticket["id"])
    assert stored["model_version"] == better and len(stored["top"]) == 3

    admin = await login("admin", webs[1])
    compared = ok(await admin.get(f"/api/models/compare?a={start}&b={better}"))
    assert compared["same_slice"] is True
    assert compared["b"]["macro_f1"] > compared["a"]["macro_f1"] + 0.2
    assert compared["holdout"]["n"] == compared["b"]["n"] >= 40
    promoted = await pool.fetchrow("SELECT * FROM model_versions WHERE version = $1", better)
    assert promoted["status"] == "promoted" and promoted["reason"].startswith("通过")
    assert promoted["baseline_version"] == start and promoted["n_tickets"] >= 100
    assert len(promoted["training_data_sha256"]) == 64 and promoted["metrics"]["confusion"]
    # the held-back slice is the newest settled tickets, after everything the candidate learnt from
    assert datetime.fromisoformat(promoted["holdout"]["first_at"]) > promoted["trained_until"]

    # week two: the older labels went bad; the candidate learns them and must not replace the model
    await pool.execute(CORRUPT_LABELS, promoted["trained_until"])
    second_run = await run_through_queue(live, "retrain_model", "retrain-week-2")
    assert second_run["outcome"] == "refused", second_run
    worse = second_run["version"]
    assert "未通过" in second_run["reason"] and "宏平均F1 下降" in second_run["reason"]
    assert store.current_version() == better and store.has(worse)  # kept, with the reason
    assert await everywhere(better)
    history = ok(await admin.get("/api/models"))
    rows = {v["version"]: v for v in history["versions"]}
    assert rows[worse]["status"] == "refused" and rows[worse]["reason"] == second_run["reason"]
    assert rows[worse]["can_activate"] is False and rows[better]["current"] is True
    assert rows[start]["status"] == "adopted" and rows[start]["can_activate"] is True
    assert [r["outcome"] for r in history["runs"]] == ["refused", "promoted"]

    # one action rolls back, in every process
    after = ok(await admin.post("/api/models/rollback", json={}))
    assert after["current"] == start
    await eventually(lambda: everywhere(start), timeout=20, message="both web processes back on the previous model")
    again = ok(await operators[1].post("/api/tickets", json=NEXT_CALL), 201)
    created = ok(await operators[1].get(f"/api/tickets/{again['id']}/events"))["events"][0]
    assert created["payload"]["analysis"]["model_version"] == start
    switches = [(s["action"], s["from_version"], s["to_version"], s["actor_name"]) for s in after["switches"]]
    assert switches == [("rollback", better, start, "云川市管理员"), ("promote", start, better, "系统")]
