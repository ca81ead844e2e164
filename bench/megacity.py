"""A megacity's load (issue 15): ten million tickets over 36 months, then, in one run, intake, a thousand live
boards while intake runs, the monthly report and the rankings, and search, each against its goal.

    .venv/bin/python bench/megacity.py                                  # 10,000,000 tickets over 36 months
    .venv/bin/python bench/megacity.py --tickets 200000 --months 6      # a small trial
    .venv/bin/python bench/megacity.py --keep DIR --generate-only       # generate into DIR, then stop
    .venv/bin/python bench/megacity.py --keep DIR                       # measure on DIR's database

Embedded servers in a temporary directory unless HOTLINE_* URLs are set (bench/system.py). With --keep DIR the
embedded servers live in DIR (or, with HOTLINE_* URLs, the database `hotline_megacity` on those servers) and the
history is generated only when DIR holds no finished generation (DIR/megacity.json, written last); a kept database
is migrated, as `hotline migrate` does, and copied: a run measures the copy and drops it, so every run starts from
the same history. A generation ends with VACUUM (ANALYZE), so the measurements do not run beside autovacuum's first
pass over the fresh history. History ends at bench/report.py's NOW, so the last full month and the quarter are the
same whenever the kept database is measured; before a run, the alerts of the clocks that came due since are raised
(`age`).

The system runs as deployed: two web processes and a worker (its SLA clocks, outbox relay and the fold of the kept
counts the board's snapshot sums), with automatic urges off (see `measure`). Phases, in this order: the quarterly
ranking cold (the servers just started; the generation stored the settled days, as an import's job does, and the
quarter's last unsettled days are computed); intake throughput and p99 at 100/s (bench/intake.py); boards: 100 then
1,000 sockets of the 16 supervisors (city, districts, streets: different scopes) with intake at 100/s for 60 s each,
event-to-board and snapshot-on-connect p99, and the database's work per ticket taken in each (pg_stat_database
deltas, and the PostgreSQL processes' CPU when they run on this machine); the monthly report and the warm rankings
(bench/report.py); search in a district's scope (bench/search.py). Each figure is printed as it is measured; the
last line is one JSON object with all of them and pass/fail per goal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import random
import resource
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import board, http_load, intake, report, search
from bench.system import System, create_database, drop_database, servers, stop, system, with_database
from hotline.db import connect
from hotline.demo.city import demo_units, demo_users
from hotline.demo.history import generate_history, raise_passed_alerts
from hotline.report import score_days

KEPT_DATABASE = "hotline_megacity"
MEASURED_DATABASE = "hotline_megacity_run"  # what a run with --keep measures: a fresh copy of the kept history
RECORD = "megacity.json"  # in the kept directory: what was generated, written once the generation is committed
RATE, BOARD_SECONDS = 100, 60
BOARD_COUNTS = (100, 1000)
WEB_PROCESSES = 2
URGES_OFF_MINUTES = 10 * 365 * 24 * 60  # an urge interval longer than the history: the worker urges nothing
GOALS = {
    "intake_per_s": 300,  # at least
    "intake_p99_ms": 100,
    "board_event_p99_ms": 250,
    "board_snapshot_p99_ms": 500,
    "board_db_growth": 1.25,  # database work per ticket with 1,000 boards / with 100 boards, at most
    "report_s": 60,
    "ranking_cold_s": 2,
    "ranking_warm_s": 0.5,
    "search_p99_ms": 200,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--keep", type=Path, metavar="DIR", help="generate into / reuse the database kept in DIR")
    parser.add_argument("--generate-only", action="store_true", help="with --keep: generate, then stop")
    parser.add_argument("--board-rate", type=int, default=RATE, help="intake tickets/s while the boards watch")
    args = parser.parse_args()
    if args.generate_only and not args.keep:
        parser.error("--generate-only needs --keep DIR")
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a thousand sockets
    prepared = (
        kept(args.keep, args.tickets, args.months, measured=not args.generate_only)
        if args.keep
        else temporary(args.tickets, args.months)
    )
    with prepared as (bench, generation):
        result = generation if args.generate_only else {**generation, **measure(bench, args.board_rate)}
        result["database_bytes"] = database_bytes(bench)
    print(json.dumps(result, ensure_ascii=False))


# -- the database -----------------------------------------------------------------------------


@contextlib.contextmanager
def temporary(tickets: int, months: int) -> Iterator[tuple[System, dict[str, Any]]]:
    with system() as bench:
        generation = generate(bench, tickets, months)
        age(bench)
        yield bench, generation


@contextlib.contextmanager
def kept(directory: Path, tickets: int, months: int, measured: bool) -> Iterator[tuple[System, dict[str, Any]]]:
    """The database kept in `directory`: generated there the first time, migrated and reused afterwards; a copy of
    it when it is to be `measured`."""
    directory = directory.resolve()
    (directory / "app").mkdir(parents=True, exist_ok=True)
    directory.chmod(0o711)  # the PostgreSQL user must reach the embedded data directory when we run as root
    record = directory / RECORD
    with servers(directory) as (db_url, redis_url):
        if record.exists():
            bench = System(with_database(db_url, KEPT_DATABASE), redis_url, directory / "app")
            bench.hotline("migrate")
            generation = {**json.loads(record.read_text()), "reused": True}
            print(f"reusing {generation['tickets']} tickets generated in {generation['generate_s']} s", flush=True)
        else:  # nothing generated yet, or a generation that did not finish: start again
            bench = System(create_database(db_url, KEPT_DATABASE, replace=True), redis_url, directory / "app")
            bench.hotline("demo", "seed", "--tickets", "0")
            generation = generate(bench, tickets, months)
            record.write_text(json.dumps(generation))
            generation["reused"] = False
        age(bench)
        if not measured:
            yield bench, generation
            return
        with fresh_copy(bench) as copy:
            yield copy, generation


@contextlib.contextmanager
def fresh_copy(kept: System) -> Iterator[System]:
    """A copy of the kept database, dropped after the run. A run adds tickets that stay open, their alerts and the
    warnings raised over them: measured in place, each run started where the last left off (on 2026-12-04 a kept
    database measured about five times read 9,763 tuples per ticket under 100 boards; a fresh one had read 4,230).
    """
    started = time.perf_counter()
    url = create_database(kept.database_url, MEASURED_DATABASE, replace=True, copy_of=KEPT_DATABASE)
    print(f"copied the kept database to measure in {time.perf_counter() - started:.1f} s", flush=True)
    # and an empty Redis beside it, as a new deployment has: what the last run left there (its queue, its stream,
    # the keys of the outbox events it published) belongs to a database that is gone. The copy's outbox ids start
    # where the kept database's left off, so the last run's published keys made every event of the next look sent
    # before (publish_once), and its boards got none.
    with redis.Redis.from_url(kept.redis_url) as client:
        client.flushdb()
    try:
        yield dataclasses.replace(kept, database_url=url)
    finally:
        drop_database(kept.database_url, MEASURED_DATABASE)


def generate(bench: System, tickets: int, months: int) -> dict[str, Any]:
    """The history, then its settled days stored, as `hotline demo seed` and an import (its job) do."""

    async def run() -> dict[str, int]:
        settings = bench.settings()
        conn = await connect(settings)
        try:
            counts = await generate_history(conn, settings, tickets, months, report.NOW)
            return counts | {"score_days": await score_days.refresh(conn, settings.tz, report.NOW)}
        finally:
            await conn.close()

    print(f"generating {tickets} tickets over {months} months ...", flush=True)
    started = time.perf_counter()
    counts = run_async(run())
    generate_s = round(time.perf_counter() - started, 1)
    print(f"generated {counts} in {generate_s} s", flush=True)
    started = time.perf_counter()
    run_async(vacuum(bench))
    vacuum_s = round(time.perf_counter() - started, 1)
    print(f"vacuumed and analysed in {vacuum_s} s", flush=True)
    return {
        "tickets": counts["tickets"],
        "months": months,
        "generate_s": generate_s,
        "vacuum_s": vacuum_s,
        "score_days": counts["score_days"],
    }


def age(bench: System) -> None:
    """The history as a live system would hold it at the moment of measuring, days or weeks after it ended: the SLA
    alerts of the clocks that came due meanwhile raised. Otherwise the bench's worker raises them during the run, each
    with a board event (79,543 on 2026-12-04, the history having ended 12 days before)."""

    async def run() -> None:
        conn = await connect(bench.settings())
        try:
            await raise_passed_alerts(conn, datetime.now(UTC))
        finally:
            await conn.close()

    started = time.perf_counter()
    run_async(run())
    print(f"raised the alerts of the clocks that came due since the history ended in "
          f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip


async def vacuum(bench: System) -> None:
    """What autovacuum would do to years of history over time, done before measuring: its first pass over 10M
    fresh tickets otherwise runs for many minutes inside the measurements (on 2026-12-03 it doubled the database's
    CPU per ticket and halved intake)."""
    conn = await asyncpg.connect(bench.database_url, command_timeout=None)
    try:
        await conn.execute("SET maintenance_work_mem = '1GB'")
        await conn.execute("SET statement_timeout = 0")
        await conn.execute("VACUUM (ANALYZE)")  # bench probe: maintenance of the whole database, no app query
    finally:
        await conn.close()


def database_bytes(bench: System) -> int:
    return int(run_async(fetchval(bench, "SELECT pg_database_size(current_database())")))


async def fetchval(bench: System, sql: str) -> Any:
    conn = await asyncpg.connect(bench.database_url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def run_async(coroutine: Any) -> Any:
    return http_load.run(coroutine)


# -- the measurements -------------------------------------------------------------------------


def measure(bench: System, board_rate: int = RATE) -> dict[str, Any]:
    random.seed(1)  # the callers bench/intake.py makes up
    result: dict[str, Any] = {"ranking_cold_s": round(run_async(cold_ranking(bench)), 3)}
    print(f"rankings {report.QUARTER.label} cold, right after generation: {result['ranking_cold_s']} s", flush=True)
    # as the system runs: web processes and a worker (SLA clocks, the outbox relay, the kept counts' fold), but no
    # automatic urges (催办): the history's open tickets have all been overdue since it ended (bench/report.py NOW),
    # and urging each of them every hour (70,000 urges an hour on 10M tickets) is no city's steady state
    worker = bench.start("worker", HOTLINE_SUPERVISION_URGE_EVERY_MINUTES=str(URGES_OFF_MINUTES))
    proc, base = intake.run_server(
        bench, True, WEB_PROCESSES, HOTLINE_WEB_BOARD_CONNECTIONS_PER_USER=str(max(BOARD_COUNTS))
    )
    try:
        headers = intake.operator_headers(base)
        result.update(measure_intake(bench, base, headers))
        result.update(run_async(measure_boards(bench, base, headers, board_rate)))
    finally:
        stop(proc)
        stop(worker)
    result.update(run_async(measure_reports(bench)))
    result.update(measure_search(bench))
    result["goals"] = GOALS
    result["ok"] = verdicts(result)
    print(f"goals met: {result['ok']}", flush=True)
    return result


async def cold_ranking(bench: System) -> float:
    settings = bench.settings()
    conn = await connect(settings)
    try:
        return await report.timed_ranking(conn, settings, report.QUARTER, "department")
    finally:
        await conn.close()


def measure_intake(bench: System, base: str, headers: dict[str, str]) -> dict[str, Any]:
    figures = intake.measure(bench, base, headers, clients=32, seconds=10)
    print(f"intake: {figures['per_s']} tickets/s; at 100/s p50 {figures['p50']} ms, p99 {figures['p99']} ms, "
          f"errors {figures['errors']}", flush=True)  # fmt: skip
    return {
        "intake_per_s": figures["per_s"],
        "intake_p50_ms": figures["p50"],
        "intake_p99_ms": figures["p99"],
        "intake_errors": figures["errors"],
    }


# -- boards -----------------------------------------------------------------------------------


@dataclass
class Arrivals:
    """Event-to-board delays (ms) of the event frames the boards parse while `recording`: from the event's publishing
    (`delays`), and from the change itself (`since_change`: what a supervisor waits, the outbox included, whose
    worker relay takes what a web process could not publish within its after-commit budget)."""

    recording: bool = False
    delays: list[float] = field(default_factory=list)
    since_change: list[float] = field(default_factory=list)

    def __call__(self, frame: dict[str, Any], at: float) -> None:
        if self.recording:  # the stream id is Redis's clock at XADD, in ms: the moment the event was published
            parsed_ms = time.time() * 1000 - (time.perf_counter() - at) * 1000
            self.delays.append(parsed_ms - int(frame["id"].split("-")[0]))
            self.since_change.append(parsed_ms - datetime.fromisoformat(frame["at"]).timestamp() * 1000)

    def clear(self) -> None:
        self.delays.clear()
        self.since_change.clear()

    async def drained(self, quiet_s: float = 3.0, at_most_s: float = 120.0) -> float:
        """Wait until the boards have received nothing for `quiet_s`; how long after the call the last event came."""
        started = last = time.perf_counter()
        count = len(self.delays)
        while time.perf_counter() - last < quiet_s and time.perf_counter() - started < at_most_s:
            await asyncio.sleep(0.1)
            if len(self.delays) != count:
                count, last = len(self.delays), time.perf_counter()
        return last - started


async def measure_boards(bench: System, base: str, headers: dict[str, str], rate: int) -> dict[str, Any]:
    """100 boards, then 1,000, each time with intake at `rate` tickets/s for BOARD_SECONDS."""
    urls = await supervisor_board_urls(base)
    arrivals = Arrivals()
    clients: list[board.Client] = []
    snapshots: list[float] = []
    result: dict[str, Any] = {"board_connect_failures": 0}
    try:
        for first, count in zip((0, *BOARD_COUNTS), BOARD_COUNTS, strict=False):
            opened, times, failed = await open_boards(urls[first:count], arrivals)
            clients, snapshots = clients + opened, snapshots + times
            result["board_connect_failures"] += failed
            print(f"{len(clients)} boards connected, {result['board_connect_failures']} without a snapshot", flush=True)
            result.update(await boards_under_intake(bench, base, headers, arrivals, count, rate))
            result[f"board_closed_{count}"] = sum(task.done() for _ws, task in clients)  # by the server, meanwhile
            print(f"boards closed by the server by now: {result[f'board_closed_{count}']}", flush=True)
    finally:
        await board.close_clients(clients)
    ordered = sorted(snapshots)
    result["board_snapshot_p50_ms"] = round(board.percentile(ordered, 50), 1)
    result["board_snapshot_p99_ms"] = round(board.percentile(ordered, 99), 1)
    # apart: the first 100, the processes' first snapshot of each scope, and the 900 that connect later
    result["board_snapshot_p99_ms_first_100"] = round(board.percentile(sorted(snapshots[:100]), 99), 1)
    result["board_snapshot_p99_ms_later"] = round(board.percentile(sorted(snapshots[100:]), 99), 1)
    print(f"snapshot on connect ({len(ordered)} boards): p50 {result['board_snapshot_p50_ms']} ms, "
          f"p99 {result['board_snapshot_p99_ms']} ms (first 100: {result['board_snapshot_p99_ms_first_100']} ms, "
          f"later: {result['board_snapshot_p99_ms_later']} ms)", flush=True)  # fmt: skip
    return result | growth(result)


def growth(result: dict[str, Any]) -> dict[str, float]:
    """Database work per ticket with the most boards / with the fewest, for each measure taken both times."""
    small, large = min(BOARD_COUNTS), max(BOARD_COUNTS)
    ratios = {}
    for name in ("db_cpu_ms_per_ticket", "db_xacts_per_ticket", "db_tuples_per_ticket"):
        if result.get(f"{name}_{small}") and result.get(f"{name}_{large}") is not None:
            ratios[f"{name}_growth"] = round(result[f"{name}_{large}"] / result[f"{name}_{small}"], 2)
    return ratios


async def supervisor_board_urls(base: str) -> list[str]:
    """max(BOARD_COUNTS) board URLs, round-robin over every supervisor (city, districts, streets), logged in."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        tokens = []
        for username in supervisors():
            body = {"username": username, "password": "demo12345", "kind": "api"}
            tokens.append((await http.post("/api/auth/login", json=body)).json()["token"])
    ws_base = base.replace("http://", "ws://")
    # batch=1, as the pages' client.js asks: the events waiting for a socket come in one frame
    return [f"{ws_base}/ws/board?batch=1&token={tokens[n % len(tokens)]}" for n in range(max(BOARD_COUNTS))]


