"""Historical tickets from the old system: `hotline import tickets FILE [--mapping FILE]` and the admin
page's import (the same code, run by a worker job).

Two passes over the file, which is streamed and never held in memory whole. The first checks every row
(row-numbered Chinese errors) and writes nothing if any is wrong. The second writes batches: each one
copied into a staging table and moved into tickets, events, holders and clocks by one statement in one
transaction, so a batch is all there or not at all. Tickets are identified by their number: a second run
of the same file (or a run after an interrupted one) skips the tickets already there, and changes nothing.

Imported tickets are ordinary tickets from then on: reports, rankings (their score days are invalidated by
the usual triggers), repeat detection, caller history and the training export read them like any other.
Their clocks come from the same SLA code as live tickets: met at the recorded times for history, running
for open tickets (timers queued like a live assignment's; the sweep catches those already overdue).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import structlog
from arq.connections import ArqRedis

from dispatch.sla import Deadline, SlaRule, compute_deadline
from dispatch.states import TicketState
from hotline.analysis import place_index
from hotline.catalog_cache import load_catalog
from hotline.imports.mapping import read_mapping
from hotline.imports.names import CategoryNames, UnitNames
from hotline.imports.rows import ImportFailed, Row, read_header, stream_rows, xlsx_to_csv
from hotline.imports.ticket_rows import HistoryTicket, RowProblems, TicketRowReader, header_problems
from hotline.queries import Q
from hotline.settings import Settings
from hotline.sla.clock import SlaClock
from hotline.sla.rules import SlaRules
from hotline.sla.timers import TIMER_HORIZON, schedule_timers
from hotline.tickets import search_index

BATCH = 5000  # tickets per transaction
CHECK_CHUNK = 10_000  # rows per look-up of existing numbers while checking
MAX_ERRORS = 200  # messages kept and shown; the count says how many there were
ANALYZE_AFTER = 10_000  # tickets written, after which statistics are refreshed
STAGING_COLUMNS = [
    "row_number", "number", "type", "channel", "caller_phone", "caller_name", "address", "content", "category_code",
    "is_complex", "confidential", "place", "state", "holder_unit_id", "lead_unit_id", "created_at", "assigned_at",
    "signed_at", "first_contact_at", "completed_at", "closed_at", "satisfaction", "resolved", "return_count",
    "reopen_count", "search_tokens",
]  # fmt: skip
DEADLINE_COLUMNS = [
    "number", "unit_id", "track", "rule_name", "duration_seconds", "counts", "warn_fraction", "start_at", "due_at",
    "warn_at", "status", "ended_at",
]  # fmt: skip
OPEN_STATES = {TicketState.ASSIGNED, TicketState.SIGNED}

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Batch:
    rows: int
    tickets: list[tuple[object, ...]]  # staging records of the tickets not there yet
    clocks: list[tuple[object, ...]]


@dataclass
class Outcome:
    rows: int = 0
    written: int = 0
    existing: int = 0
    errors: list[str] = field(default_factory=list)
    error_count: int = 0


class Errors:
    """Row-numbered messages: the first MAX_ERRORS kept, all counted."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.count = 0

    def add(self, row: int, problems: Iterable[str]) -> None:
        for problem in problems:
            self.count += 1
            if len(self.kept) < MAX_ERRORS:
                self.kept.append(f"第 {row} 行：{problem}")

    def failure(self) -> ImportFailed:
        return ImportFailed(self.kept, self.count)


async def _chunks(rows: Iterator[Row], size: int) -> AsyncIterator[list[Row]]:
    """The rows in lists of `size`, read in a thread: the file is parsed while the event loop (a worker's SLA
    timers, say) keeps running."""
    try:
        while chunk := await asyncio.to_thread(lambda: list(itertools.islice(rows, size))):
            yield chunk
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


async def live_rules(conn: asyncpg.Connection, settings: Settings) -> SlaRules:
    """The SLA rules and calendar live clocks use now: imported clocks are computed by the same code."""
    return await SlaClock.from_settings(settings).current(conn)


