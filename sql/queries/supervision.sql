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

-- name: start_order_clocks
-- The answer clock of each order $1 (natural time from $2 to $3, warning at the rules' fraction), named $4.
INSERT INTO deadlines (ticket_id, unit_id, track, rule_name, duration_seconds, counts, warn_fraction, start_at, due_at,
                       warn_at, order_id)
SELECT o.ticket_id, o.unit_id, 'order', $4, extract(epoch FROM $3::timestamptz - $2::timestamptz), 'natural', w.f, $2,
       $3, $2 + ($3::timestamptz - $2::timestamptz) * w.f, o.id
FROM supervision_orders o,
     (SELECT coalesce((SELECT warn_fraction FROM sla_settings), 0.8) AS f) w
WHERE o.id = ANY($1::bigint[])
ORDER BY o.id
RETURNING {{deadline_columns}};

-- name: set_order_issuers
-- The supervising level of each order ($1 ids, $2 units): a supervisor's own unit, or for the system's the
-- level above the supervised unit.
UPDATE supervision_orders o SET issuer_unit_id = x.u
FROM unnest($1::bigint[], $2::bigint[]) AS x (id, u) WHERE o.id = x.id;

-- fragment: order_columns
o.id, o.ticket_id, t.number AS ticket_number, o.unit_id, o.issuer_unit_id, o.deadline_id, o.issued_by,
    iu.display_name AS issued_by_name, o.issued_at, o.reason, o.due_at, o.status, o.answer, o.answered_at,
    au.display_name AS answered_by_name, o.finish_by, o.escalated_to, o.escalated_at, o.reviewed_at,
    ru.display_name AS reviewed_by_name, o.review_note, o.rounds, t.state AS ticket_state

-- fragment: order_joins
FROM supervision_orders o JOIN tickets t ON t.id = o.ticket_id
LEFT JOIN users iu ON iu.id = o.issued_by LEFT JOIN users au ON au.id = o.answered_by
LEFT JOIN users ru ON ru.id = o.reviewed_by

-- name: orders_received
-- Orders to the unit $1: open ones first (the earliest answer due first), then the latest others.
SELECT {{order_columns}} {{order_joins}}
WHERE o.unit_id = $1
ORDER BY (o.status = 'open') DESC, (o.status = 'answered') DESC, o.due_at, o.id DESC LIMIT $2;

-- name: orders_issued
-- Orders to units in the subtree $1 (units below the supervisor's; NULL: all): answered ones waiting for review
-- first, then open, then the latest closed.
SELECT {{order_columns}} {{order_joins}}
WHERE ($1::bigint[] IS NULL OR o.unit_id = ANY($1::bigint[]))
ORDER BY CASE o.status WHEN 'answered' THEN 0 WHEN 'open' THEN 1 ELSE 2 END, o.due_at, o.id DESC LIMIT $2;

-- name: orders_of_ticket
SELECT {{order_columns}} {{order_joins}} WHERE o.ticket_id = $1 ORDER BY o.id;

-- name: order_by_id
SELECT {{order_columns}} {{order_joins}} WHERE o.id = $1;

-- name: lock_order
SELECT * FROM supervision_orders WHERE id = $1 FOR UPDATE;

-- name: answer_order
UPDATE supervision_orders SET status = 'answered', answer = $2, answered_by = $3, answered_at = $4, finish_by = $5
WHERE id = $1;

-- name: close_order
UPDATE supervision_orders SET status = 'closed', reviewed_by = $2, reviewed_at = $3, review_note = $4 WHERE id = $1;

-- name: reissue_order
-- Sent back to the unit: open again with a new answer due, the answer kept until the next one replaces it.
UPDATE supervision_orders SET status = 'open', reviewed_by = $2, reviewed_at = $3, review_note = $4, due_at = $5,
                              rounds = rounds + 1, escalated_at = NULL, escalated_to = NULL
WHERE id = $1;

-- name: end_order_clock
UPDATE deadlines SET status = $2, ended_at = $3 WHERE order_id = $1 AND status IN ('running', 'paused');

-- name: orders_to_escalate
-- Open, unescalated orders whose answer clocks are among $1 (overdue), with their tickets' heads.
SELECT o.id AS order_id, o.unit_id AS supervised_unit_id, o.issuer_unit_id, o.reason, t.id AS ticket_id, t.number,
       t.state, t.holder_unit_id, t.lead_unit_id, t.category_code
FROM deadlines d JOIN supervision_orders o ON o.id = d.order_id JOIN tickets t ON t.id = o.ticket_id
WHERE d.id = ANY($1::bigint[]) AND o.status = 'open' AND o.escalated_at IS NULL
ORDER BY o.id;

-- name: escalate_orders
UPDATE supervision_orders o SET escalated_to = x.u, escalated_at = $3
FROM unnest($1::bigint[], $2::bigint[]) AS x (id, u) WHERE o.id = x.id;

-- name: recent_urges_of_unit
-- Urges (催办) in the last $2 to tickets the unit $1 holds now.
SELECT e.id, e.at, e.reason, e.actor_id, coalesce(u.display_name, '系统') AS actor_name, t.id AS ticket_id, t.number
FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id LEFT JOIN users u ON u.id = e.actor_id
WHERE e.action = 'urge' AND t.holder_unit_id = $1 AND e.at > $3::timestamptz - $2::interval
ORDER BY e.id DESC LIMIT 50;