def supervisors() -> list[str]:
    """The demo city's supervisors: the city's, each district's and each street's."""
    return [username for username, _name, role, _unit in demo_users(demo_units()) if role == "supervisor"]


async def open_boards(urls: list[str], arrivals: Arrivals) -> tuple[list[board.Client], list[float], int]:
    """The boards for `urls`, 100 connecting at a time: those that got their snapshot, each one's connect-to-snapshot
    time in ms, and how many got none (refused, or closed by the server)."""
    times: list[float] = []

    async def timed(url: str) -> board.Client:
        started = time.perf_counter()
        client = await board.open_client(url, arrivals, max_size=2**24)
        times.append((time.perf_counter() - started) * 1000)
        return client

    clients: list[board.Client] = []
    failed = 0
    for first in range(0, len(urls), 100):
        for outcome in await asyncio.gather(*(timed(u) for u in urls[first : first + 100]), return_exceptions=True):
            if isinstance(outcome, BaseException):
                failed += 1
            else:
                clients.append(outcome)
    return clients, times, failed


async def boards_under_intake(
    bench: System, base: str, headers: dict[str, str], arrivals: Arrivals, boards: int, rate: int
) -> dict[str, Any]:
    """Intake at `rate`/s for BOARD_SECONDS with `boards` connected: event delays and the database's work."""

    def request(i: int) -> bytes:
        return http_load.post_json(base, "/api/tickets", intake.body(i), headers)

    await asyncio.sleep(2.0)  # the connect storm's snapshots are done
    arrivals.clear()
    arrivals.recording = True
    before, frames_before = await database_work(bench), board.EVENT_FRAMES.copy()
    latencies, errors = await http_load.open_loop(base, request, rate, BOARD_SECONDS)
    drain_s = await arrivals.drained()  # every event the intake caused is counted, however late it comes
    after, frames = await database_work(bench), board.EVENT_FRAMES - frames_before
    arrivals.recording = False
    tickets = len(latencies) - errors
    delays, since_change = sorted(arrivals.delays), sorted(arrivals.since_change)
    figures = {
        f"board_event_p50_ms_{boards}": round(board.percentile(delays, 50), 1),
        f"board_event_p99_ms_{boards}": round(board.percentile(delays, 99), 1),
        f"board_change_p50_ms_{boards}": round(board.percentile(since_change, 50), 1),
        f"board_change_p99_ms_{boards}": round(board.percentile(since_change, 99), 1),
        f"board_drain_s_{boards}": round(drain_s, 1),  # after the last request: until the boards fell quiet
        f"board_frames_{boards}": len(delays),  # events received (the name is older than batches)
        f"board_events_per_frame_{boards}": round(frames["events"] / max(1, frames["frames"]), 2),
        f"board_intake_p99_ms_{boards}": intake.pct(latencies, 99),
        f"board_intake_errors_{boards}": errors,
        **{f"{name}_{boards}": value for name, value in per_ticket(before, after, tickets).items()},
    }
    print(f"{boards} boards, intake {rate}/s for {BOARD_SECONDS} s: {figures}", flush=True)
    return figures


