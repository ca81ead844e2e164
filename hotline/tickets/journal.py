"""Changing a ticket: lock it, check the transition in dispatch/, update, and append the event.

Every state change and every other action on a ticket goes through `apply` or `log_action`,
so the event log (全过程可溯源) is complete by construction, and a losing concurrent action
finds the ticket already changed under its row lock and gets a 409.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from arq.connections import ArqRedis

from dispatch.states import Action, InvalidTransition, TicketState, next_state
from hotline.auth import User
from hotline.catalog_cache import Catalog, CatalogCache
from hotline.errors import ApiError
from hotline.queries import Q
from hotline.tickets.records import Ticket, TicketHead, mask_payload
from hotline.uow import Outbox, unit_of_work
from realtime.events import EventType
from realtime.stream import BoardEvent

# A whole locked ticket, or the head of one read in bulk (timers raising many alerts at once).
AnyTicket = Ticket | TicketHead

# Columns a use-case may set besides state, holder, version and updated_at.
_SETTABLE = frozenset(
    """category_code category_confidence category_source is_complex complexity place lead_unit_id co_unit_ids
    master_ticket_id kb_entry_id routing assigned_at signed_at first_contact_at completed_at closed_at
    satisfaction resolved return_count reroute_count reopen_count urgency""".split()
)

# Realtime event type announced for an action (others are logged but not pushed).
EVENT_TYPES: dict[Action, EventType] = {
    Action.ROUTE_AUTO: EventType.TICKET_DISPATCHED,
    Action.ASSIGN: EventType.TICKET_DISPATCHED,
    Action.QUEUE_FOR_DISPATCHER: EventType.TICKET_QUEUED,
    Action.SIGN: EventType.TICKET_SIGNED,
    Action.RETURN: EventType.TICKET_RETURNED,
    Action.APPROVE_RETURN: EventType.TICKET_QUEUED,
    Action.REJECT_RETURN: EventType.TICKET_DISPATCHED,
    Action.SUBMIT_COMPLETION: EventType.TICKET_COMPLETED,
    Action.ACCEPT_COMPLETION: EventType.TICKET_REVIEWED,
    Action.SEND_BACK: EventType.TICKET_SENT_BACK,
    Action.CALLBACK_SATISFIED: EventType.TICKET_CLOSED,
    Action.CLOSE_WITHOUT_CALLBACK: EventType.TICKET_CLOSED,
    Action.CALLBACK_DISSATISFIED: EventType.TICKET_REOPENED,
    Action.CLOSE_ON_SPOT: EventType.TICKET_CLOSED,
    Action.MERGE: EventType.TICKET_MERGED,
    Action.SUSPEND: EventType.TICKET_SUSPENDED,
    Action.RESUME: EventType.TICKET_RESUMED,
    # no change of state, but of the clocks the boards count down (the reply met, the completion moved)
    Action.RECORD_CONTACT: EventType.TICKET_CONTACTED,
    Action.APPROVE_EXTENSION: EventType.TICKET_EXTENDED,
}


@dataclass(frozen=True)
class Actor:
    """Who acts: a person (with their unit), or the system (auto-dispatch, SLA timers)."""

    user_id: int | None
    unit_id: int | None
    name: str

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.unit_id, user.display_name)

    @classmethod
    def system(cls) -> Actor:
        return cls(None, None, "系统")


@dataclass
class Context:
    """What every ticket use-case needs besides its arguments."""

    conn: asyncpg.Connection
    outbox: Outbox
    catalog: Catalog
    redis: ArqRedis  # also queues the SLA timer jobs
    now: datetime
    # the SLA clocks this transaction started: all a ticket created in it has, so its answer needs no re-read
    clocks_started: list[asyncpg.Record] = field(default_factory=list)
    # the stored SLA rules' version, read with the catalog's when the transaction began (None: none stored)
    sla_rules_version: int | None = None
    # intake only: the 专题服务日 running now, (id, unit id) in id order, read with the versions; None: not read
    service_days: list[tuple[int, int]] | None = None


@contextlib.asynccontextmanager
async def transaction(
    pool: asyncpg.Pool, catalogs: CatalogCache, redis: ArqRedis, now: datetime, *, intake: bool = False
) -> AsyncIterator[Context]:
    """One ticket use-case: a transaction whose announcements go out after it commits. It starts with one
    statement for the versions its process's caches are checked against (catalog, SLA rules; for `intake`, a
    new call, also the service days running now), not a round trip for each."""
    async with unit_of_work(pool) as (conn, outbox):
        if intake:
            row = await conn.fetchrow(Q.intake_versions, now)
            days = list(zip(row["service_day_ids"], row["service_day_units"], strict=True))
        else:
            row, days = await conn.fetchrow(Q.transaction_versions), None
        catalog = await catalogs.get(conn, row["catalog"])
        yield Context(conn, outbox, catalog, redis, now, sla_rules_version=row["sla_rules"], service_days=days)


async def lock(conn: asyncpg.Connection, ticket_id: int) -> Ticket:
    row = await conn.fetchrow(Q.lock_ticket, ticket_id)
    if row is None:
        raise ApiError(404, "找不到该工单", code="ticket_not_found")
    return Ticket.from_row(row)


async def lock_in_order(conn: asyncpg.Connection, ticket_ids: Sequence[int]) -> dict[int, Ticket]:
    """Every ticket an action touches, locked in id order before it touches any (Merge and every other
    multi-ticket action): the first ticket missing is a 404."""
    rows = await conn.fetch(Q.lock_tickets_in_order, sorted(set(ticket_ids)))
    tickets = {t.id: t for t in map(Ticket.from_row, rows)}
    if len(tickets) < len(set(ticket_ids)):
        raise ApiError(404, "找不到该工单", code="ticket_not_found")
    return tickets


def check(state: TicketState, action: Action) -> TicketState:
    try:
        return next_state(state, action)
    except InvalidTransition as exc:
        raise ApiError(409, str(exc), code="invalid_transition") from None


@dataclass(frozen=True)
class Hop:
    """One step of a change: the action, who did it, and the unit the ticket went to (None: stays)."""

    action: Action
    actor: Actor
    to_unit_id: int | None = None
    reason: str = ""


async def apply(
    ctx: Context,
    ticket: Ticket,
    action: Action,
    actor: Actor,
    *,
    to_unit_id: int | None = None,
    reason: str = "",
    payload: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    board: dict[str, Any] | None = None,
) -> Ticket:
    """Move `ticket` (locked by the caller) through `action`, record the event, queue the announcement
    (with `board`: facts the boards need that only this use-case knows, e.g. a callback's satisfaction)."""
    return await apply_hops(
        ctx, ticket, [Hop(action, actor, to_unit_id, reason)], payload=payload, changes=changes, board=board
    )


async def apply_hops(
    ctx: Context,
    ticket: Ticket,
    hops: list[Hop],
    *,
    payload: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    board: dict[str, Any] | None = None,
) -> Ticket:
    """Several steps at once (a dispatch down the chain): each is checked and recorded as its own
    event, the ticket row is written once, and one announcement goes out for the last step."""
    states, holders = [ticket.state], [ticket.holder_unit_id]
    for hop in hops:
        states.append(check(states[-1], hop.action))
        holders.append(holders[-1] if hop.to_unit_id is None else hop.to_unit_id)
    changes = dict(changes or {})
    unknown = set(changes) - _SETTABLE
    if unknown:  # column names go into the statement's text: only the whitelisted ones, even under python -O
        raise ValueError(f"not settable: {sorted(unknown)}")
    columns = {"state": states[-1].value, "holder_unit_id": holders[-1], **changes}
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=_FIRST_COLUMN_PARAM))
    hop_columns = [
        [hop.actor.user_id for hop in hops],
        [hop.actor.unit_id for hop in hops],
        [hop.action.value for hop in hops],
        [s.value for s in states[:-1]],
        [s.value for s in states[1:]],
        holders[:-1],
        holders[1:],
        [hop.reason for hop in hops],
    ]
    new_units = [u for u in dict.fromkeys(holders[1:]) if u is not None and u != ticket.holder_unit_id]
    row = await ctx.conn.fetchrow(
        _APPLY_HOPS.format(assignments=assignments),
        ticket.id,
        ctx.now,
        ticket.version,
        payload or {},
        new_units,
        *hop_columns,
        *columns.values(),
    )
    if row is None:  # only possible if the caller did not lock: fail loudly, never overwrite
        raise ApiError(409, code="stale_ticket")
    updated = Ticket.from_row(row)
    last = hops[-1].action
    if last in EVENT_TYPES:
        extra = {"action": last.value, "action_label": last.label, **(board or {})}
        announce(ctx, EVENT_TYPES[last], updated, extra, moved_from=(ticket.state, ticket.holder_unit_id))
    elif (updated.state, updated.holder_unit_id) != (ticket.state, ticket.holder_unit_id):
        # boards count tickets by state and holder from the events alone: a move nobody announced would skew them
        raise ValueError(f"{last.value} moves the ticket but announces nothing")
    return updated


