-- The board outbox (hotline/outbox/): board events stored with the change, relayed to Redis after.

-- name: store_board_events
-- $1: a JSON array of {"type", "unit_path", "payload"}, in the order they are to reach the boards.
-- Run last in the transaction, so each event about a ticket carries, in "board", the ticket's facts as the
-- transaction leaves them: its running clocks (the board's countdown and 超期 list), its reopen, return and
-- repeat counts (重办, 退单, 重复诉求) and whether its last callback clock was overdue; and "xid", the
-- transaction's id, so a board skips an event whose change its snapshot already holds (docs/realtime.md,
-- "Boards updated in place").
INSERT INTO board_outbox (event_type, unit_path, payload, at)
SELECT e.event ->> 'type', ARRAY(SELECT jsonb_array_elements_text(e.event -> 'unit_path')::bigint),
       e.event -> 'payload' || jsonb_build_object('xid', pg_current_xact_id()::text)
       || CASE WHEN f.facts IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('board', f.facts) END,
       now()
FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e (event, n)
LEFT JOIN LATERAL (
    SELECT jsonb_build_object(
        'created_at', t.created_at,
        'reopen_count', t.reopen_count,
        'return_count', t.return_count,
        'repeats', t.repeats,
        'clocks', (SELECT coalesce(jsonb_agg(jsonb_build_object('deadline_id', d.id, 'track', d.track,
                                                                 'rule_name', d.rule_name, 'due_at', d.due_at,
                                                                 'warn_at', d.warn_at) ORDER BY d.due_at, d.id),
                                   '[]'::jsonb)
                   FROM deadlines d
                   WHERE d.ticket_id = t.id AND d.status = 'running' AND d.track IN ('reply', 'accept', 'complete')),
        'callback_overdue', EXISTS (
            SELECT FROM sla_alerts a  -- announced, as the board counts it (board_callbacks_waiting)
            WHERE a.kind = 'overdue' AND a.published_at IS NOT NULL
              AND a.deadline_id = (SELECT max(c.id) FROM deadlines c
                                                          WHERE c.ticket_id = t.id AND c.track = 'callback'))
    ) AS facts
    FROM tickets t WHERE t.id = (e.event -> 'payload' ->> 'ticket_id')::bigint
) f ON true
ORDER BY e.n
RETURNING id, event_type, unit_path, payload, at;

-- name: lock_pending_board_events
-- Events still waiting, oldest first, committed at least $1 ago (younger ones are their committing
-- process's to relay); SKIP LOCKED so two relays take different batches.
SELECT id, event_type, unit_path, payload, at
FROM board_outbox
WHERE relayed_at IS NULL AND at < $1
ORDER BY id
LIMIT $2
FOR UPDATE SKIP LOCKED;

-- name: mark_board_events_relayed
-- Committed without waiting for the WAL flush (the statement's own transaction): a mark lost in a crash
-- only makes the relay try again, and publish_once skips what is on the stream. One fsync per ticket
-- is the ticket's own.
WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))
UPDATE board_outbox SET relayed_at = now() FROM async_commit WHERE id = ANY($1::bigint[]) AND relayed_at IS NULL;

-- name: forget_relayed_board_events
DELETE FROM board_outbox WHERE relayed_at < $1;

-- name: pending_board_events
SELECT count(*) FROM board_outbox WHERE relayed_at IS NULL;