async def database_work(bench: System) -> dict[str, float]:
    """Counters of the database's work so far: transactions, tuples read, and CPU seconds of its processes."""
    conn = await asyncpg.connect(bench.database_url)
    try:
        row = await conn.fetchrow(
            "SELECT xact_commit + xact_rollback AS xacts, tup_returned + tup_fetched AS tuples "
            "FROM pg_stat_database WHERE datname = current_database()"
        )
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        data_directory = await conn.fetchval("SHOW data_directory")
    finally:
        await conn.close()
    return {"xacts": row["xacts"], "tuples": row["tuples"], "cpu_s": postgres_cpu_s(Path(data_directory))}


def postgres_cpu_s(data_directory: Path) -> float:
    """User + system CPU seconds of the postmaster and its children, when they run here (else NaN)."""
    try:
        pid = int((data_directory / "postmaster.pid").read_text().split()[0])
        processes = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except (OSError, ValueError, psutil.Error):
        return float("nan")
    total = 0.0
    for proc in processes:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def per_ticket(before: dict[str, float], after: dict[str, float], tickets: int) -> dict[str, float | None]:
    """The database's work per ticket taken. Backends come and go, so CPU is only the processes alive at both ends:
    an estimate, next to the exact transaction and tuple counters."""
    tickets = max(tickets, 1)
    cpu = after["cpu_s"] - before["cpu_s"]
    return {
        "db_cpu_ms_per_ticket": None if cpu != cpu else round(cpu * 1000 / tickets, 2),  # NaN: not measurable here
        "db_xacts_per_ticket": round((after["xacts"] - before["xacts"]) / tickets, 2),
        "db_tuples_per_ticket": round((after["tuples"] - before["tuples"]) / tickets, 1),
    }


