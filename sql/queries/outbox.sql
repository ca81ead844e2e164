-- The board outbox (hotline/outbox/): board events stored with the change, relayed to Redis after.

-- name: store_board_events
-- $1: a JSON array of {"type", "unit_path", "payload"}, in the order they are to reach the boards.
INSERT INTO board_outbox (event_type, unit_path, payload, at)
SELECT e.event ->> 'type', ARRAY(SELECT jsonb_array_elements_text(e.event -> 'unit_path')::bigint),
       e.event -> 'payload', now()
FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e (event, n)
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
