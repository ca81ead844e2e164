"""Early warning (未诉先办): clusters of tickets rising above their usual level in a sliding window.

A place cluster is one category in one community. Its count in a window of W hours starting at
hour h warns when it is at least `warning_min_tickets` and above mean + k * std of the counts of
the same window on each of the previous `warning_baseline_days` days. A text cluster is a group of
near-identical texts (classifier.similarity) from two communities or more. The cron job groups the
last window's texts and has no history to compare with, so only the minimum count applies; the
monthly report groups the month's texts once and judges each group like a place cluster. Stored
warnings are pushed to the board and listed in its snapshot while active.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from classifier.similarity import leader_groups
from hotline.catalog_cache import Catalog
from hotline.queries import Q
from hotline.settings import ReportSettings
from hotline.tickets.records import mask_payload, mask_text, summary
from realtime.events import EventType

HOUR = timedelta(hours=1)
SAMPLE_LENGTH = 200
# How many of a warning's tickets a board's event or snapshot names (the first ones its viewer may open): a surge
# can gather thousands, the board links to the first, and the count says how many there are.
TICKETS_NAMED = 20


@dataclass
class EarlyWarning:
    cluster_kind: str  # place or text
    cluster_key: str
    category_code: str | None
    community_id: int | None
    window_start: datetime
    window_end: datetime
    ticket_count: int
    baseline_mean: float
    baseline_std: float
    tickets: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cluster_kind": self.cluster_kind,
            "cluster_key": self.cluster_key,
            "category_code": self.category_code,
            "community_id": self.community_id,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "ticket_count": self.ticket_count,
            "baseline_mean": round(self.baseline_mean, 2),
            "baseline_std": round(self.baseline_std, 2),
            "tickets": self.tickets,
        }


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _busy_windows(
    counts: dict[datetime, int], start: datetime, end: datetime, settings: ReportSettings
) -> list[tuple[int, datetime, float, float]]:
    """(count, window start, baseline mean, std) of one cluster's windows starting in [start, end) that are
    above its usual level, at most one per stretch of overlapping windows (the busiest)."""
    width = max(1, math.ceil(settings.warning_window_hours))
    days = settings.warning_baseline_days
    hours = sorted(h for h in counts if start <= h < end)
    if not hours:
        return []
    window = _window_sums(counts, hours[0] - timedelta(days=days), hours[-1] + width * HOUR, width)
    candidates = []
    for hour in hours:
        count = window(hour)
        if count < settings.warning_min_tickets:
            continue
        history = [window(hour - timedelta(days=d)) for d in range(1, days + 1)]
        mean = sum(history) / len(history)
        std = math.sqrt(sum((x - mean) ** 2 for x in history) / len(history))
        if count > mean + settings.warning_k * std:
            candidates.append((count, hour, mean, std))
    taken: list[tuple[int, datetime, float, float]] = []
    for candidate in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if all(abs(candidate[1] - other[1]) >= width * HOUR for other in taken):
            taken.append(candidate)
    return taken


def _window_sums(counts: dict[datetime, int], first: datetime, last: datetime, width: int) -> Callable[[datetime], int]:
    """The tickets of the `width` hours from a given hour, for hours from `first` (an hour of `counts`) to `last`:
    running totals, so each window costs two lookups however many baseline days read it (a month's report
    reads a few million windows at ten million tickets)."""
    size = (last - first) // HOUR + 1
    per_hour = [0] * size
    for hour, n in counts.items():
        offset, rest = divmod(hour - first, HOUR)
        if not rest and 0 <= offset < size:
            per_hour[offset] = n
    totals = [0, *itertools.accumulate(per_hour)]

    def window(hour: datetime) -> int:
        offset = (hour - first) // HOUR
        return totals[min(offset + width, size)] - totals[max(offset, 0)]

    return window


def detect(
    hourly: dict[tuple[str, int], dict[datetime, int]], start: datetime, end: datetime, settings: ReportSettings
) -> list[EarlyWarning]:
    """Place warnings with windows starting in [start, end), one per stretch of overlapping windows of a cluster."""
    width = max(1, math.ceil(settings.warning_window_hours))
    found = [
        EarlyWarning(
            "place", f"{category}:{community}", category, community, hour, hour + width * HOUR, count, mean, std
        )
        for (category, community), counts in hourly.items()
        for count, hour, mean, std in _busy_windows(counts, start, end, settings)
    ]
    found.sort(key=lambda w: (w.window_start, w.cluster_key))
    return found


def _ticket(row: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    """A warning's ticket as the report and the board show it: its text masked (a warning reaches many readers)."""
    return {
        "id": row["id"],
        "number": row["number"],
        "content": mask_text(row["content"]),
        "community_id": row["community_id"],
        "lead_unit_id": row["lead_unit_id"],
    }


