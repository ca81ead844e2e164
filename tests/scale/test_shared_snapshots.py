"""Boards of one subtree share their snapshots (issue 15 point 1): many supervisors of the same unit asking at
once cost the database a few snapshots, not one each, and every one of them still sees the ticket taken just
before it asked. The city supervisor and 东湖区's supervisor each get their own subtree's board. A board socket
may take a snapshot computed earlier for another viewer, in its own web process or in another one (through Redis):
it is then sent the events since, so it misses none."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from hotline.board_snapshot import SharedSnapshots
from tests.support.api import Login, api_token, ok
from tests.support.board import frame
from tests.support.calls import NOISE_CALL
from tests.support.services import Processes
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures("city")

VIEWERS = 40


async def _counters(http: httpx.AsyncClient) -> dict[str, float]:
    text = (await http.get("/metrics")).text
    names = (
        "hotline_board_snapshots_asked_total",
        "hotline_board_snapshots_computed_total",
        "hotline_live_sockets_open",
    )
    return {line.split()[0]: float(line.split()[1]) for line in text.splitlines() if line.split(" ")[0] in names}


async def test_viewers_asking_together_share_one_computation(login: Login, http: httpx.AsyncClient) -> None:
    city, district = await login("supervisor"), await login("dh-supervisor")
    before = await _counters(http)
    ok(await (await login("operator")).post("/api/tickets", json=NOISE_CALL), 201)

    boards = await asyncio.gather(
        *(city.get("/api/board") for _ in range(VIEWERS)), *(district.get("/api/board") for _ in range(VIEWERS))
    )

    for response in boards:
        counts = ok(response)["counts_by_state"]
        assert sum(s["count"] for s in counts.values()) == 1, "the ticket taken before asking is on every board"
    assert {ok(r)["unit"]["name"] for r in boards[VIEWERS:]} == {"东湖区"}
    assert "东湖区" not in {ok(r)["unit"]["name"] for r in boards[:VIEWERS]}
    after = await _counters(http)
    asked = after["hotline_board_snapshots_asked_total"] - before.get("hotline_board_snapshots_asked_total", 0)
    computed = after["hotline_board_snapshots_computed_total"] - before.get("hotline_board_snapshots_computed_total", 0)
    assert asked == 2 * VIEWERS
    # each web process computes a subtree once per wave of requests that arrive while the one before is computed;
    # on a loaded machine the 40 requests reach the processes in more waves (9 computed in a clean-clone CI run; the
    # old bound of 8 was passed beside two CPU hogs too), never anywhere near one per viewer
    assert computed <= 2 * 8, f"{computed} snapshots computed for {asked} viewers of two subtrees"


async def test_a_board_socket_takes_a_recent_snapshot_with_the_events_since(spawn: Processes) -> None:
    # a long sharing interval, so that a slow machine cannot make the second viewer's snapshot a new one
    base = await spawn.web(HOTLINE_WEB_BOARD_SNAPSHOT_SHARED_S="60")
    board_url = base.replace("http://", "ws://") + f"/ws/board?token={await api_token(base, 'supervisor')}"
    operator = {"Authorization": f"Bearer {await api_token(base, 'operator')}"}
    async with httpx.AsyncClient(base_url=base) as http:
        before = await _counters(http)
        async with connect(board_url) as first:
            snapshot = await frame(first)
            assert snapshot["type"] == "snapshot"
            ticket = ok(await http.post("/api/tickets", json=NOISE_CALL, headers=operator), 201)
            live = [await frame(first)]
            while not (live[-1]["event_type"] == "ticket.created" and live[-1]["payload"]["ticket_id"] == ticket["id"]):
                live.append(await frame(first))

            async with connect(board_url) as second:
                shared = await frame(second)
                replayed = [await frame(second) for _ in live]

        after = await _counters(http)
    # the first viewer's snapshot, not a new one: it does not hold the ticket ...
    assert shared == snapshot
    assert sum(s["count"] for s in shared["data"]["counts_by_state"].values()) == 0
    # ... and the events since follow it, so the second board counts the ticket too
    assert [(e["type"], e["id"]) for e in replayed] == [("event", e["id"]) for e in live]
    assert after["hotline_board_snapshots_asked_total"] - before.get("hotline_board_snapshots_asked_total", 0) == 2
    assert (
        after["hotline_board_snapshots_computed_total"] - before.get("hotline_board_snapshots_computed_total", 0) == 1
    )


async def test_past_the_interval_a_board_socket_takes_the_last_snapshot_while_the_next_is_computed(
    spawn: Processes,
) -> None:
    """The city supervisor's boards: one connects; a ticket is taken; past the sharing interval a second connects and
    takes the first's snapshot at once, with the events since, while the next snapshot is computed beside it; a
    third, once that one is done, takes it, the ticket counted in it."""
    base = await spawn.web(HOTLINE_WEB_BOARD_SNAPSHOT_SHARED_S="0.2", HOTLINE_WEB_BOARD_SNAPSHOT_STALE_S="60")
    board_url = base.replace("http://", "ws://") + f"/ws/board?token={await api_token(base, 'supervisor')}"
    operator = {"Authorization": f"Bearer {await api_token(base, 'operator')}"}
    async with httpx.AsyncClient(base_url=base) as http:
        before = (await _counters(http)).get("hotline_board_snapshots_computed_total", 0)
        async with connect(board_url) as first:
            snapshot = await frame(first)
            ticket = ok(await http.post("/api/tickets", json=NOISE_CALL, headers=operator), 201)
            live = [await frame(first)]
            while not (live[-1]["event_type"] == "ticket.created" and live[-1]["payload"]["ticket_id"] == ticket["id"]):
                live.append(await frame(first))
            await asyncio.sleep(0.3)  # past the sharing interval

            async with connect(board_url) as second:
                stale = await frame(second)
                replayed = [await frame(second) for _ in live]

        async def next_snapshot() -> dict[str, Any] | None:
            async with connect(board_url) as third:
                taken = await frame(third)
            return taken if open_tickets(taken) == 1 else None

        fresh = await eventually(next_snapshot, message="a board takes the next snapshot, the ticket counted")
        computed = (await _counters(http))["hotline_board_snapshots_computed_total"] - before
    assert stale == snapshot and open_tickets(stale) == 0
    assert [(e["type"], e["id"]) for e in replayed] == [("event", e["id"]) for e in live]
    assert fresh["last_event_id"] != snapshot["last_event_id"] and computed >= 2


def open_tickets(snapshot: dict[str, Any]) -> int:
    return sum(s["count"] for s in snapshot["data"]["counts_by_state"].values())


async def test_a_snapshot_past_its_interval_serves_until_the_next_is_done() -> None:
    """Within `max_stale_s` the last snapshot serves whoever asks while the next runs (one at a time); past it, or
    with none done yet, they wait."""
    shared, started, release = SharedSnapshots(), [], asyncio.Event()

    async def compute() -> str:
        started.append(len(started))
        if len(started) > 1:
            await release.wait()
        return f"snapshot {len(started)}"

    def ask(max_stale_s: float = 60) -> asyncio.Future[str]:
        return asyncio.ensure_future(shared.recent("东湖区", compute, max_age_s=0.01, max_stale_s=max_stale_s))

    assert await ask() == "snapshot 1"
    await asyncio.sleep(0.02)  # past the interval
    assert await asyncio.wait_for(ask(), 1) == "snapshot 1"  # at once, the second still running
    assert await asyncio.wait_for(ask(), 1) == "snapshot 1" and len(started) == 2
    waiting = ask(max_stale_s=0.01)  # the last is too old for it: it waits for the running one
    await asyncio.sleep(0.01)
    assert not waiting.done()
    release.set()
    assert await waiting == "snapshot 2"
    assert await ask() == "snapshot 2"


async def test_a_board_socket_on_another_web_process_takes_that_recent_snapshot(spawn: Processes) -> None:
    """Two web processes, as on two hosts: a board connecting to the second within the sharing interval takes the
    snapshot the first computed (left in Redis) and the events since; the second reads no board itself."""
    first = await spawn.web(HOTLINE_WEB_BOARD_SNAPSHOT_SHARED_S="60")
    second = await spawn.web(HOTLINE_WEB_BOARD_SNAPSHOT_SHARED_S="60")
    token = await api_token(first, "supervisor")
    operator = {"Authorization": f"Bearer {await api_token(first, 'operator')}"}
    async with httpx.AsyncClient(base_url=first) as on_first, httpx.AsyncClient(base_url=second) as on_second:
        before = await _counters(on_second)
        async with connect(first.replace("http://", "ws://") + f"/ws/board?token={token}") as board:
            snapshot = await frame(board)
            ticket = ok(await on_first.post("/api/tickets", json=NOISE_CALL, headers=operator), 201)
            live = [await frame(board)]
            while not (live[-1]["event_type"] == "ticket.created" and live[-1]["payload"]["ticket_id"] == ticket["id"]):
                live.append(await frame(board))

            async with connect(second.replace("http://", "ws://") + f"/ws/board?token={token}") as elsewhere:
                shared = await frame(elsewhere)
                replayed = [await frame(elsewhere) for _ in live]
        after = await _counters(on_second)
    assert shared == snapshot
    assert [(e["type"], e["id"]) for e in replayed] == [("event", e["id"]) for e in live]
    assert after["hotline_board_snapshots_asked_total"] - before.get("hotline_board_snapshots_asked_total", 0) == 1
    assert after["hotline_board_snapshots_computed_total"] == before.get("hotline_board_snapshots_computed_total", 0)


async def test_a_recent_snapshot_still_running_is_joined_however_long_it_has_run() -> None:
    """On a loaded database a snapshot may take longer than the sharing interval: the viewers asking meanwhile
    join it rather than start a second one beside it; once it is done and older than the interval, the next
    viewer starts a new one."""
    shared, started, release = SharedSnapshots(), [], asyncio.Event()

    async def compute() -> str:
        started.append(len(started))
        await release.wait()
        return f"snapshot {len(started)}"

    first = asyncio.ensure_future(shared.recent("东湖区", compute, max_age_s=0.01))
    await asyncio.sleep(0.05)  # past the interval, still running
    second = asyncio.ensure_future(shared.recent("东湖区", compute, max_age_s=0.01))
    await asyncio.sleep(0.01)
    assert len(started) == 1
    release.set()
    assert await first == await second == "snapshot 1"
    await asyncio.sleep(0.02)
    assert await shared.recent("东湖区", compute, max_age_s=0.01) == "snapshot 2"


async def test_boards_connecting_to_two_web_processes_at_once_cost_one_snapshot(spawn: Processes) -> None:
    """A connect storm spread over two web processes: the first to start the subtree's snapshot claims it in Redis,
    the other waits for it rather than read the same board from the database a second time."""
    processes = [await spawn.web(HOTLINE_WEB_BOARD_SNAPSHOT_SHARED_S="60") for _ in range(2)]
    token = await api_token(processes[0], "supervisor")
    urls = [base.replace("http://", "ws://") + f"/ws/board?token={token}" for base in processes]
    https = [httpx.AsyncClient(base_url=base) for base in processes]
    before = [await _counters(http) for http in https]

    async def first_frame(url: str) -> dict[str, Any]:
        async with connect(url) as board:
            return await frame(board)

    snapshots = await asyncio.gather(*(first_frame(url) for url in urls for _ in range(5)))

    after = [await _counters(http) for http in https]
    for http in https:
        await http.aclose()
    assert all(s == snapshots[0] for s in snapshots) and snapshots[0]["type"] == "snapshot"
    computed = sum(
        a["hotline_board_snapshots_computed_total"] - b.get("hotline_board_snapshots_computed_total", 0)
        for a, b in zip(after, before, strict=True)
    )
    assert computed == 1, f"{computed} snapshots read for 10 boards of one subtree on two processes"


async def test_the_snapshot_of_a_watched_subtree_is_kept_recent_for_the_boards_that_connect_next(
    spawn: Processes,
) -> None:
    """Three boards of the city supervisor are open; two tickets are taken. Past the refresh threshold (2 events
    here), the web process computes the city's snapshot again with no board connecting: the board that connects
    next takes that one, the tickets counted in it, where it would have taken the first snapshot (none counted)
    and the events since. Once the boards are closed, no snapshot is computed for the city any more."""
    base = await spawn.web(
        HOTLINE_WEB_BOARD_SNAPSHOT_SHARED_S="0.2",
        HOTLINE_WEB_BOARD_SNAPSHOT_STALE_S="60",
        HOTLINE_WEB_BOARD_SNAPSHOT_REFRESH_EVENTS="2",
    )
    board_url = base.replace("http://", "ws://") + f"/ws/board?token={await api_token(base, 'supervisor')}"
    operator = {"Authorization": f"Bearer {await api_token(base, 'operator')}"}

    async with httpx.AsyncClient(base_url=base) as http:

        async def computed() -> float:
            return (await _counters(http)).get("hotline_board_snapshots_computed_total", 0)

        async with connect(board_url) as first, connect(board_url) as second, connect(board_url) as third:
            snapshots = [await frame(board) for board in (first, second, third)]
            assert [open_tickets(s) for s in snapshots] == [0, 0, 0]
            assert (await _counters(http))["hotline_live_sockets_open"] == 3
            before = await computed()
            tickets = [ok(await http.post("/api/tickets", json=NOISE_CALL, headers=operator), 201) for _ in range(2)]
            seen: set[int] = set()
            while seen != {t["id"] for t in tickets}:  # the boards are sent both (the hub has counted them)
                event = await frame(first)
                if event["event_type"] == "ticket.created":
                    seen.add(event["payload"]["ticket_id"])

            async def refreshed() -> float | None:
                return n if (n := await computed()) > before else None

            await eventually(refreshed, message="the city's snapshot computed again with no board connecting")
            # a check later, any refresh due has ended (the counter counts a snapshot as it begins; one ticket's events
            # may have been enough to start one before the second ticket's came)
            await asyncio.sleep(1.5)
            async with connect(board_url) as latecomer:
                taken = await frame(latecomer)
        # the last snapshot, past the sharing interval (0.2 s), served while the next is computed: the kept one
        assert taken["type"] == "snapshot" and open_tickets(taken) == 2
        assert taken["last_event_id"] != snapshots[0]["last_event_id"]

        async def closed() -> bool:  # the server has seen the boards go (a refresh may begin until it has)
            return (await _counters(http))["hotline_live_sockets_open"] == 0

        await eventually(closed, message="the web process sees the closed boards go")
        # and the snapshot the latecomer started behind the kept one has begun (after a few Redis reads)
        await asyncio.sleep(1.0)
        unwatched = await computed()
        ok(await http.post("/api/tickets", json=NOISE_CALL, headers=operator), 201)
        ok(await http.post("/api/tickets", json=NOISE_CALL, headers=operator), 201)
        await asyncio.sleep(2.5)  # two checks at least
        assert await computed() == unwatched, "a subtree no board watches is not computed"
