-- name: ticket_id_by_idempotency_key
SELECT id FROM tickets WHERE idempotency_key = $1;

-- name: caller_history
SELECT id, number, type, category_code, state, content, created_at
FROM tickets WHERE caller_phone = $1 ORDER BY created_at DESC LIMIT 10;

-- name: merge_candidates
SELECT id, number, category_code, state, content, address, caller_phone, place, created_at
FROM tickets
WHERE state IN ('new', 'pending_dispatch', 'assigned', 'signed', 'suspended', 'returned', 'completed', 'reviewed')
  AND created_at >= $1
  AND (caller_phone = $2 OR category_code = $3 OR (place ->> 'community_id')::bigint = $4)
ORDER BY created_at DESC
LIMIT 300;

-- name: ticket_events
SELECT e.id, e.at, e.action, e.from_state, e.to_state, e.from_unit_id, e.to_unit_id, e.reason, e.payload,
       e.actor_id, u.display_name AS actor_name, e.actor_unit_id
FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id
WHERE e.ticket_id = $1 ORDER BY e.id;

-- name: open_deadlines
SELECT id, track, rule_name, unit_id, start_at, due_at, warn_at, status
FROM deadlines WHERE ticket_id = $1 AND status IN ('running', 'paused') ORDER BY id;
