"""Active learning at the dispatcher's desk: the queue shows the model's top-3 and puts the tickets it was
least sure of first; the category a dispatcher settles on is a training label with their name, which the
training export carries."""

from __future__ import annotations

import csv
from pathlib import Path

import asyncpg

from classifier.text import clean
from tests.support.api import Login, ok
from tests.support.calls import CLASSIFIER_CALLS

VAGUE = [
    "想问一下这个事情该找谁。",
    "我要反映一个情况，麻烦你们管一管，一直没人处理。",
    "上次说的那个事到现在也没有消息。",
]


def call(content: str, category_code: str | None = None) -> dict:
    return {"type": "complaint", "content": content, "address": "", "category_code": category_code}


async def test_the_queue_puts_the_least_sure_first_and_shows_the_top_3(
    city: dict[str, int], login: Login, pool: asyncpg.Pool
) -> None:
    operator = await login("operator")
    created = []
    for text in [*VAGUE, *(text for text, _ in CLASSIFIER_CALLS[:5])]:
        created.append(ok(await operator.post("/api/tickets", json=call(text)), 201))
    typed = ok(await operator.post("/api/tickets", json=call("楼上每晚装修到十一点。", "NOISE")), 201)
    assert all(t["state"] == "pending_dispatch" for t in [*created, typed])  # no address: the centre decides

    dispatcher = await login("dispatcher")
    items = ok(await dispatcher.get("/api/tickets?scope=queue"))["items"]
    assert {i["id"] for i in items} == {t["id"] for t in [*created, typed]}
    guessed = [i for i in items if i["prediction"] is not None]
    assert len(guessed) == len(created) and items[-1]["id"] == typed["id"] and items[-1]["prediction"] is None
    margins = [i["prediction"]["margin"] for i in guessed]
    assert margins == sorted(margins)
    for item in guessed:
        top = item["prediction"]["top"]
        assert len(top) == 3 and [g["confidence"] for g in top] == sorted((g["confidence"] for g in top), reverse=True)
        assert top[0]["code"] == item["category_code"] and 0 < sum(g["confidence"] for g in top) <= 1.0001
        assert abs(item["prediction"]["margin"] - (top[0]["confidence"] - top[1]["confidence"])) < 1e-3
    # against the stored guesses: the same order, least sure first
    stored = await pool.fetch("SELECT ticket_id FROM ticket_predictions ORDER BY margin, ticket_id DESC")
    assert [i["id"] for i in guessed] == [r["ticket_id"] for r in stored]
    # the vague calls are the ones the model was least sure of
    assert {i["id"] for i in guessed[: len(VAGUE)]} & {t["id"] for t in created[: len(VAGUE)]}


async def test_a_dispatchers_category_is_a_training_label_with_their_name(
    city: dict[str, int], login: Login, pool: asyncpg.Pool, hotline_cli, tmp_path: Path
) -> None:
    operator = await login("operator")
    unsure = ok(await operator.post("/api/tickets", json=call(VAGUE[0])), 201)
    sure = ok(await operator.post("/api/tickets", json=call(CLASSIFIER_CALLS[0][0])), 201)
    dispatcher = await login("dispatcher")
    correction = "WAGES" if unsure["category_code"] != "WAGES" else "SOCIAL_INS"
    assign = {"unit_id": city["DH"], "reason": "人工派单", "category_code": correction}
    ok(await dispatcher.post(f"/api/tickets/{unsure['id']}/assign", json=assign))
    keep = {"unit_id": city["DH"], "category_code": sure["category_code"]}
    ok(await dispatcher.post(f"/api/tickets/{sure['id']}/assign", json=keep))

    labels = await pool.fetch("SELECT * FROM category_labels ORDER BY id")
    assert [(r["ticket_id"], r["from_code"], r["from_source"], r["to_code"]) for r in labels] == [
        (unsure["id"], unsure["category_code"], "classifier", correction),
        (sure["id"], sure["category_code"], "classifier", sure["category_code"]),
    ]
    events = ok(await dispatcher.get(f"/api/tickets/{unsure['id']}/events"))["events"]
    fixed = [e for e in events if e["action"] == "recategorise"]
    assert len(fixed) == 1 and fixed[0]["actor_name"] == "云川市派单员" and "更正为" in fixed[0]["reason"]
    assert not [e for e in ok(await dispatcher.get(f"/api/tickets/{sure['id']}/events"))["events"]
                if e["action"] == "recategorise"]  # fmt: skip

    admin = await login("admin")
    recent = ok(await admin.get("/api/models/labels"))["items"]
    assert [(r["number"], r["user_name"], r["correction"]) for r in recent] == [
        (sure["number"], "云川市派单员", False),
        (unsure["number"], "云川市派单员", True),
    ]
    assert (await dispatcher.get("/api/models/labels")).status_code == 403

    out = tmp_path / "training.csv"
    result = hotline_cli("export", "training", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8") as fh:
        rows = {r["text"]: r for r in csv.DictReader(fh)}
    names = dict(await pool.fetch("SELECT code, name FROM categories"))
    mine = rows[clean(VAGUE[0])]  # as exported: normalised, personal numbers masked
    assert (mine["label"], mine["label_source"], mine["labelled_by"]) == (
        names[correction],
        "dispatcher",
        "云川市派单员",
    )
    assert mine["labelled_at"] and mine["created_at"]
    kept = rows[clean(CLASSIFIER_CALLS[0][0])]  # confirmed, not corrected: settled all the same
    assert (kept["label"], kept["labelled_by"]) == (names[sure["category_code"]], "云川市派单员")
