"""The monthly analysis report (月度分析报告) as one JSON-ready dict: every number the HTML page,
the spreadsheet and the API show comes from here."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from classifier.segment import default_segmenter
from dispatch.supervision import SupervisionKind
from dispatch.ticket_types import TicketType
from hotline.db import custom_plans
from hotline.ops.retention import caller_key
from hotline.queries import Q
from hotline.report import early_warning, misrouting, scores
from hotline.report.scores import Period, UnitInfo, month_period
from hotline.settings import Settings
from hotline.tickets import records, service_days

CHANNELS = {"phone": "电话", "web": "网站", "app": "移动应用", "api": "接口"}
TEXTS_FOR_KEYWORDS = 20_000  # distinct texts, most frequent first: enough for the top words
LIST_LIMIT = 20
HEAT_UNITS = 12
# Words every hotline call uses (greetings, requests, "the relevant department"): not topics.
FILLER = frozenset(
    "你好 您好 喂 请问 想问 反映 希望 尽快 处理 解决 麻烦 谢谢 相关 部门 管一管 问题 情况 已经 一直 现在 "
    "还是 没有 什么 怎么 这个 那个 我们 你们 他们 居民 来电 市民 附近 一下 几次 好几 一个 每天 每个 "
    "请求 要求 联系 反应 投诉 举报 咨询 建议 看看 到底 知道 不能 可以 需要 时间 上午 下午 晚上 昨天".split()
)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _change(current: int, before: int) -> float | None:
    return None if not before else round((current - before) / before, 4)


def _subtree(units: dict[int, UnitInfo], root: int) -> list[int]:
    return [u for u in units if scores.ancestor_at(units, u, units[root].level) == root]


async def monthly(
    conn: asyncpg.Connection, settings: Settings, month: Period, as_of: datetime, unit_id: int | None = None
) -> dict[str, Any]:
    async with custom_plans(conn):
        return await _monthly(conn, settings, month, as_of, unit_id)


async def _monthly(
    conn: asyncpg.Connection, settings: Settings, month: Period, as_of: datetime, unit_id: int | None
) -> dict[str, Any]:
    tz = settings.tz
    start, end = month.bounds(tz)
    units = await scores.load_units(conn)
    if unit_id is not None and unit_id not in units:
        raise LookupError(unit_id)
    scope = _subtree(units, unit_id) if unit_id is not None else None
    categories = {r["code"]: r["name"] for r in await conn.fetch(Q.report_category_names)}

    volumes = await _volumes(conn, start, end, scope, units, categories)
    trend_start, _ = scores.Period("", scores.add_months(month.first, -12), month.end).bounds(tz)
    counts = {r["month"]: r["n"] for r in await conn.fetch(Q.report_monthly_counts, trend_start, end, str(tz), scope)}
    trend = []
    for back in range(12, -1, -1):
        label = f"{scores.add_months(month.first, -back):%Y-%m}"
        trend.append({"month": label, "tickets": counts.get(label, 0)})
    total = volumes["total"]
    previous, last_year = trend[-2]["tickets"], trend[0]["tickets"]

    facts = await scores.unit_facts(conn, start, end, as_of, scope)
    rankings = {level: scores.rank(facts, units, level, settings.report) for level in scores.LEVELS}
    warnings = await early_warning.place_warnings(conn, start, end, settings.report)
    warnings += await early_warning.month_text_warnings(conn, start, end, settings.report)
    if scope is not None:  # a district's report names none of another district's tickets
        inside = set(scope)
        warnings = [scoped for w in warnings if (scoped := early_warning.within(w, inside)) is not None]
    warnings.sort(key=lambda w: (w.window_start, w.cluster_key))
    report = {
        "month": month.label,
        "title": f"{month.title}12345热线运行分析报告",
        "month_title": month.title,
        "generated_at": as_of.isoformat(),
        "unit": None if unit_id is None else {"id": unit_id, "name": units[unit_id].name},
        "period": {"start": start.isoformat(), "end": end.isoformat(), "timezone": str(tz)},
        "volumes": volumes,
        "comparison": {
            "previous_month": trend[-2]["month"],
            "previous_tickets": previous,
            "month_on_month": _change(total, previous),
            "last_year_month": trend[0]["month"],
            "last_year_tickets": last_year,
            "year_on_year": _change(total, last_year),
        },
        "trend": trend,
        "hot_topics": await _hot_topics(conn, start, end, scope, settings.report.top_keywords),
        "sla": await _sla(conn, start, end, scope, facts, units),
        "supervised": await _supervised(conn, settings, start, end, as_of, scope, units),
        "weights": settings.report.weights,
        "components": scores.COMPONENTS,
        "min_sample": settings.report.min_sample,
        "rankings": rankings,
        "heat": await _heat(conn, start, end, scope, units, categories),
        "misrouting": await misrouting.month_figures(conn, start, end, units, scope),
        "service_days": await service_days.days_with_calls(
            conn, {u.id: u.name for u in units.values()}, tz, start, end, scope
        ),
        "early_warnings": [
            {
                **w.as_dict(),
                "text": early_warning.describe(w, {u.id: u.name for u in units.values()}, categories),
                "local_start": w.window_start.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            }
            for w in warnings
        ],
    }
    report["summary"] = summary(report)
    return report


async def _volumes(
    conn: asyncpg.Connection,
    start: datetime,
    end: datetime,
    scope: list[int] | None,
    units: dict[int, UnitInfo],
    categories: dict[str, str],
) -> dict[str, Any]:
    channel: Counter[str] = Counter()
    kind: Counter[str] = Counter()
    category: Counter[str] = Counter()
    district: Counter[str] = Counter()
    street: Counter[str] = Counter()
    total = 0
    for r in await conn.fetch(Q.report_volumes, start, end, scope):
        if r["channel"] is not None:
            channel[CHANNELS.get(r["channel"], r["channel"])] += r["n"]
        elif r["type"] is not None:
            kind[TicketType(r["type"]).label] += r["n"]  # type: ignore[call-arg]
        elif r["category_code"] is not None:
            category[categories.get(r["category_code"], r["category_code"])] += r["n"]
        elif r["community_id"] is not None and r["community_id"] in units:
            d = scores.ancestor_at(units, r["community_id"], "district")
            s = scores.ancestor_at(units, r["community_id"], "street")
            district[units[d].name if d else "未识别"] += r["n"]
            street[units[s].name if s else "未识别"] += r["n"]
        else:
            total = max(total, r["n"])  # the grand total row (and tickets with no category / place)
    located = sum(district.values())
    if total - located > 0:
        district["未识别地点"] += total - located
        street["未识别地点"] += total - located
    if total - sum(category.values()) > 0:
        category["未分类"] += total - sum(category.values())

    def items(counter: Counter[str]) -> list[dict[str, Any]]:
        return [{"name": k, "tickets": v} for k, v in counter.most_common()]

    return {
        "total": total,
        "by_channel": items(channel),
        "by_type": items(kind),
        "by_category": items(category),
        "by_district": items(district),
        "by_street": items(street),
    }


async def _hot_topics(
    conn: asyncpg.Connection, start: datetime, end: datetime, scope: list[int] | None, top: int
) -> list[dict[str, Any]]:
    """Words by the number of tickets using them (jieba, stopwords dropped), each with an example ticket."""
    cut = default_segmenter().cut
    words: Counter[str] = Counter()
    example: dict[str, dict[str, Any]] = {}
    for r in await conn.fetch(Q.report_texts, start, end, TEXTS_FOR_KEYWORDS, scope):
        content = records.mask_text(r["content"])  # a report is passed around: no citizen's number in it
        for word in set(cut(content)):
            if len(word) < 2 or word.isdigit() or word in FILLER:
                continue
            words[word] += r["n"]
            example.setdefault(word, {"id": r["example_id"], "number": r["example_number"], "content": content})
    # ties in word order: a set's order changes from one process to the next, and with it the report's list
    ranked = sorted(words.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [{"word": w, "tickets": n, "example": example[w]} for w, n in ranked]


async def _sla(
    conn: asyncpg.Connection,
    start: datetime,
    end: datetime,
    scope: list[int] | None,
    facts: list[dict[str, Any]],
    units: dict[int, UnitInfo],
) -> list[dict[str, Any]]:
    alerts: dict[int, dict[str, int]] = {}
    for r in await conn.fetch(Q.report_sla_alerts, start, end, scope):
        alerts.setdefault(r["unit_id"], {})[r["kind"]] = r["n"]
    rows = []
    for f in sorted(facts, key=lambda f: (-f["tickets"], f["unit_id"])):
        rows.append(
            {
                "unit_id": f["unit_id"],
                "name": units[f["unit_id"]].name,
                "tickets": f["tickets"],
                "sign_for_on_time": f["sign_for_ok"],
                "sign_for_late": f["sign_for_n"] - f["sign_for_ok"],
                "sign_for_rate": round(f["sign_for_ok"] / f["sign_for_n"], 4) if f["sign_for_n"] else None,
                "completion_on_time": f["completion_ok"],
                "completion_late": f["completion_n"] - f["completion_ok"],
                "completion_rate": round(f["completion_ok"] / f["completion_n"], 4) if f["completion_n"] else None,
                "warnings": alerts.get(f["unit_id"], {}).get("warning", 0),
                "overdue_alerts": alerts.get(f["unit_id"], {}).get("overdue", 0),
            }
        )
    return rows


async def _supervised(
    conn: asyncpg.Connection,
    settings: Settings,
    start: datetime,
    end: datetime,
    as_of: datetime,
    scope: list[int] | None,
    units: dict[int, UnitInfo],
) -> dict[str, Any]:
    s = settings.supervision
    rows = await conn.fetch(
        Q.report_supervised,
        start,
        end,
        as_of,
        timedelta(days=s.repeat_days),
        s.dissatisfied_count,
        s.repeat_count,
        s.return_count,
        scope,
        caller_key(settings),
    )
    result = {}
    for kind in SupervisionKind:
        members = [r for r in rows if r[kind.value]]
        result[kind.value] = {
            "label": kind.label,
            "count": len(members),
            "items": [
                {
                    "id": r["id"],
                    "number": r["number"],
                    "unit": units[r["lead_unit_id"]].name if r["lead_unit_id"] in units else "",
                    "summary": records.summary(r["summary"]),
                    "created_at": r["created_at"].isoformat(),
                }
                for r in members[-LIST_LIMIT:][::-1]
            ],
        }
    return result


async def _heat(
    conn: asyncpg.Connection,
    start: datetime,
    end: datetime,
    scope: list[int] | None,
    units: dict[int, UnitInfo],
    categories: dict[str, str],
) -> dict[str, Any]:
    """Streets (by the caller's community) x categories: where which problems come from."""
    cells: Counter[tuple[int, str]] = Counter()
    for r in await conn.fetch(Q.report_unit_category, start, end, scope):
        street = scores.ancestor_at(units, r["community_id"], "street") if r["community_id"] in units else None
        if street is not None:
            cells[(street, r["category_code"] or "")] += r["n"]
    by_unit: Counter[int] = Counter()
    by_category: Counter[str] = Counter()
    for (u, c), n in cells.items():
        by_unit[u] += n
        by_category[c] += n
    rows = [u for u, _ in by_unit.most_common(HEAT_UNITS)]
    columns = [c for c, _ in by_category.most_common()]
    return {
        "columns": [categories.get(c, "未分类") for c in columns],
        "rows": [{"name": units[u].name, "cells": [cells.get((u, c), 0) for c in columns]} for u in rows],
        "max": max(cells.values(), default=0),
    }


def summary(report: dict[str, Any]) -> str:
    """The short paragraph at the top, in Chinese, with the key numbers."""
    v, c = report["volumes"], report["comparison"]

    def change(value: float | None) -> str:
        if value is None:
            return "无可比数据"
        return f"{'上升' if value >= 0 else '下降'}{abs(value) * 100:.1f}%"

    mom, yoy = change(c["month_on_month"]), change(c["year_on_year"])
    parts = [f"{report['month_title']}共受理诉求 {v['total']} 件，环比{mom}，同比{yoy}。"]
    if v["by_category"]:
        top = "、".join(f"{i['name']}（{i['tickets']} 件）" for i in v["by_category"][:3])
        parts.append(f"诉求最多的类别为{top}。")
    if report["hot_topics"]:
        parts.append("热点词：" + "、".join(t["word"] for t in report["hot_topics"][:5]) + "。")
    done = sum(r["completion_on_time"] for r in report["sla"])
    late = sum(r["completion_late"] for r in report["sla"])
    if done + late:
        parts.append(f"按时办结率 {_pct(done / (done + late))}，超期 {late} 件。")
    sup = report["supervised"]
    parts.append("重点督办：" + "，".join(f"{k['label']} {k['count']} 件" for k in sup.values()) + "。")
    ranked = [i for i in report["rankings"]["district"]["items"] if i["rank"] == 1]
    if ranked:
        parts.append(f"区级综合得分第一为{ranked[0]['name']}（{ranked[0]['total']} 分）。")
    m = report["misrouting"]["dispatch"]
    if m["dispatched"]:
        parts.append(
            f"派单 {m['dispatched']} 件，自动派单率 {_pct(m['auto_rate'])}，自动派单准确率 {_pct(m['auto_accuracy'])}，"
            f"退单或改派 {m['returned_or_rerouted']} 件（{_pct(m['returned_or_rerouted_rate'])}）。"
        )
    parts.append(f"本月未诉先办预警 {len(report['early_warnings'])} 起。")
    return "".join(parts)


def previous_month(today: datetime) -> Period:
    first = today.date().replace(day=1)
    return month_period(scores.add_months(first, -1))