async def place_warnings(
    conn: asyncpg.Connection, start: datetime, end: datetime, settings: ReportSettings
) -> list[EarlyWarning]:
    """Place-cluster warnings with windows starting in [start, end), each naming its tickets."""
    width = max(1, math.ceil(settings.warning_window_hours))
    since = _floor_hour(start) - timedelta(days=settings.warning_baseline_days)
    hourly: dict[tuple[str, int], dict[datetime, int]] = {}
    for row in await conn.fetch(Q.warning_hourly_counts, since, end + width * HOUR):
        hourly.setdefault((row["category_code"], row["community_id"]), {})[row["hour"]] = row["n"]
    warnings = detect(hourly, _floor_hour(start), end, settings)
    if not warnings:
        return warnings
    # every window's tickets in one read, then each window's picked out: a read per window took a month's report
    # 1,895 round trips (1.8 s) on 10M tickets
    places = list({(w.category_code, w.community_id) for w in warnings})
    rows = await conn.fetch(
        Q.warning_place_tickets,
        min(w.window_start for w in warnings),
        max(w.window_end for w in warnings),
        [category for category, _ in places],
        [str(community) for _, community in places],
    )
    by_place: dict[tuple[str | None, int | None], list[asyncpg.Record]] = {}
    for r in rows:
        by_place.setdefault((r["category_code"], r["community_id"]), []).append(r)
    for w in warnings:
        w.tickets = [
            _ticket(r)
            for r in _created_within(by_place.get((w.category_code, w.community_id), []), w.window_start, w.window_end)
        ]
    return warnings


def _created_within(tickets: list[Any], start: datetime, end: datetime) -> list[Any]:
    """Of `tickets` in creation order, those created in [start, end)."""
    first = bisect.bisect_left(tickets, start, key=lambda t: t["created_at"])
    return tickets[first : bisect.bisect_left(tickets, end, key=lambda t: t["created_at"])]


def text_clusters(rows: list[dict[str, Any]], settings: ReportSettings) -> list[list[dict[str, Any]]]:
    """Greedy single pass: a ticket joins the first cluster whose first text it is similar enough to."""
    groups: dict[int, list[dict[str, Any]]] = {}
    for row, leader in zip(
        rows, leader_groups([r["content"] for r in rows], settings.warning_text_similarity), strict=True
    ):
        if leader is not None:
            groups.setdefault(leader, []).append(row)
    return [members for members in groups.values() if len(members) >= settings.warning_min_tickets]


def _text_warning(
    members: list[dict[str, Any]], start: datetime, end: datetime, mean: float, std: float
) -> EarlyWarning:
    first = members[0]
    return EarlyWarning(
        "text", f"text:{first['id']}", first["category_code"], None, start, end, len(members), mean, std,
        [_ticket(m) for m in members],
    )  # fmt: skip


async def text_warnings(
    conn: asyncpg.Connection, start: datetime, end: datetime, settings: ReportSettings
) -> list[EarlyWarning]:
    """Near-identical texts in [start, end) from more than one community: place clusters already cover one."""
    rows = [dict(r) for r in await conn.fetch(Q.warning_recent_texts, start, end)]
    warnings = []
    for members in text_clusters(rows, settings):
        if len({m["community_id"] for m in members}) < 2:
            continue
        warnings.append(_text_warning(members, _floor_hour(start), end, 0.0, 0.0))
    return warnings


