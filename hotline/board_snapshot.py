"""The supervisor's live board: what a snapshot holds for one unit subtree.

Counts by state and by unit, the clocks closest to their deadline, the four supervised lists
(重点督办), the latest alerts and the active early warnings (未诉先办). Realtime events then update the
page in place (hotline/static/board_state.js; the facts each event carries are in docs/realtime.md):
a snapshot is read in one REPEATABLE READ transaction and names the transactions it holds (`xid`), so
the page can skip an event whose change it already counted. Viewers of the same subtree share
snapshots (`SharedSnapshots`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from dispatch.states import UNFINISHED_STATES, TicketState
from dispatch.supervision import SupervisionKind
from hotline import access
from hotline.auth import User
from hotline.catalog_cache import Catalog
from hotline.metrics import BOARD_SNAPSHOTS_ASKED, BOARD_SNAPSHOTS_COMPUTED
from hotline.queries import Q
from hotline.report import early_warning
from hotline.settings import Settings, SupervisionSettings
from hotline.tickets.records import summary

log = logging.getLogger(__name__)

# The statements a snapshot runs (named board_*): each new connection of a web process prepares them
# (hotline/db.py), so the first boards to connect after a start or a quiet spell do not pay for it.
BOARD_STATEMENTS = tuple(sql for name, sql in Q if name.startswith("board_"))

# 回访率 and 满意率 on the board: the callbacks from the start of the hour this many days ago (callback_window_start).
CALLBACK_DAYS = 30
# The page shows COUNTDOWN_SHOWN clocks; the snapshot sends more, so clocks met or moved after it leave others
# that the page still knows to be the closest (it shows only what it knows to be so: board_state.js).
COUNTDOWN_SHOWN = 30
COUNTDOWN_BUFFER = 100
SUPERVISED_LIMIT = 20  # the LIMIT of each board_supervised_* query, and the overdue list's length
assert COUNTDOWN_BUFFER >= 3 * SUPERVISED_LIMIT  # the countdown's clocks hold the overdue list (overdue_lines)
TICKET_FIELDS = ("id", "number", "state", "holder_unit_id", "category_code", "summary", "created_at")  # as a board line
# A scope holding at most this many open tickets reads its countdown, overdue and repeat lists from its own open
# tickets (the *_held queries); a larger one, or the whole city, in each list's order, which finds a large scope's
# first rows after a few but would read far for a small one. On 10M tickets (docs/benchmarks.md) the streets holding
# 2,059-4,170 open tickets read their countdown in 8.5-15.7 ms from their own against 19.6-40.1 ms in due order,
# and a district holding 10,253 in 49.8 ms against 12.2 ms.
HELD_MAX = 5000
OPEN = sorted(s.value for s in UNFINISHED_STATES | {TicketState.COMPLETED, TicketState.REVIEWED})


def held_few(units: list[int] | None, open_held: int | None) -> bool:
    """Whether a scope's lists are read from its own open tickets (HELD_MAX)."""
    return units is not None and open_held is not None and open_held <= HELD_MAX


def supervised_queries(
    settings: SupervisionSettings, units: list[int] | None, now: datetime, open_held: int | None = None
) -> dict[SupervisionKind, tuple[str, tuple[Any, ...]]]:
    """The ranked lists (重点督办) other than 超期, each a query with its arguments; thresholds from [supervision].
    `open_held`: how many open tickets the units hold, when known (the repeat list's query is chosen by it; both
    give the same). The overdue list is read off the countdown's clocks (`overdue_lines`)."""
    window = timedelta(days=settings.repeat_days)
    repeat_args = (units, now, window, settings.repeat_count)
    repeat = (Q.board_supervised_repeat_held if held_few(units, open_held) else Q.board_supervised_repeat, repeat_args)
    return {
        SupervisionKind.DISSATISFIED: (Q.board_supervised_dissatisfied, (units, settings.dissatisfied_count)),
        SupervisionKind.REPEAT: repeat,
        SupervisionKind.DISPUTED: (Q.board_supervised_disputed, (units, settings.return_count)),
    }


