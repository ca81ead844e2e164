"""Monthly report and rankings at scale: generate a year of history in bulk, then time the report
(data, HTML and spreadsheet) and the rankings query.

    .venv/bin/python bench/report.py                      # 1,000,000 tickets over 13 months
    .venv/bin/python bench/report.py --tickets 200000     # a smaller run

Goals: monthly report <= 60 s, rankings <= 2 s. Rankings add up per-day facts of settled days
(hotline/report/score_days.py): the first ranking of the quarter is timed before anything is stored (cold), then
the settled days of the 13 months are stored as the cron job does, then report and rankings are timed.
The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.system import System, system
from hotline.db import connect
from hotline.demo.history import generate_history
from hotline.report import score_days, scores
from hotline.report.data import monthly, previous_month
from hotline.report.files import write_files
from hotline.settings import Settings, load_settings

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
QUARTER = scores.parse_period("2026-Q3")


async def run(bench: System, tickets: int, months: int) -> dict[str, float | int]:
    settings = load_settings(environ=bench.environ())
    conn = await connect(settings)
    try:
        started = time.perf_counter()
        counts = await generate_history(conn, settings, tickets, months, NOW)
        generate_s = time.perf_counter() - started
        print(f"generated {counts} in {generate_s:.1f} s", flush=True)
        month = previous_month(NOW.astimezone(settings.tz))
        cold_s = await timed_ranking(conn, settings, QUARTER, "department")
        stored, fill_s = await store_days(conn, settings, scores.add_months(month.first, -12))
        print(f"rankings {QUARTER.label} before any day was stored: {cold_s:.2f} s; "
              f"{stored} settled days stored in {fill_s:.1f} s", flush=True)  # fmt: skip
        data_s, report_s, month_tickets = await timed_report(conn, settings)
        timings = {period.label: await timed_rankings(conn, settings, period) for period in (month, QUARTER)}
        ranking_s = max(t for runs in timings.values() for t in runs)
    finally:
        await conn.close()
    return {
        "tickets": counts["tickets"],
        "months": months,
        "generate_s": round(generate_s, 1),
        "ranking_quarter_cold_s": round(cold_s, 3),
        "score_days_stored": stored,
        "score_days_fill_s": round(fill_s, 1),
        "report_data_s": round(data_s, 2),
        "report_s": round(report_s, 2),
        "ranking_s": round(ranking_s, 3),
        "ranking_month_s": round(max(timings[month.label]), 3),
        "ranking_quarter_s": round(max(timings[QUARTER.label]), 3),
        "month_tickets": month_tickets,
    }


async def timed_ranking(conn: asyncpg.Connection, settings: Settings, period: scores.Period, level: str) -> float:
    started = time.perf_counter()
    await scores.rankings(conn, period, level, settings.report, settings.tz, NOW)
    return time.perf_counter() - started


async def timed_rankings(conn: asyncpg.Connection, settings: Settings, period: scores.Period) -> list[float]:
    """Seconds for the period's rankings at each level (district, street, department), printed."""
    runs = [await timed_ranking(conn, settings, period, level) for level in scores.LEVELS]
    print(f"rankings {period.label} (district, street, department): {', '.join(f'{t:.2f}' for t in runs)} s")
    return runs


async def store_days(conn: asyncpg.Connection, settings: Settings, first_day: date) -> tuple[int, float]:
    """Store the settled days from `first_day` up to NOW's, as the cron job does: (days stored, seconds)."""
    started = time.perf_counter()
    first, _ = scores.Period("", first_day, first_day).bounds(settings.tz)
    stored = await score_days.fill(conn, first, NOW.astimezone(settings.tz).replace(hour=0), NOW)
    return stored, time.perf_counter() - started


async def timed_report(conn: asyncpg.Connection, settings: Settings) -> tuple[float, float, int]:
    """The monthly report of the last full month before NOW: (data seconds, with HTML and xlsx, its tickets)."""
    month = previous_month(NOW.astimezone(settings.tz))
    started = time.perf_counter()
    report = await monthly(conn, settings, month, NOW)
    data_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as out:
        write_files(report, Path(out))
    report_s = time.perf_counter() - started
    print(f"monthly report {month.label}: {report['volumes']['total']} tickets, data {data_s:.2f} s, "
          f"with HTML and xlsx {report_s:.2f} s", flush=True)  # fmt: skip
    return data_s, report_s, report["volumes"]["total"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=13)
    args = parser.parse_args()
    with system() as bench:
        result = asyncio.run(run(bench, args.tickets, args.months))
    result["report_ok"] = result["report_s"] <= 60
    result["ranking_ok"] = result["ranking_s"] <= 2
    print(json.dumps(result))


if __name__ == "__main__":
    main()