async def month_text_warnings(
    conn: asyncpg.Connection, start: datetime, end: datetime, settings: ReportSettings
) -> list[EarlyWarning]:
    """Text warnings with windows starting in [start, end), for the report. Distinct texts since the
    baseline began are grouped once (near-identical texts); each group is then a cluster with hourly counts,
    judged like a place cluster against its usual level, and kept when its window spans two communities."""
    width = max(1, math.ceil(settings.warning_window_hours))
    since = _floor_hour(start) - timedelta(days=settings.warning_baseline_days)
    rows = await conn.fetch(Q.warning_text_hours, since, end + width * HOUR)
    texts = list(dict.fromkeys(r["content"] for r in rows))  # rows come in order of first appearance
    leaders = dict(zip(texts, leader_groups(texts, settings.warning_text_similarity), strict=True))
    hourly: dict[int, dict[datetime, int]] = {}
    members: dict[int, dict[str, None]] = {}  # a dict keeps the texts in order, without repeats
    for r in rows:
        leader = leaders[r["content"]]
        if leader is None:
            continue
        counts = hourly.setdefault(leader, {})
        counts[r["hour"]] = counts.get(r["hour"], 0) + r["n"]
        members.setdefault(leader, {})[r["content"]] = None
    busy = [
        (leader, hour, mean, std)
        for leader, counts in hourly.items()
        for _, hour, mean, std in _busy_windows(counts, _floor_hour(start), end, settings)
    ]
    if not busy:
        return []
    # every busy window's tickets in one read, as for place clusters (a read per window: 3,414 round trips, 9.9 s)
    leader_of = {text: leader for leader in {leader for leader, *_ in busy} for text in members[leader]}
    by_leader: dict[int, list[dict[str, Any]]] = {}
    first_hour, last_hour = min(hour for _, hour, *_ in busy), max(hour for _, hour, *_ in busy)
    for r in await conn.fetch(Q.warning_text_tickets, list(leader_of), first_hour, last_hour + width * HOUR):
        by_leader.setdefault(leader_of[r["content"]], []).append(dict(r))
    warnings = []
    for leader, hour, mean, std in busy:
        found = _created_within(by_leader.get(leader, []), hour, hour + width * HOUR)
        if len({t["community_id"] for t in found}) >= 2:
            warnings.append(_text_warning(found, hour, hour + width * HOUR, mean, std))
    warnings.sort(key=lambda w: (w.window_start, w.cluster_key))
    return warnings


def touches(w: EarlyWarning, units: set[int]) -> bool:
    """Whether a warning concerns a unit subtree: its community, or for a text cluster any ticket's community."""
    return not units.isdisjoint(communities(w))


def communities(w: EarlyWarning) -> list[int]:
    """The communities a warning concerns: its own (a place cluster's) and those of its tickets."""
    found = {t["community_id"] for t in w.tickets if t.get("community_id") is not None}
    return sorted(found | ({w.community_id} if w.community_id is not None else set()))


def within(w: EarlyWarning, units: set[int]) -> EarlyWarning | None:
    """The warning as a subtree's report shows it: only the tickets the subtree leads (as every other section of
    the report counts them); None when it does not concern the subtree. The cluster's size stays what it is."""
    if not touches(w, units):
        return None
    return replace(w, tickets=[t for t in w.tickets if t["lead_unit_id"] in units])


def describe(w: EarlyWarning, unit_names: dict[int, str], category_names: dict[str, str]) -> str:
    """One line in Chinese, for the board's feed and the report."""
    where = unit_names.get(w.community_id or 0, "多个社区")
    what = category_names.get(w.category_code or "", w.category_code or "同类诉求")
    hours = round((w.window_end - w.window_start).total_seconds() / 3600)
    return f"{where}「{what}」{hours}小时内 {w.ticket_count} 件（常态 {w.baseline_mean:.1f} 件）"


def alert_payload(warning_id: int, w: EarlyWarning, rule_name: str) -> dict[str, Any]:
    """What the board shows of a stored warning: the realtime event's payload and a snapshot item."""
    first = w.tickets[0] if w.tickets else {}
    return {
        "alert_id": f"early-{warning_id}",
        "warning_id": warning_id,
        "kind": "early",
        "cluster_kind": w.cluster_kind,
        "category_code": w.category_code,
        "community_id": w.community_id,
        "unit_id": w.community_id,
        "window_start": w.window_start.isoformat(),
        "window_end": w.window_end.isoformat(),
        "ticket_count": w.ticket_count,
        "baseline_mean": round(w.baseline_mean, 2),
        "ticket_ids": [t["id"] for t in w.tickets[:TICKETS_NAMED]],
        "ticket_id": first.get("id"),
        "number": first.get("number"),
        "rule_name": rule_name,
    }


def _unit_path(catalog: Catalog, w: EarlyWarning) -> list[int]:
    """Who hears of a warning: its community and up; for a text cluster, every community it spans and up."""
    path = {u for c in communities(w) if c in catalog.unit_names for u in catalog.unit_path(c)}
    return sorted(path) if path else [catalog.tree.root.id]


