"""Importing years of history: 1,000,000 tickets of an old system, from a generated CSV in the documented
columns (docs/operations.md), through `hotline import tickets`.

    .venv/bin/python bench/import.py

Goals (issue 14): the import takes <= 10 minutes on this 2-core machine with a peak RSS of the importing
process <= 1 GiB; afterwards the monthly report of an imported month equals the figures the file itself
determines (counted here while the file is written: volumes by channel, type, category and district, and
the counts behind the rates: sign-for and completion on time, contact, resolution, satisfaction); a second
run of the same file changes nothing (table counts and the report equal, no ticket written).

The generator is deterministic (seeded): tickets from 2022-01-01 to 2026-10-31 for the demo city's units
and categories, handled by the unit the demo responsibility table names, with the old system's spellings
for some channels and states. On-time is judged with the city's SLA rules and working calendar by the pure
dispatch/ code (dispatch.sla.compute_deadline), which is tested on its own; the import stores its own clocks.
The last line is one JSON object with the figures.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import random
import subprocess
import sys
import time
import typing
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.system import ROOT, System, system
from dispatch.sla import compute_deadline
from hotline.db import connect
from hotline.demo.city import DEPARTMENTS, DISTRICTS, RESPONSIBILITY
from hotline.report.data import monthly
from hotline.report.scores import parse_period
from hotline.settings import Settings
from hotline.sla.clock import SlaClock
from hotline.sla.rules import SlaRules

TICKETS = 1_000_000
FIRST_DAY, LAST_DAY = date(2022, 1, 1), date(2026, 10, 31)
MONTH = "2025-06"  # the imported month whose report is checked
SEED = 14
CORPUS = ROOT / "classifier" / "bootstrap" / "corpus.csv"
CATEGORIES = ROOT / "classifier" / "bootstrap" / "categories.csv"
COLUMNS = [
    "工单编号", "受理时间", "来电号码", "来电人", "诉求类型", "渠道", "诉求内容", "地址", "分类", "承办单位",
    "派单时间", "签收时间", "办结时间", "回访结果/满意度", "是否解决", "状态", "首次联系时间", "回访时间",
]  # fmt: skip
TYPES = [("投诉", "complaint", 30), ("求助", "help_request", 30), ("咨询", "consultation", 20), ("举报", "report", 10),
         ("建议", "suggestion", 8), ("表扬", "praise", 2)]  # fmt: skip
# the old system's spellings, and the channel the report shows for each
CHANNELS = [("12345热线", "电话", 45), ("电话", "电话", 25), ("网站", "网站", 8), ("市长信箱", "网站", 4),
            ("微信", "移动应用", 10), ("移动应用", "移动应用", 5), ("接口", "接口", 3)]  # fmt: skip
SATISFACTION = [("满意", 70), ("基本满意", 20), ("不满意", 10)]
TYPE_LABEL = {value: label for label, value, _ in TYPES}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
TIME = "%Y-%m-%d %H:%M:%S"


class Oracle:
    """What the file says about MONTH, counted from the rows as they are written."""

    def __init__(self, settings: Settings, rules: SlaRules):
        self.tz = settings.tz
        self.policy, self.calendar = rules.policy, rules.calendar
        self.volumes: dict[str, Counter[str]] = {k: Counter() for k in ("channel", "type", "category", "district")}
        self.facts: Counter[str] = Counter()
        self.total = 0

    def add(self, t: dict[str, Any]) -> None:
        self.total += 1
        self.volumes["channel"][t["channel_shown"]] += 1
        self.volumes["type"][TYPE_LABEL[t["type"]]] += 1
        self.volumes["category"][t["category_name"]] += 1
        self.volumes["district"][t["district"]] += 1
        if t["assigned"] is None:
            return
        f = self.facts
        f["tickets"] += 1
        reply, completion = self.policy.rules_for(t["type"], t["category"], False)
        for key, rule, ended in (("sign_for", reply, t["signed"]), ("completion", completion, t["completed"])):
            if ended is not None:
                f[f"{key}_n"] += 1
                f[f"{key}_ok"] += ended <= compute_deadline(rule, t["assigned"], self.calendar).due_at
        if t["completed"] is not None:
            f["contact_n"] += 1
            f["contact_ok"] += t["contacted"] is not None
        if t["satisfaction"]:
            f["satisfaction_n"] += 1
            f["satisfaction_ok"] += t["satisfaction"] != "不满意"
            f["resolution_n"] += 1
            f["resolution_ok"] += t["resolved"] == "是"

    def figures(self) -> dict[str, Any]:
        return {
            "total": self.total,
            **{f"by_{k}": dict(sorted(v.items())) for k, v in self.volumes.items()},
            "facts": dict(sorted((k, v) for k, v in self.facts.items() if v)),
        }


def _city() -> tuple[list[tuple[str, str, str]], dict[str, list[str]], dict[str, str]]:
    """(district, street, community) names; corpus texts per category code; category code -> name."""
    communities = [(d, s, c) for (_, d), streets in DISTRICTS.items() for s, names in streets.items() for c in names]
    with CATEGORIES.open(encoding="utf-8") as fh:
        names = {row["code"]: row["name"] for row in csv.DictReader(fh)}
    by_name = {v: k for k, v in names.items()}
    texts: dict[str, list[str]] = {}
    with CORPUS.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["label"] in by_name:
                texts.setdefault(by_name[row["label"]], []).append(row["text"])
    return communities, texts, names


def _handler(category: str, district: str, street: str, community: str) -> str:
    """The unit the demo responsibility table names (its highest-priority rule), as the old system wrote it."""
    rules = typing.cast(list[tuple[str, str | None, tuple[str, ...], int]], RESPONSIBILITY[category])
    # the old system's rows name a community at most: a grid rule cannot apply
    level, kind, _co, _priority = max((r for r in rules if r[0] != "grid"), key=lambda rule: rule[3])
    if level == "community":
        return f"{street}{community}"  # 新村社区 needs its street
    if level == "street":
        return f"{district}/{street}"
    return f"{district}{next(name for _, name, k in DEPARTMENTS if k == kind)}"


def _daily_counts(rng: random.Random) -> list[tuple[date, int]]:
    days = [FIRST_DAY + timedelta(days=i) for i in range((LAST_DAY - FIRST_DAY).days + 1)]
    weights = [(0.75 if d.weekday() >= 5 else 1.0) * (1.2 if 6 <= d.month <= 8 else 1.0) for d in days]
    total = sum(weights)
    counts = [int(TICKETS * w / total) for w in weights]
    for i in rng.sample(range(len(days)), TICKETS - sum(counts)):
        counts[i] += 1
    return list(zip(days, counts, strict=True))


async def stored_rules(settings: Settings) -> SlaRules:
    """The SLA rules and calendar the new database holds (config.toml's, seeded when it was created)."""
    conn = await connect(settings)
    try:
        return await SlaClock.from_settings(settings).current(conn)
    finally:
        await conn.close()


def generate(path: Path, settings: Settings, rules: SlaRules) -> dict[str, Any]:
    """Write the CSV; return the figures of MONTH the file determines."""
    rng = random.Random(SEED)
    tz = settings.tz
    communities, texts, category_names = _city()
    categories = sorted(texts)
    oracle = Oracle(settings, rules)
    type_w, channel_w = [w for *_, w in TYPES], [w for *_, w in CHANNELS]
    end = datetime(LAST_DAY.year, LAST_DAY.month, LAST_DAY.day, 23, 0, tzinfo=tz)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        n = 0
        for day, count in _daily_counts(rng):
            seconds = sorted(rng.uniform(7 * 3600, 22 * 3600) for _ in range(count))
            for second in seconds:
                n += 1
                created = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(seconds=int(second))
                type_label, ticket_type, _ = rng.choices(TYPES, type_w)[0]
                channel, shown, _ = rng.choices(CHANNELS, channel_w)[0]
                category = rng.choice(categories)
                district, street, community = rng.choice(communities)
                t: dict[str, Any] = {
                    "type": ticket_type, "channel_shown": shown, "category": category,
                    "category_name": category_names[category], "district": district, "assigned": None,
                    "signed": None, "completed": None, "contacted": None, "satisfaction": "", "resolved": "",
                }  # fmt: skip
                row = [
                    f"LS{created:%Y%m%d}{n:07d}", created.strftime(TIME), f"13{rng.randint(100_000_000, 999_999_999)}",
                    rng.choice(SURNAMES) + rng.choice(("先生", "女士")), type_label, channel,
                    rng.choice(texts[category]), f"{district}{street}{community}{rng.randint(1, 40)}号",
                    category_names[category],
                ]  # fmt: skip
                if ticket_type == "consultation" and rng.random() < 0.3:
                    row += ["", "", "", created.strftime(TIME), "", "", "直接办结", "", ""]
                else:
                    row += _handled(rng, t, created, end, _handler(category, district, street, community))
                out.writerow(row)
                if created.strftime("%Y-%m") == MONTH:
                    oracle.add(t)
    return oracle.figures()


def _handled(rng: random.Random, t: dict[str, Any], created: datetime, end: datetime, unit: str) -> list[str]:
    """承办单位 to 回访时间 of a dispatched ticket; fills the oracle's record `t`."""
    assigned = created + timedelta(minutes=rng.uniform(2, 40))
    late_sign = rng.random() < 0.08
    signed = assigned + (timedelta(hours=rng.uniform(2, 60)) if late_sign else timedelta(minutes=rng.uniform(2, 55)))
    days = {"consultation": 3, "help_request": 5, "praise": 3}.get(t["type"], 15)
    late = rng.random() < 0.1
    completed = signed + timedelta(days=rng.uniform(days * 1.5, days * 3) if late else rng.uniform(0.05, days * 0.6))
    contacted = signed + timedelta(minutes=rng.uniform(10, 300)) if rng.random() < 0.95 else None
    t.update(assigned=assigned.replace(second=0, microsecond=0))
    stamp = t["assigned"].strftime(TIME)
    if signed > end:
        return [unit, stamp, "", "", "", "", "待签收", "", ""]
    t["signed"] = signed.replace(microsecond=0)
    t["contacted"] = contacted
    contact = contacted.strftime(TIME) if contacted else ""
    if completed > end:
        return [unit, stamp, t["signed"].strftime(TIME), "", "", "", "办理中", contact, ""]
    t["completed"] = completed.replace(microsecond=0)
    called = completed + timedelta(hours=rng.uniform(4, 72))
    satisfaction = rng.choices([s for s, _ in SATISFACTION], [w for _, w in SATISFACTION])[0]
    resolved = "是" if satisfaction != "不满意" or rng.random() < 0.3 else "否"
    if rng.random() < 0.1:  # the caller could not be reached
        satisfaction = resolved = ""
    t.update(satisfaction=satisfaction, resolved=resolved)
    state = "已归档" if rng.random() < 0.2 else "已办结"
    return [
        unit, stamp, t["signed"].strftime(TIME), t["completed"].strftime(TIME), satisfaction, resolved, state,
        contact, called.strftime(TIME),
    ]  # fmt: skip


def run_import(bench: System, path: Path) -> dict[str, Any]:
    """`hotline import tickets` in a child process: wall time, its peak RSS (wait4), its last line."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hotline", "import", "tickets", str(path)],
        env=bench.environ(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    out, err = proc.stdout.read().decode() if proc.stdout else "", proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"import failed: {err[-3000:]}")
    return {"s": round(elapsed, 1), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "output": out.strip()}


async def observe(settings: Settings) -> dict[str, Any]:
    """The report of MONTH in the file's terms, and the table counts."""
    conn = await connect(settings)
    try:
        report = await monthly(conn, settings, parse_period(MONTH), datetime.now(settings.tz))
        counts = {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")  # table names from this list only
            for t in ("tickets", "deadlines", "ticket_events", "ticket_units")
        }
    finally:
        await conn.close()
    v = report["volumes"]
    figures = {
        "total": v["total"],
        "by_channel": dict(sorted((i["name"], i["tickets"]) for i in v["by_channel"])),
        "by_type": dict(sorted((i["name"], i["tickets"]) for i in v["by_type"])),
        "by_category": dict(sorted((i["name"], i["tickets"]) for i in v["by_category"])),
        "by_district": dict(sorted((i["name"], i["tickets"]) for i in v["by_district"])),
        "facts": await _facts(settings),
    }
    return {"figures": figures, "counts": counts}


async def _facts(settings: Settings) -> dict[str, int]:
    """The counts behind the month's rates, summed over units (what the report's SLA table and rankings use)."""
    from hotline.report.score_days import COUNTS, unit_facts

    conn = await connect(settings)
    try:
        start, end = parse_period(MONTH).bounds(settings.tz)
        rows = await unit_facts(conn, start, end, datetime.now(settings.tz))
    finally:
        await conn.close()
    totals = {k: sum(r[k] for r in rows) for k in COUNTS if k != "appealed" and not k.startswith("return")}
    return dict(sorted((k, v) for k, v in totals.items() if v))


def main() -> None:
    with system() as bench:
        settings = bench.settings()
        path = bench.var_dir / "history.csv"
        started = time.perf_counter()
        expected = generate(path, settings, asyncio.run(stored_rules(settings)))
        generate_s = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
        print(f"generated {TICKETS} tickets ({size_mb:.0f} MB) in {generate_s:.0f} s", flush=True)
        first = run_import(bench, path)
        print(f"import: {first['s']} s, peak RSS {first['peak_rss_mib']} MiB: {first['output']}", flush=True)
        after_first = asyncio.run(observe(settings))
        second = run_import(bench, path)
        print(f"second run: {second['s']} s, peak RSS {second['peak_rss_mib']} MiB: {second['output']}", flush=True)
        after_second = asyncio.run(observe(settings))
    matches = after_first["figures"] == expected
    if not matches:
        print(json.dumps({"expected": expected, "report": after_first["figures"]}, ensure_ascii=False), flush=True)
    result = {
        "bench": "import",
        "tickets": TICKETS,
        "file_mb": round(size_mb, 1),
        "generate_s": round(generate_s, 1),
        "import_s": first["s"],
        "rows_per_s": round(TICKETS / first["s"]),
        "peak_rss_mib": max(first["peak_rss_mib"], second["peak_rss_mib"]),
        "second_run_s": second["s"],
        "month": MONTH,
        "month_tickets": expected["total"],
        "report_matches_file": matches,
        "second_run_changes_nothing": after_second == after_first and "新写入工单 0 件" in second["output"],
        "table_counts": after_second["counts"],
    }
    result["import_ok"] = result["import_s"] <= 600
    result["memory_ok"] = result["peak_rss_mib"] <= 1024
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
