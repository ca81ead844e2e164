"""Reads off the primary (issue 15 point 2): with HOTLINE_DATABASE_REPLICA_URL set, the monthly report, the
rankings, search and board snapshots read from a real streaming standby while it keeps up, fall back to the primary
when it lags too far or is down, and /healthz shows its lag. Who sees what is unchanged: the supervisor reads
the report and the board here, as on the primary."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from hotline.demo.city import seed_demo
from hotline.migrate import migrate
from hotline.settings import Settings
from tests.support.api import Login, ok
from tests.support.calls import NOISE_CALL
from tests.support.services import Processes
from tests.support.standby import StandbyPair
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures("clean")  # the session's Redis carries this test's board events


@pytest.fixture
async def pair(session_settings: Settings) -> AsyncIterator[StandbyPair]:
    """A primary with the demo city, and its standby caught up."""
    servers = StandbyPair().start()
    try:
        conn = await asyncpg.connect(servers.url("primary"))
        await migrate(conn)
        await seed_demo(conn, session_settings)
        await conn.close()
        yield servers
    finally:
        servers.stop()


async def _standby_tickets(pair: StandbyPair) -> int:
    conn = await asyncpg.connect(pair.url("standby"))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM tickets"))
    finally:
        await conn.close()


async def _set_replay(pair: StandbyPair, paused: bool) -> None:
    conn = await asyncpg.connect(pair.url("standby"))
    try:
        await conn.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")
    finally:
        await conn.close()


def _report_total(response: httpx.Response) -> int:
    return int(ok(response)["volumes"]["total"])


def _board_open(response: httpx.Response) -> int:
    return sum(s["count"] for s in ok(response)["counts_by_state"].values())


async def test_reports_and_boards_read_the_standby_and_fall_back(
    pair: StandbyPair, spawn: Processes, login: Login, session_settings: Settings
) -> None:
    servers = {"HOTLINE_DATABASE_URL": pair.url("primary"), "HOTLINE_DATABASE_REPLICA_URL": pair.url("standby")}
    patient = await spawn.web(**servers, HOTLINE_DATABASE_REPLICA_MAX_LAG_S="3600")
    month = {"month": f"{datetime.now(ZoneInfo(session_settings.app.timezone)):%Y-%m}"}
    operator, supervisor = await login("operator", patient), await login("supervisor", patient)

    health = (await supervisor.get("/healthz")).json()["checks"]["replica"]
    assert health["reads_from"] == "replica" and health["lag_s"] is not None

    ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)
    await eventually(lambda: _standby_tickets(pair), message="the standby replays the first ticket")
    assert _report_total(await supervisor.get("/api/reports/monthly", params=month)) == 1

    # replay paused: the report reads the standby as it was; the board waits for the standby to hold the
    # newest commits, and when it does not within replica_catch_up_s, reads the primary
    await _set_replay(pair, paused=True)
    second = ok(await operator.post("/api/tickets", json=NOISE_CALL), 201)["number"]
    assert _report_total(await supervisor.get("/api/reports/monthly", params=month)) == 1
    assert ok(await operator.get("/api/search/tickets", params={"number": second}))["items"] == []
    assert _board_open(await supervisor.get("/api/board")) == 2
    assert ok(await supervisor.get("/api/rankings", params={"period": month["month"]}))["period"] == month["month"]

    # a process that tolerates little lag reads the primary while the standby is behind
    strict = await spawn.web(**servers, HOTLINE_DATABASE_REPLICA_MAX_LAG_S="0.2")
    strict_supervisor = await login("supervisor", strict)

    async def strict_reads_primary() -> bool:
        return (await strict_supervisor.get("/healthz")).json()["checks"]["replica"]["reads_from"] == "primary"

    await eventually(strict_reads_primary, message="the lag passes 0.2 s")
    assert _report_total(await strict_supervisor.get("/api/reports/monthly", params=month)) == 2
    strict_operator = await login("operator", strict)
    assert len(ok(await strict_operator.get("/api/search/tickets", params={"number": second}))["items"]) == 1

    await _set_replay(pair, paused=False)

    async def caught_up() -> bool:
        return _report_total(await supervisor.get("/api/reports/monthly", params=month)) == 2

    await eventually(caught_up, message="the standby replays the second ticket")

    # the standby down: reads go to the primary, /healthz says why, and nothing answers 500
    pair.stop_server("standby")

    async def falls_back() -> dict:
        replica = (await supervisor.get("/healthz")).json()["checks"]["replica"]
        return replica if not replica["ok"] else {}

    replica = await eventually(falls_back, message="the process notices the standby is down")
    assert replica["reads_from"] == "primary" and replica["error"]
    assert _report_total(await supervisor.get("/api/reports/monthly", params=month)) == 2
    assert _board_open(await supervisor.get("/api/board")) == 2