async def log_action(
    ctx: Context,
    ticket: AnyTicket,
    action: str,
    actor: Actor,
    *,
    reason: str = "",
    payload: dict[str, Any] | None = None,
) -> None:
    """Record an action that does not change the state (a note, an urge, an appeal, a read of personal data)."""
    await log_actions(ctx, actor, [(ticket, action, reason, payload)])


async def log_actions(
    ctx: Context, actor: Actor, entries: Sequence[tuple[AnyTicket, str, str, dict[str, Any] | None]]
) -> None:
    """`log_action` for many (ticket, action, reason, payload) at once, in one round trip."""
    await ctx.conn.executemany(
        Q.insert_event,
        [
            (
                ticket.id, ctx.now, actor.user_id, actor.unit_id, action, ticket.state.value, ticket.state.value,
                ticket.holder_unit_id, ticket.holder_unit_id, reason, payload or {},
            )
            for ticket, action, reason, payload in entries
        ],
    )  # fmt: skip


# The row, its events (one per hop) and the units it reached in one statement, one round trip.
# Events and units hang off `moved`, so a stale version writes nothing; ORDER BY keeps event ids in hop order.
# Inline, not a named query: the SET list names the columns each use-case changes (from _SETTABLE).
_APPLY_HOPS = f"""WITH moved AS (
    UPDATE tickets SET version = version + 1, updated_at = $2, {{assignments}}
    WHERE id = $1 AND version = $3 RETURNING {Q.fragment("ticket_columns")}
), logged AS (
    INSERT INTO ticket_events (ticket_id, at, actor_id, actor_unit_id, action, from_state, to_state, from_unit_id,
                               to_unit_id, reason, payload)
    SELECT moved.id, $2, e.actor_id, e.actor_unit_id, e.action, e.from_state, e.to_state, e.from_unit_id,
           e.to_unit_id, e.reason, $4::jsonb
    FROM moved, unnest($6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[],
                       $13::text[])
         WITH ORDINALITY AS e (actor_id, actor_unit_id, action, from_state, to_state, from_unit_id, to_unit_id,
                               reason, n)
    ORDER BY e.n
), reached AS (
    INSERT INTO ticket_units (ticket_id, unit_id, first_at) SELECT moved.id, u, $2 FROM moved, unnest($5::bigint[]) u
    ON CONFLICT DO NOTHING
)
SELECT * FROM moved"""
_FIRST_COLUMN_PARAM = 14


