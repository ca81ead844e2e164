-- Hostile clients (hotline/guard/): sign-in records and Open311 client keys.

-- name: login_event_insert
-- Committed without waiting for the WAL flush (the statement's own transaction): a flood of guesses must not
-- cost an fsync each, queueing every other commit behind it (bench/login_flood.py). A crash loses at most
-- the last fraction of a second of records; the limits themselves are counted in Redis, not here.
WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))
INSERT INTO login_events (at, username, user_id, address, kind, outcome)
SELECT $1, $2, (SELECT id FROM users WHERE username = $2), $3, $4, $5 FROM async_commit;

-- name: login_events_page
-- newest first; $1 username or NULL, $2 outcome or NULL, $3 limit, $4 offset
SELECT e.id, e.at, e.username, e.address, e.kind, e.outcome, u.display_name
FROM login_events e LEFT JOIN users u ON u.id = e.user_id
WHERE ($1::text IS NULL OR e.username = $1) AND ($2::text IS NULL OR e.outcome = $2)
ORDER BY e.at DESC, e.id DESC
LIMIT $3 OFFSET $4;

-- name: revoke_user_tokens
-- every session and API token of a user (deactivated, or a new password); the count revoked
WITH gone AS (DELETE FROM auth_tokens WHERE user_id = $1 RETURNING 1) SELECT count(*) FROM gone;

-- name: token_expiry
SELECT expires_at FROM auth_tokens WHERE token_hash = $1;

-- name: open311_client_insert
INSERT INTO open311_clients (name, key_hash, key_hint, acts_as, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id;

-- fragment: open311_client_columns
c.id, c.name, c.key_hint, c.created_at, c.revoked_at, c.last_used_at, a.username AS acts_as, b.username AS created_by

-- name: open311_clients_all
SELECT {{open311_client_columns}}
FROM open311_clients c JOIN users a ON a.id = c.acts_as JOIN users b ON b.id = c.created_by
ORDER BY c.revoked_at IS NOT NULL, c.id DESC;

-- name: open311_client
SELECT {{open311_client_columns}}
FROM open311_clients c JOIN users a ON a.id = c.acts_as JOIN users b ON b.id = c.created_by
WHERE c.id = $1;

-- name: open311_client_revoke
UPDATE open311_clients SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING id;

-- name: open311_client_by_key
-- a live key and the operator its requests are recorded as (who must still be active); marks it used
UPDATE open311_clients c SET last_used_at = $2
FROM users u
WHERE c.key_hash = $1 AND c.revoked_at IS NULL AND u.id = c.acts_as AND u.active
RETURNING c.id, u.id AS user_id, u.username, u.display_name, u.role, u.unit_id;

-- name: open311_actor_candidate
SELECT id, username, display_name, role, unit_id, active FROM users WHERE username = $1;

-- name: users_named
SELECT username FROM users WHERE username = ANY($1::text[]) ORDER BY username;

-- name: active_admin_hashes
SELECT username, password_hash FROM users WHERE role = 'admin' AND active ORDER BY username;
