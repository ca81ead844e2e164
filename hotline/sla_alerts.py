"""Raising and announcing SLA alerts (warning before the deadline, overdue at it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotline.supervision import issue_order
from hotline.tickets.journal import Actor, announce, lock, log_action, transaction
from realtime.stream import publish

KIND_LABELS = {"warning": "即将超期预警", "overdue": "超期"}
EVENT_TYPES = {"warning": "sla.warning", "overdue": "sla.overdue"}


async def raise_alert_if_due(ctx: dict[str, Any], deadline_id: int, kind: str, now: datetime) -> bool:
    """Insert the alert for (deadline, kind) if its moment has passed on a running clock; True if inserted."""
    async with transaction(ctx["pool"], ctx["catalogs"], ctx["redis"], now) as tx:
        deadline = await tx.conn.fetchrow(
            "SELECT id, ticket_id, unit_id, track, rule_name, due_at, warn_at, status FROM deadlines WHERE id = $1",
            deadline_id,
        )
        if deadline is None or deadline["status"] != "running":
            return False
        moment = deadline["warn_at"] if kind == "warning" else deadline["due_at"]
        if moment > now:
            return False  # the clock moved (extension, suspension): a later job covers the new moment
        ticket = await lock(tx.conn, deadline["ticket_id"])
        # re-read under the ticket lock: the use-case that stops clocks holds the same lock
        status = await tx.conn.fetchval("SELECT status FROM deadlines WHERE id = $1", deadline_id)
        if status != "running":
            return False
        alert_id = await tx.conn.fetchval(
            """INSERT INTO sla_alerts (deadline_id, ticket_id, unit_id, kind, due_at, raised_at)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (deadline_id, kind) DO NOTHING RETURNING id""",
            deadline_id,
            ticket.id,
            deadline["unit_id"],
            kind,
            deadline["due_at"],
            now,
        )
        if alert_id is None:
            return False
        await log_action(
            tx,
            ticket,
            f"sla_{kind}",
            Actor.system(),
            reason=f"{deadline['rule_name']}：{KIND_LABELS[kind]}",
            payload={"deadline_id": deadline_id, "due_at": deadline["due_at"].isoformat(), "track": deadline["track"]},
        )
        announce(tx, EVENT_TYPES[kind], ticket, _alert_payload(alert_id, deadline, kind))
        supervision = ctx["settings"].supervision
        if kind == "overdue" and supervision.auto_order_on_overdue:
            await issue_order(
                tx,
                Actor.system(),
                ticket,
                f"「{deadline['rule_name']}」已超期，请说明原因并限时办理",
                supervision.order_answer_hours,
                deadline_id,
            )
        pool = ctx["pool"]
        tx.outbox.after_commit(
            lambda: pool.execute("UPDATE sla_alerts SET published_at = now() WHERE id = $1", alert_id)
        )
        return True


def _alert_payload(alert_id: int, deadline: Any, kind: str) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "kind": kind,
        "kind_label": KIND_LABELS[kind],
        "track": deadline["track"],
        "rule_name": deadline["rule_name"],
        "unit_id": deadline["unit_id"],
        "due_at": deadline["due_at"].isoformat(),
    }


async def publish_pending_alerts(ctx: dict[str, Any], raised_before: datetime) -> int:
    """Announce alerts committed earlier whose announcement did not get out (a crash after commit)."""
    pool = ctx["pool"]
    rows = await pool.fetch(
        """SELECT a.id, a.kind, a.deadline_id, a.ticket_id, d.track, d.rule_name, d.unit_id, d.due_at,
                  t.number, t.state, t.holder_unit_id, t.lead_unit_id, t.category_code
           FROM sla_alerts a JOIN deadlines d ON d.id = a.deadline_id JOIN tickets t ON t.id = a.ticket_id
           WHERE a.published_at IS NULL AND a.raised_at < $1 ORDER BY a.id LIMIT 500""",
        raised_before,
    )
    async with pool.acquire() as conn:
        catalog = await ctx["catalogs"].get(conn)
    for row in rows:
        units = {u for u in (row["holder_unit_id"], row["lead_unit_id"], row["unit_id"]) if u is not None}
        unit_path = sorted({uid for u in units for uid in catalog.unit_path(u)})
        payload = {
            "ticket_id": row["ticket_id"],
            "number": row["number"],
            "state": row["state"],
            "holder_unit_id": row["holder_unit_id"],
            "category_code": row["category_code"],
            **_alert_payload(row["id"], row, row["kind"]),
        }
        await publish(ctx["redis"], EVENT_TYPES[row["kind"]], unit_path, payload)
        await pool.execute("UPDATE sla_alerts SET published_at = now() WHERE id = $1", row["id"])
    return len(rows)