def audiences(
    catalog: Catalog, w: EarlyWarning, units_of: dict[int, list[int]]
) -> list[tuple[list[int], EarlyWarning]]:
    """The boards that hear of a warning, grouped by the first TICKETS_NAMED tickets each may open (those its
    subtree held or co-handles): one (unit path, warning with those tickets) per group. A text cluster spans
    districts, and an event goes to every unit on its path, so one payload naming every ticket would tell each
    district of the others' tickets."""
    centre = catalog.tree.root.id  # opens every ticket
    opened_by: dict[int, set[int]] = {}  # ticket id -> the units that may open it (holders and their ancestors)
    for ticket_id, units in units_of.items():
        opened_by[ticket_id] = {centre} | {a for u in units if u in catalog.unit_names for a in catalog.unit_path(u)}
    groups: dict[tuple[int, ...], list[int]] = {}
    for unit in _unit_path(catalog, w):
        seen = tuple(t["id"] for t in w.tickets if unit in opened_by.get(t["id"], ()))[:TICKETS_NAMED]
        groups.setdefault(seen, []).append(unit)
    return [
        (sorted(units), replace(w, tickets=[t for t in w.tickets if t["id"] in seen])) for seen, units in groups.items()
    ]


async def store_and_publish(ctx: dict[str, Any], warnings: list[EarlyWarning], now: datetime) -> int:
    """Insert new warnings (unique per cluster and window start) and announce each new one, to each board with
    only the tickets it may open."""
    from realtime.stream import publish

    pool: asyncpg.Pool = ctx["pool"]
    async with pool.acquire() as conn:
        catalog = await ctx["catalogs"].get(conn)
        categories = {code: c.name for code, c in catalog.categories.items()}
        new = 0
        for w in warnings:
            text = describe(w, catalog.unit_names, categories)
            warning_id = await conn.fetchval(
                Q.insert_early_warning, w.cluster_kind, w.cluster_key, w.category_code, w.community_id,
                w.window_start, w.window_end, w.ticket_count, w.baseline_mean, w.baseline_std,
                [t["id"] for t in w.tickets], w.tickets[0]["content"] if w.tickets else "", now, communities(w),
            )  # fmt: skip
            if warning_id is None:
                continue
            new += 1
            rows = await conn.fetch(Q.units_of_tickets, [t["id"] for t in w.tickets])
            units_of = {r["id"]: list(r["units"]) for r in rows}
            for unit_path, shown in audiences(catalog, w, units_of):
                payload = mask_payload(alert_payload(warning_id, shown, text))
                await publish(ctx["redis"], EventType.EARLY_WARNING, unit_path, payload)
            await conn.execute(Q.mark_early_warning_published, warning_id, now)
    return new


async def active(
    conn: asyncpg.Connection, catalog: Catalog, units: list[int] | None, now: datetime, settings: ReportSettings
) -> list[dict[str, Any]]:
    """Stored warnings of a unit subtree (None: the city) whose window ended at most `warning_active_hours` ago,
    each with only the tickets the subtree may open."""
    since = now - timedelta(hours=settings.warning_active_hours)
    categories = {code: c.name for code, c in catalog.categories.items()}
    items = []
    for r in await conn.fetch(Q.board_early_warnings, units, since, now, TICKETS_NAMED):
        ids = list(r["visible_ids"])
        tickets = [{"id": i, "number": r["number"] if n == 0 else None} for n, i in enumerate(ids)]
        w = EarlyWarning(
            r["cluster_kind"], r["cluster_key"], r["category_code"], r["community_id"], r["window_start"],
            r["window_end"], r["ticket_count"], r["baseline_mean"], r["baseline_std"], tickets,
        )  # fmt: skip
        text = describe(w, catalog.unit_names, categories)
        sample = summary(r["sample_content"], SAMPLE_LENGTH) if r["sample_content"] else None
        items.append({**alert_payload(r["id"], w, text), "raised_at": r["raised_at"].isoformat(),
                      "sample_text": sample})  # fmt: skip
    return items


async def early_warning_scan(ctx: dict[str, Any]) -> int:
    """arq cron: look at the last window for clusters above their usual level; returns new warnings."""
    settings: ReportSettings = ctx["settings"].report
    now = datetime.now(UTC)
    start = now - timedelta(hours=settings.warning_window_hours)
    async with ctx["pool"].acquire() as conn:
        warnings = await place_warnings(conn, start, now, settings)
        warnings += await text_warnings(conn, start, now, settings)
    return await store_and_publish(ctx, warnings, now)
