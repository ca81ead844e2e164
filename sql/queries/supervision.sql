-- Supervision (督办; hotline/tickets/supervision.py): orders to a ticket's holder, by supervisors and,
-- when a clock passes its due time, by the system; and the sweep's automatic urges (催办).

-- name: insert_supervision_orders
-- Orders for many tickets at once ($1 tickets, $2 their holders, $3 the deadlines that caused them
-- or NULL, $4 reasons); a deadline that already has its order gets none.
INSERT INTO supervision_orders (ticket_id, unit_id, deadline_id, issued_by, issued_at, reason, due_at)
SELECT t, u, d, $5, $6, r, $7
FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) AS x (t, u, d, r)
ON CONFLICT (deadline_id) DO NOTHING RETURNING id, ticket_id, deadline_id;

-- name: overdue_tickets_to_urge
-- Tickets with a running clock overdue at $1 for at least $2 and not urged within the last $2.
SELECT DISTINCT d.ticket_id FROM deadlines d
WHERE d.status = 'running' AND d.due_at <= $1 AND d.track IN ('reply', 'accept', 'complete')
  AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = d.ticket_id AND e.action = 'urge'
                  AND e.at > $1 - $2::interval)
  AND d.due_at <= $1 - $2::interval
LIMIT 500;