class TicketImport:
    """One run of one file. `job_id` is its import_jobs row, where progress and errors are recorded."""

    def __init__(
        self, conn: asyncpg.Connection, settings: Settings, job_id: int, path: Path, mapping_path: Path | None,
        redis: ArqRedis | None = None, now: datetime | None = None,
    ):  # fmt: skip
        self.conn = conn
        self.settings = settings
        self.job_id = job_id
        self.path = path
        self.mapping_path = mapping_path
        self.redis = redis
        self.now = now or datetime.now(UTC)
        self.refused_content = False  # the file itself was refused (rather than the run interrupted)
        self.existing: set[str] = set()  # numbers in the file an earlier import wrote
        self._deadline = functools.lru_cache(maxsize=65536)(self._compute_deadline)

    async def run(self) -> Outcome:
        """Check, then write; raises ImportFailed (recorded on the job) when the file is refused."""
        if not await self.conn.fetchval(Q.ticket_import_try_lock):
            raise await self._fail(ImportFailed(["另一个工单导入正在进行，请等它结束后再试"]))
        try:
            with tempfile.TemporaryDirectory(prefix="hotline-import-") as tmp:
                try:
                    if self.path.suffix.lower() in (".xlsx", ".xlsm"):  # read once, not once per pass
                        self.path = await asyncio.to_thread(xlsx_to_csv, self.path, Path(tmp) / "rows.csv")
                    reader = await self._reader()
                    outcome = await self._check(reader)
                except ImportFailed:
                    self.refused_content = True
                    raise
                await self._write(reader, outcome)
            await self.conn.execute(Q.count_unset_repeats, timedelta(days=self.settings.supervision.repeat_days))
            async with self.conn.transaction():  # whoever sees the job done sees its upload gone
                await self.conn.execute(Q.import_file_delete, self.job_id)
                await self.conn.execute(Q.import_job_finish, self.job_id, "done", [], 0, datetime.now(UTC))
            if self.redis is not None:  # the imported days' facts, stored now rather than at the next cron run
                await self.redis.enqueue_job("score_days_refresh")
            return outcome
        except ImportFailed as failed:
            raise await self._fail(failed) from None
        except BaseException:
            await self._fail(ImportFailed(["导入意外中断（已写入的批次保留，可重新导入以继续）"]))
            raise
        finally:
            if not self.conn.is_closed():
                await self.conn.execute(Q.ticket_import_unlock)

    async def _fail(self, failed: ImportFailed) -> ImportFailed:
        """Record the failure on the job, if the connection still can (it may be what broke). A file refused
        for its content is dropped with it; an interrupted run keeps it for a retry."""
        try:
            async with self.conn.transaction():
                if self.refused_content:
                    await self.conn.execute(Q.import_file_delete, self.job_id)
                await self.conn.execute(
                    Q.import_job_finish, self.job_id, "failed", failed.errors[:MAX_ERRORS], failed.count,
                    datetime.now(UTC),
                )  # fmt: skip
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            log.warning("could not record the failed import", job_id=self.job_id)
        return failed

    async def _reader(self) -> TicketRowReader:
        mapping = read_mapping(self.mapping_path)
        catalog = await load_catalog(self.conn)
        if catalog.org is None:
            raise ImportFailed(["组织机构尚未导入，请先导入单位（hotline import units）"])
        header = set(read_header(self.path))
        problems = header_problems(header) if header - {""} else ["文件是空的"]
        if problems:
            raise ImportFailed(problems)
        self.rules = await live_rules(self.conn, self.settings)
        self.places = place_index(catalog)
        self.indexer = search_index.BatchIndexer(search_index.city_segmenter(self.places.names()))
        self.units = UnitNames.of(catalog)
        return TicketRowReader(header, self.units, CategoryNames.of(catalog), mapping, self.settings.tz, self.now)

    async def _check(self, reader: TicketRowReader) -> Outcome:
        """Every row read and checked; the numbers an earlier import wrote are kept in `self.existing`."""
        await self.conn.execute(Q.import_job_set_status, self.job_id, "checking", datetime.now(UTC), None)
        errors = Errors()
        seen: dict[str, int] = {}
        rows = 0

        def check(chunk: list[Row]) -> dict[str, int]:
            """The numbers of the chunk's good rows, new in the file; problems go to `errors`."""
            fresh: dict[str, int] = {}
            for row in chunk:
                try:
                    ticket = reader.read(row)
                except RowProblems as exc:
                    errors.add(row.number, exc.problems)
                    continue
                if ticket.number in seen:
                    errors.add(row.number, [f"工单编号 {ticket.number} 与第 {seen[ticket.number]} 行重复"])
                    continue
                seen[ticket.number] = fresh[ticket.number] = row.number
            return fresh

        async for chunk in _chunks(stream_rows(self.path), CHECK_CHUNK):
            rows += len(chunk)
            fresh = await asyncio.to_thread(check, chunk)
            for r in await self.conn.fetch(Q.ticket_import_known_numbers, list(fresh)):
                if r["imported"]:
                    self.existing.add(r["number"])
                else:
                    errors.add(fresh[r["number"]], [f"工单编号 {r['number']} 已被本系统受理的工单使用"])
            await self.conn.execute(Q.import_job_checked, self.job_id, rows, datetime.now(UTC))
        if errors.count:
            raise errors.failure()
        if not rows:
            raise ImportFailed(["文件中没有工单（只有表头或是空的）"])
        return Outcome(rows=rows)

    async def _write(self, reader: TicketRowReader, outcome: Outcome) -> None:
        """Batches in order, each in its own transaction; the next batch is read and prepared in a thread while
        the database writes the current one."""
        conn = self.conn
        await conn.execute(Q.import_job_set_status, self.job_id, "importing", datetime.now(UTC), outcome.rows)
        done = 0
        async for batch in self._batches(reader):
            async with conn.transaction():
                await conn.execute(Q.ticket_import_history_mode)
                written = 0
                if batch.tickets:
                    await conn.execute(Q.ticket_import_clear_staging)
                    copy = conn.copy_records_to_table
                    await copy("ticket_import_staging", records=batch.tickets, columns=STAGING_COLUMNS)
                    await copy("deadline_import_staging", records=batch.clocks, columns=DEADLINE_COLUMNS)
                    written = await conn.fetchval(Q.ticket_import_move, self.job_id)
                done += batch.rows
                existing = batch.rows - written
                await conn.execute(Q.import_job_batch_done, self.job_id, done, written, existing, datetime.now(UTC))
            outcome.written += written
            outcome.existing += existing
            await self._schedule(batch.clocks)
        if outcome.written >= ANALYZE_AFTER:
            await conn.execute(Q.ticket_import_analyze)

    async def _batches(self, reader: TicketRowReader) -> AsyncIterator[Batch]:
        rows = stream_rows(self.path)

        def prepare() -> Batch | None:
            chunk = list(itertools.islice(rows, BATCH))
            if not chunk:
                return None
            try:
                tickets = [reader.read(row) for row in chunk]
            except RowProblems as exc:  # every row passed the check: the file changed since
                raise ImportFailed([f"文件在导入过程中被修改：{'；'.join(exc.problems)}"]) from None
            new = [t for t in tickets if t.number not in self.existing]
            words = self.indexer.tokens([t.content for t in new])
            return Batch(
                len(chunk),
                [self._staging_record(t, w) for t, w in zip(new, words, strict=True)],
                [c for t in new for c in self._clocks(t)],
            )

        ahead = asyncio.ensure_future(asyncio.to_thread(prepare))
        try:
            while (batch := await ahead) is not None:
                ahead = asyncio.ensure_future(asyncio.to_thread(prepare))
                yield batch
        finally:
            with contextlib.suppress(BaseException):
                await ahead  # a thread cannot be cancelled: let it finish its batch before the file is closed
            rows.close()  # type: ignore[attr-defined]

    def _staging_record(self, t: HistoryTicket, search_tokens: str) -> tuple[object, ...]:
        return (
            t.row, t.number, t.type, t.channel, t.caller_phone, t.caller_name, t.address, t.content, t.category_code,
            t.is_complex, t.confidential, json.dumps(self._place(t), ensure_ascii=False), t.state.value,
            t.holder_unit_id,
            t.lead_unit_id, t.created_at, t.assigned_at, t.signed_at, t.first_contact_at, t.completed_at, t.closed_at,
            t.satisfaction, t.resolved, t.return_count, t.reopen_count,
            search_tokens,
        )  # fmt: skip

    def _place(self, t: HistoryTicket) -> dict[str, object]:
        """Where the caller's problem is, resolved from address and text as intake does; a ticket handled by a
        community with no place named is that community's."""
        match = self.places.resolve(t.address, t.content)
        if match.unit_at("community") is None and t.lead_unit_id is not None:
            from_unit = self.units.community_place(t.lead_unit_id)
            if from_unit:
                return {**from_unit, "confidence": 1.0, "ambiguous": False, "matched": "承办单位"}
        if not match.chain:
            return {}
        place: dict[str, object] = {f"{level}_id": unit_id for level, unit_id in match.chain.items()}
        matched = "、".join(match.matched)
        return {**place, "confidence": match.confidence, "ambiguous": match.ambiguous, "matched": matched}

    def _clocks(self, t: HistoryTicket) -> list[tuple[object, ...]]:
        """The reply (or accept) and completion clocks, started at dispatch on the lead unit as a live
        assignment starts them: met at the recorded sign-for and completion, running while still open."""
        if t.assigned_at is None or t.lead_unit_id is None:
            return []
        response, completion = self.rules.policy.rules_for(t.type, t.category_code or "", t.is_complex)
        clocks = []
        if t.signed_at is not None or t.state is TicketState.ASSIGNED:
            clocks.append(self._clock(t, response, t.signed_at))
        if t.completed_at is not None or t.state in OPEN_STATES:
            clocks.append(self._clock(t, completion, t.completed_at))
        return clocks

    def _clock(self, t: HistoryTicket, rule: SlaRule, ended: datetime | None) -> tuple[object, ...]:
        assert t.assigned_at is not None
        d = self._deadline(rule, t.assigned_at)
        return (
            t.number, t.lead_unit_id, rule.track.value, rule.name, rule.duration.total_seconds(), rule.counts.value,
            rule.warn_fraction, d.start, d.due_at, d.warn_at, "running" if ended is None else "met", ended,
        )  # fmt: skip

    def _compute_deadline(self, rule: SlaRule, start: datetime) -> Deadline:
        """Exports often record minutes only, so many tickets share a start: the result is cached."""
        return compute_deadline(rule, start, self.rules.calendar)

    async def _schedule(self, clocks: list[tuple[object, ...]]) -> None:
        """Timers of the running clocks that fall due soon, as SlaClock queues a live assignment's; later
        ones are queued by the worker's schedule_upcoming, passed ones raised by the sweep."""
        if self.redis is None:
            return
        now = datetime.now(UTC)
        moments = [
            at for c in clocks if c[10] == "running" for at in (c[9], c[8])
            if isinstance(at, datetime) and now < at <= now + TIMER_HORIZON
        ]  # fmt: skip
        if moments:
            await schedule_timers(self.redis, moments)