# Where a ticket was before the change an event announces: its state (None: it did not exist) and holder.
MovedFrom = tuple[TicketState | None, int | None]
CREATED: MovedFrom = (None, None)


def announce(
    ctx: Context,
    event_type: str,
    ticket: AnyTicket,
    extra: dict[str, Any] | None = None,
    moved_from: MovedFrom | None = None,
) -> None:
    """Push an event about `ticket` to the boards of its holder's chain, once the transaction commits.
    `moved_from` for a change of state or holder: boards update their counts from it (docs/realtime.md)."""
    ctx.outbox.announce(ctx.redis, board_event(ctx.catalog, event_type, ticket, extra, moved_from=moved_from))


def board_event(
    catalog: Catalog,
    event_type: str,
    ticket: AnyTicket,
    extra: dict[str, Any] | None = None,
    units: tuple[int, ...] = (),
    moved_from: MovedFrom | None = None,
) -> BoardEvent:
    """The event about `ticket` for the boards of its holder's, lead unit's and co-units' chains (and of `units`):
    a co-unit (协办) follows the ticket it assists with in its own lists, live."""
    co_units = ticket.co_unit_ids if isinstance(ticket, Ticket) else ()
    concerned = {u for u in (ticket.holder_unit_id, ticket.lead_unit_id, *co_units, *units) if u is not None}
    unit_path = sorted({uid for u in concerned for uid in catalog.unit_path(u)})
    if not unit_path:
        unit_path = [catalog.tree.root.id]
    payload = {
        "ticket_id": ticket.id,
        "number": ticket.number,
        "state": ticket.state.value,
        "state_label": ticket.state.label,
        "holder_unit_id": ticket.holder_unit_id,
        "category_code": ticket.category_code,
        **(extra or {}),
    }
    if moved_from is not None:
        payload["from_state"] = None if moved_from[0] is None else moved_from[0].value
        payload["from_holder_unit_id"] = moved_from[1]
    return event_type, unit_path, mask_payload(payload)  # many boards see an event: never a raw number