# -- reports, rankings, search ----------------------------------------------------------------


async def measure_reports(bench: System) -> dict[str, Any]:
    """The monthly report, then the quarter's rankings warm: settled days stored (the cron job), caches warm."""
    settings = bench.settings()
    conn = await connect(settings)
    try:
        data_s, report_s, month_tickets = await report.timed_report(conn, settings)
        stored, fill_s = await report.store_days(conn, settings, report.QUARTER.first)
        print(f"{stored} settled days stored in {fill_s:.1f} s", flush=True)
        await report.timed_rankings(conn, settings, report.QUARTER)  # warms what the first run reads
        warm = await report.timed_rankings(conn, settings, report.QUARTER)
    finally:
        await conn.close()
    return {
        "report_data_s": round(data_s, 2),
        "report_s": round(report_s, 2),
        "report_month_tickets": month_tickets,
        "score_days_stored": stored,
        "score_days_fill_s": round(fill_s, 1),
        "ranking_warm_s": round(max(warm), 3),
    }


def measure_search(bench: System) -> dict[str, Any]:
    figures = search.measure(bench)
    return {
        f"search_{name}_p99_ms": figures[name]["p99_ms"]  # type: ignore[index]
        for name in ("number", "phone_centre", "phone_district_scope", "text")
    } | {"search_text_same_as_one_query": figures["text_same_as_one_query"]}


