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
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.system import System, system
from hotline.db import connect
from hotline.demo.history import generate_history
from hotline.report import score_days, scores
from hotline.report.data import monthly, previous_month
from hotline.report.files import write_files
from hotline.settings import load_settings

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


async def run(bench: System, tickets: int, months: int) -> dict[str, float | int]:
    settings = load_settings(environ=bench.environ())
    conn = await connect(settings)
    try:
        started = time.perf_counter()
        counts = await generate_history(conn, settings, tickets, months, NOW)
        generate_s = time.perf_counter() - started
        print(f"generated {counts} in {generate_s:.1f} s", flush=True)
        month = previous_month(NOW.astimezone(settings.tz))
        quarter = scores.parse_period("2026-Q3")
        started = time.perf_counter()
        await scores.rankings(conn, quarter, "department", settings.report, settings.tz, NOW)
        cold_s = time.perf_counter() - started
        started = time.perf_counter()
        first, _ = scores.Period("", scores.add_months(month.first, -12), month.end).bounds(settings.tz)
        stored = await score_days.fill(conn, first, NOW.astimezone(settings.tz).replace(hour=0), NOW)
        fill_s = time.perf_counter() - started
        print(f"rankings {quarter.label} before any day was stored: {cold_s:.2f} s; "
              f"{stored} settled days stored in {fill_s:.1f} s", flush=True)  # fmt: skip
        started = time.perf_counter()
        report = await monthly(conn, settings, month, NOW)
        data_s = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as out:
            write_files(report, Path(out))
        report_s = time.perf_counter() - started
        print(f"monthly report {month.label}: {report['volumes']['total']} tickets, data {data_s:.2f} s, "
              f"with HTML and xlsx {report_s:.2f} s", flush=True)  # fmt: skip
        timings: dict[str, list[float]] = {}
        for period in (month, quarter):
            for level in scores.LEVELS:
                started = time.perf_counter()
                await scores.rankings(conn, period, level, settings.report, settings.tz, NOW)
                timings.setdefault(period.label, []).append(time.perf_counter() - started)
        for label, runs in timings.items():
            print(f"rankings {label} (district, street, department): {', '.join(f'{t:.2f}' for t in runs)} s")
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
        "ranking_quarter_s": round(max(timings["2026-Q3"]), 3),
        "month_tickets": report["volumes"]["total"],
    }


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
