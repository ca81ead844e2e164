-- Retention of personal data (hotline/ops/retention.py): what is past its period, counted or removed in
-- batches of $n rows (each call one transaction; the job calls again until nothing is left).
--
-- callers_past_period: closed tickets (closed_at set: closed, closed on the spot, merged) before $1 that
-- still carry a caller's number or name (the partial index tickets_callers_to_retire).

-- fragment: callers_past_period
closed_at < $1 AND closed_at IS NOT NULL AND (caller_phone IS NOT NULL OR caller_name IS NOT NULL)

-- name: retention_counts
SELECT (SELECT count(*) FROM tickets WHERE {{callers_past_period}}) AS callers,
       (SELECT count(*) FROM pii_reads WHERE at < $2) AS pii_reads,
       (SELECT count(*) FROM auth_tokens WHERE expires_at < $3) AS tokens,
       (SELECT count(*) FROM login_events WHERE at < $4) AS logins;

-- name: retention_clear_callers
-- the number and name go; a keyed hash of the number ($2 the key) stays, for the report's repeat callers
WITH due AS (
    SELECT id FROM tickets WHERE {{callers_past_period}} LIMIT $3 FOR UPDATE SKIP LOCKED
), cleared AS (
    UPDATE tickets t
    SET caller_ref = coalesce(t.caller_ref, sha256($2::bytea || convert_to(t.caller_phone, 'UTF8'))),
        caller_phone = NULL, caller_name = NULL
    FROM due WHERE t.id = due.id
    RETURNING 1
)
SELECT count(*) FROM cleared;

-- name: retention_purge_mode
-- for this transaction only: the privacy log's trigger lets the retention job delete (migration 0011)
SELECT set_config('hotline.retention', 'purge', true);

-- name: retention_delete_pii_reads
WITH due AS (SELECT id FROM pii_reads WHERE at < $1 ORDER BY at LIMIT $2), gone AS (
    DELETE FROM pii_reads p USING due WHERE p.id = due.id RETURNING 1
)
SELECT count(*) FROM gone;

-- name: retention_delete_login_events
WITH due AS (SELECT id FROM login_events WHERE at < $1 ORDER BY at LIMIT $2), gone AS (
    DELETE FROM login_events e USING due WHERE e.id = due.id RETURNING 1
)
SELECT count(*) FROM gone;

-- name: retention_delete_expired_tokens
WITH due AS (SELECT token_hash FROM auth_tokens WHERE expires_at < $1 LIMIT $2), gone AS (
    DELETE FROM auth_tokens a USING due WHERE a.token_hash = due.token_hash RETURNING 1
)
SELECT count(*) FROM gone;

-- name: retention_run_start
INSERT INTO retention_runs (dry_run, as_of, periods, status, started_at, requested_by)
VALUES ($1, $2, $3, 'running', $4, $5)
RETURNING id;

-- name: retention_run_finish
UPDATE retention_runs SET status = $2, counts = $3, error = $4, finished_at = $5 WHERE id = $1;

-- fragment: retention_run_columns
id, dry_run, as_of, periods, counts, status, error, started_at, finished_at, requested_by

-- name: retention_run
SELECT {{retention_run_columns}} FROM retention_runs WHERE id = $1;

-- name: retention_runs_recent
SELECT {{retention_run_columns}} FROM retention_runs ORDER BY id DESC LIMIT $1;
