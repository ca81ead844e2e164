-- Outbound webhooks: subscriptions, deliveries and their attempts (hotline/webhooks/).

-- fragment: webhook_summary
w.id, w.unit_id, u.name AS unit_name, w.user_id, p.username, w.url, w.events, w.include_subtree, w.enabled,
w.created_at, w.updated_at,
(SELECT count(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.delivered_at IS NOT NULL) AS delivered,
(SELECT count(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.failed_at IS NOT NULL) AS failed,
(SELECT count(*) FROM webhook_deliveries d
  WHERE d.webhook_id = w.id AND d.delivered_at IS NULL AND d.failed_at IS NULL) AS pending,
(SELECT row_to_json(d) FROM (SELECT id, event, attempts, last_status, last_error, last_attempt_at
   FROM webhook_deliveries WHERE webhook_id = w.id AND attempts > 0 AND delivered_at IS NULL
   ORDER BY last_attempt_at DESC LIMIT 1) d) AS last_failure

-- name: insert_webhook
INSERT INTO webhooks (unit_id, user_id, url, events, include_subtree, secret, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id;

-- name: webhook_by_id
SELECT {{webhook_summary}} FROM webhooks w JOIN units u ON u.id = w.unit_id LEFT JOIN users p ON p.id = w.user_id
WHERE w.id = $1;

-- name: webhooks_in_units
-- $1: the units whose webhooks an administrator may see, or NULL for all.
SELECT {{webhook_summary}} FROM webhooks w JOIN units u ON u.id = w.unit_id LEFT JOIN users p ON p.id = w.user_id
WHERE $1::bigint[] IS NULL OR w.unit_id = ANY($1) ORDER BY w.id;

-- name: set_webhook_enabled
UPDATE webhooks SET enabled = $2, updated_at = $3 WHERE id = $1 RETURNING id;

-- name: webhook_user
SELECT id, unit_id FROM users WHERE username = $1 AND active;

-- name: enabled_webhooks
SELECT id, unit_id, events, include_subtree, created_at FROM webhooks WHERE enabled ORDER BY id;

-- name: insert_deliveries
-- One row per (webhook, event); an event already recorded (a fan-out run twice) is skipped. The new ids.
INSERT INTO webhook_deliveries (webhook_id, event_id, event, payload, created_at)
SELECT d.webhook_id, d.event_id, d.event, d.payload, $5
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::jsonb[]) AS d (webhook_id, event_id, event, payload)
ON CONFLICT (webhook_id, event_id) DO NOTHING
RETURNING id;

-- name: lock_delivery
-- The delivery and its webhook, locked for the attempt; a delivery another worker is sending is skipped.
SELECT d.id, d.event, d.payload, d.attempts, d.delivered_at, d.failed_at, w.url, w.secret, w.enabled
FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
WHERE d.id = $1 FOR UPDATE OF d SKIP LOCKED;

-- name: record_attempt
-- $3 the HTTP status or NULL, $4 the error ('' when delivered), $5 delivered, $6 given up.
UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = $2::timestamptz, last_status = $3::integer,
    last_error = $4::text, delivered_at = CASE WHEN $5::boolean THEN $2::timestamptz END,
    failed_at = CASE WHEN $6::boolean THEN $2::timestamptz END
WHERE id = $1 RETURNING attempts;

-- name: recent_deliveries
SELECT id, event_id, event, payload, created_at, attempts, last_attempt_at, last_status, last_error, delivered_at,
    failed_at
FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2;

-- name: webhook_ticket_facts
-- What a webhook may say about tickets: never the caller's words or data, only the number, type, category and unit.
SELECT t.id, t.number, t.type, c.name AS category_name
FROM tickets t LEFT JOIN categories c ON c.code = t.category_code WHERE t.id = ANY($1::bigint[]);

-- name: lost_deliveries
-- Pending deliveries whose next attempt is long overdue ($2: the first backoff in seconds): their job was lost.
SELECT id FROM webhook_deliveries
WHERE delivered_at IS NULL AND failed_at IS NULL
  AND coalesce(last_attempt_at, created_at) < $1::timestamptz - make_interval(secs => $2::float8 * power(2, attempts) + 60)
ORDER BY id LIMIT 1000;