def verdicts(result: dict[str, Any]) -> dict[str, bool]:
    large = max(BOARD_COUNTS)
    growth = result.get("db_cpu_ms_per_ticket_growth", result.get("db_xacts_per_ticket_growth"))
    search_p99 = [v for k, v in result.items() if k.startswith("search_") and k.endswith("_p99_ms")]
    return {
        "intake": result["intake_per_s"] >= GOALS["intake_per_s"] and result["intake_p99_ms"] <= GOALS["intake_p99_ms"],
        "board_event": result[f"board_event_p99_ms_{large}"] <= GOALS["board_event_p99_ms"]
        and not result[f"board_closed_{large}"],
        "board_snapshot": result["board_snapshot_p99_ms"] <= GOALS["board_snapshot_p99_ms"]
        and not result["board_connect_failures"],
        "board_db_per_event": growth is not None and growth <= GOALS["board_db_growth"],
        "report": result["report_s"] <= GOALS["report_s"],
        "ranking_cold": result["ranking_cold_s"] <= GOALS["ranking_cold_s"],
        "ranking_warm": result["ranking_warm_s"] <= GOALS["ranking_warm_s"],
        "search": max(search_p99) <= GOALS["search_p99_ms"] and result["search_text_same_as_one_query"],
    }


if __name__ == "__main__":
    main()