def overdue_lines(countdown: list[asyncpg.Record], now: datetime) -> list[dict[str, Any]]:
    """超期未办结: the SUPERVISED_LIMIT tickets whose earliest running clock past its due time at `now` is earliest
    (then by id), each with that due time, read off the countdown's clocks (board_countdown*: the COUNTDOWN_BUFFER
    running clocks closest to their due time, overdue ones first). A ticket has at most one running clock per track
    (three), so the first 3 × SUPERVISED_LIMIT clocks hold those tickets with their earliest clocks: at 10M
    tickets a query of its own cost a district's snapshot 25 ms, a large street's 8 ms (docs/benchmarks.md)."""
    earliest: dict[int, asyncpg.Record] = {}
    for clock in countdown:  # in due order
        if clock["due_at"] > now:
            break
        earliest.setdefault(clock["id"], clock)
    first = sorted(earliest.values(), key=lambda clock: (clock["due_at"], clock["id"]))[:SUPERVISED_LIMIT]
    return [{field: clock[field] for field in TICKET_FIELDS} | {"due_at": clock["due_at"]} for clock in first]


def _row(row: asyncpg.Record | dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
    data = dict(row)
    if "summary" in data:
        data["summary"] = summary(data["summary"])
    data["state_label"] = TicketState(data["state"]).label
    data["holder_unit_name"] = names.get(data["holder_unit_id"])
    for key, value in list(data.items()):
        if isinstance(value, datetime):
            data[key] = value.isoformat()
    return data


async def snapshot(
    conn: asyncpg.Connection, catalog: Catalog, settings: Settings, user: User, now: datetime
) -> dict[str, Any]:
    """The board of `user`'s subtree, every figure from one snapshot of the database."""
    BOARD_SNAPSHOTS_COMPUTED.inc()
    if conn.is_in_transaction():  # a standby's read transaction (hotline/db.py), REPEATABLE READ for boards
        return await _snapshot(conn, catalog, settings, user, now)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        return await _snapshot(conn, catalog, settings, user, now)


async def _snapshot(
    conn: asyncpg.Connection, catalog: Catalog, settings: Settings, user: User, now: datetime
) -> dict[str, Any]:
    visible = access.visible_units(user, catalog)
    units = None if visible is None else sorted(visible)
    names = catalog.unit_names

    xmin, xmax, xip = (await conn.fetchval(Q.board_xid_snapshot)).split(":")
    by_state: Counter[str] = Counter()
    by_holder: Counter[int | None] = Counter()
    for r in await conn.fetch(Q.board_counts, units, OPEN):
        by_state[r["state"]] += r["n"]
        by_holder[r["holder_unit_id"]] += r["n"]
    children = catalog.tree.children(user.unit_id)
    by_unit = {c.id: 0 for c in children}
    for holder, n in by_holder.items():
        for c in children:
            if holder is not None and catalog.tree.is_within(holder, c.id):
                by_unit[c.id] += n
    open_held = by_holder.total()
    sql = Q.board_countdown_held if held_few(units, open_held) else Q.board_countdown
    clocks = await conn.fetch(sql, units, COUNTDOWN_BUFFER)
    countdown = [_row(r, names) for r in clocks]
    supervision = settings.supervision
    lines = {SupervisionKind.OVERDUE: overdue_lines(clocks, now)}
    for kind, (sql, args) in supervised_queries(supervision, units, now, open_held).items():
        lines[kind] = await conn.fetch(sql, *args)
    supervised = {}
    for kind in SupervisionKind:  # in the order the page shows them
        items = [_row(r, names) for r in lines[kind]]
        supervised[kind.value] = {"label": kind.label, "items": items, "complete": len(items) < SUPERVISED_LIMIT}
    alerts = await conn.fetch(Q.board_alerts, units)
    return {
        "unit": {"id": user.unit_id, "name": names[user.unit_id]},
        "generated_at": now.isoformat(),
        # what the page needs to apply events: whose tickets count (all: the hotline centre's board, tickets
        # with no holder included), the thresholds of the lists, and the transactions this snapshot holds
        "scope": {"all": visible is None},
        "xid": {"xmin": xmin, "xmax": xmax, "xip": [x for x in xip.split(",") if x]},
        "rules": {
            "countdown_shown": COUNTDOWN_SHOWN,
            "supervised_limit": SUPERVISED_LIMIT,
            "dissatisfied_count": supervision.dissatisfied_count,
            "return_count": supervision.return_count,
            "repeat_count": supervision.repeat_count,
            "repeat_days": supervision.repeat_days,
            "early_active_hours": settings.report.warning_active_hours,
        },
        "counts_by_state": {s: {"label": TicketState(s).label, "count": by_state.get(s, 0)} for s in OPEN},
        "counts_by_unit": [{"unit_id": c.id, "name": c.name, "open": by_unit[c.id]} for c in children],
        "countdown": countdown[:COUNTDOWN_SHOWN],
        "countdown_next": countdown[COUNTDOWN_SHOWN:],
        "countdown_complete": len(countdown) < COUNTDOWN_BUFFER,
        "supervised": supervised,
        "alerts": [_row(r, names) for r in alerts],
        "early_warnings": await early_warning.active(conn, catalog, units, now, settings.report),
        "callbacks": await callback_figures(conn, units, now),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def callback_figures(conn: asyncpg.Connection, units: list[int] | None, now: datetime) -> dict[str, Any]:
    """回访率 (callbacks that reached the citizen, of those finished) and 满意率 (satisfied or basically satisfied,
    of those reached) over the window from the start of the hour CALLBACK_DAYS days ago, with its figures by the
    hour (a board kept current by events drops an hour as it leaves the window), and the tickets waiting for their
    callback now (overdue: those whose overdue alert was raised)."""
    since = callback_window_start(now)
    hours = await conn.fetch(Q.board_callbacks_by_hour, units, since, now)
    waiting = await conn.fetchrow(Q.board_callbacks_waiting, units)
    finished, reached, satisfied = (sum(h[key] for h in hours) for key in ("finished", "reached", "satisfied"))
    return {
        "days": CALLBACK_DAYS,
        "since": since.isoformat(),
        "hours": [[h["hour"].isoformat(), h["finished"], h["reached"], h["satisfied"]] for h in hours],
        "finished": finished,
        "reached": reached,
        "satisfied": satisfied,
        "callback_rate": _rate(reached, finished),
        "satisfaction_rate": _rate(satisfied, reached),
        "waiting": waiting["waiting"],
        "overdue": waiting["overdue"],
    }


def callback_window_start(now: datetime) -> datetime:
    """The 回访 figures count from the start of the hour (UTC) CALLBACK_DAYS days ago: whole hours, so a board can
    drop what leaves the window without knowing each callback's time."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=CALLBACK_DAYS)


class SharedSnapshots:
    """Snapshots computed once for all viewers of one subtree who ask at about the same time.

    A viewer must get a snapshot that started after it asked: its websocket takes the stream position
    first, and the snapshot has to hold every event up to it. So a request never joins a computation
    already running; it joins the next one, which starts as soon as the running one ends and serves every
    viewer of that subtree who asked meanwhile. However many boards of a district connect or refresh
    during the morning peak, the database computes at most one snapshot of that district at a time
    (`get`, for the board's HTTP read). A board socket may do better (`recent`): its viewer is also sent the
    events since the snapshot's position, so a snapshot a moment old, or one still running, serves it too."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[Any]] = {}
        self._next: dict[Hashable, asyncio.Future[Any]] = {}
        self._recent: dict[Hashable, tuple[float, asyncio.Future[Any]]] = {}
        self._last: dict[Hashable, tuple[float, Any]] = {}  # the last `recent` snapshot computed: (begun, it)
        self._tasks: set[asyncio.Task[None]] = set()

    async def recent(
        self, key: Hashable, compute: Callable[[], Awaitable[Any]], max_age_s: float, max_stale_s: float = 0.0
    ) -> Any:
        """The snapshot of `key` begun at most `max_age_s` ago, or the one still running, joined however long it
        has run; else a new one. Meanwhile, while one runs, the last one computed if begun at most `max_stale_s`
        ago. For a viewer that is sent the events since the snapshot's stream position (the board socket), so its
        age costs it nothing but a longer replay: the boards of a district that connect during the morning peak
        cost the database one snapshot per `max_age_s`, not one per viewer or per burst, never two at once (on a
        loaded database a snapshot may take longer than `max_age_s`: starting another beside it would load it
        more), and they wait for none while the last is at most `max_stale_s` old."""
        BOARD_SNAPSHOTS_ASKED.inc()
        now = time.monotonic()
        begun, future = self._recent.get(key, (0.0, None))
        running = future is not None and not future.done()
        failed = future is not None and future.done() and future.exception() is not None
        if future is None or failed or (not running and now - begun > max_age_s):
            future = asyncio.get_running_loop().create_future()
            self._recent[key] = (now, future)
            self._spawn(self._compute_recent(key, now, future, compute))
        last = self._last.get(key)
        if not future.done() and last is not None and now - last[0] <= max_stale_s:
            return last[1]
        return await asyncio.shield(future)

    async def _compute_recent(
        self, key: Hashable, begun: float, future: asyncio.Future[Any], compute: Callable[[], Awaitable[Any]]
    ) -> None:
        await self._compute(future, compute)
        if future.exception() is None:
            self._last[key] = (begun, future.result())

    def _spawn(self, work: Awaitable[None]) -> None:
        # a task of its own: a viewer who leaves while waiting must not leave the others waiting forever
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _compute(future: asyncio.Future[Any], compute: Callable[[], Awaitable[Any]]) -> None:
        try:
            future.set_result(await compute())
        except Exception as exc:
            future.set_exception(exc)

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        BOARD_SNAPSHOTS_ASKED.inc()
        future = self._next.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._next[key] = future
            self._spawn(self._compute_next(key, future, compute))
        return await asyncio.shield(future)

    async def _compute_next(
        self, key: Hashable, future: asyncio.Future[dict[str, Any]], compute: Callable[[], Awaitable[dict[str, Any]]]
    ) -> None:
        running = self._running.get(key)
        if running is not None:
            await asyncio.wait([running])  # its outcome is not ours; only its end matters
        del self._next[key]
        self._running[key] = future
        try:
            await self._compute(future, compute)
        finally:
            del self._running[key]


def sharing_key(user: User, catalog: Catalog) -> Hashable:
    """Viewers whose snapshots are the same: the same unit (its name and children head the board) and the same
    visible subtree. Nothing in a snapshot depends on the viewer's role: summaries are masked for everyone."""
    visible = access.visible_units(user, catalog)
    return user.unit_id, None if visible is None else frozenset(visible)


# A board socket's recent snapshot is also left in Redis for a sharing interval, so the other web processes (on
# this host or another) take it too; while one computes it, it holds a claim, and the others wait for its snapshot
# rather than compute their own: a connect storm spread over N processes costs the database one snapshot per
# subtree and interval, not N. Keyed by the sharing key; only masked summaries, as every event.
STORED_PREFIX = "hotline:board:snapshot:"
CLAIM_SUFFIX = ":computing"
CLAIM_S = 10.0  # the longest a process holds a subtree's computation for the others (a crashed one's claim lapses)
WAIT_POLL_S = 0.02  # how often a process waiting for another's snapshot looks for it


def stored_key(key: Hashable) -> str:
    unit_id, visible = cast(tuple[int, frozenset[int] | None], key)  # sharing_key's pair
    subtree = "all" if visible is None else hashlib.sha1(",".join(map(str, sorted(visible))).encode()).hexdigest()
    return f"{STORED_PREFIX}{unit_id}:{subtree[:20]}"


async def stored(redis: Redis, key: Hashable) -> tuple[str, str] | None:
    """A recent snapshot of `key` another process left, with its stream position; None if none (or no Redis: the
    caller computes its own)."""
    try:
        raw = await redis.get(stored_key(key))
    except RedisError as exc:
        log.warning("recent board snapshot unreadable from Redis (%s); computing one", exc)
        return None
    if raw is None:
        return None
    position, data_json = raw.decode().split(" ", 1)  # as `store` left it
    return position, data_json


async def computed_elsewhere(redis: Redis, key: Hashable) -> tuple[str, str] | None:
    """The snapshot of `key` another process is computing now, once it has left it in Redis; or None, and this
    process holds the claim to compute it (`release` it when done): no other process was computing it, or the one
    that was gave up without leaving one."""
    claim = stored_key(key) + CLAIM_SUFFIX
    try:
        while not await redis.set(claim, "1", nx=True, px=int(CLAIM_S * 1000)):
            await asyncio.sleep(WAIT_POLL_S)
            if (taken := await stored(redis, key)) is not None:
                return taken
    except RedisError as exc:
        log.warning("board snapshot claim not taken in Redis (%s); computing one", exc)
    return None


async def store(redis: Redis, key: Hashable, positioned: tuple[str, str], for_s: float) -> None:
    """Leave `positioned` (stream position, snapshot as JSON text) for the other processes for `for_s` seconds."""
    position, data_json = positioned
    try:
        await redis.set(stored_key(key), f"{position} {data_json}", px=max(1, int(for_s * 1000)))
    except RedisError as exc:
        log.warning("recent board snapshot not stored in Redis (%s)", exc)


async def release(redis: Redis, key: Hashable) -> None:
    """Let the other processes compute `key`'s snapshot again (this one stored it, or failed to compute it)."""
    try:
        await redis.delete(stored_key(key) + CLAIM_SUFFIX)
    except RedisError as exc:
        log.warning("board snapshot claim not released in Redis (%s); it lapses by itself", exc)
