-- Backups and restores (hotline/ops/backup.py, restore.py) and the record of their runs.

-- name: backup_server
SELECT current_database() AS name, current_setting('server_version') AS version,
       current_setting('server_version_num')::integer / 10000 AS major;

-- name: backup_export_snapshot
-- in a repeatable-read transaction: pg_dump --snapshot reads exactly what this transaction sees
SELECT pg_export_snapshot();

-- name: backup_migrations
SELECT name FROM schema_migrations ORDER BY name;

-- name: backup_ticket_count
SELECT count(*) FROM tickets;

-- name: backup_run_start
INSERT INTO backup_runs (trigger, host, path, status, started_at) VALUES ($1, $2, $3, 'running', $4) RETURNING id;

-- name: backup_run_finish
UPDATE backup_runs SET status = $2, size_bytes = $3, sha256 = $4, error = $5, finished_at = $6 WHERE id = $1;

-- name: backup_run_restored
-- the run that wrote the archive is in its own dump as 'running': after a restore it is known to have worked
UPDATE backup_runs SET status = 'done', finished_at = $2 WHERE id = $1 AND status = 'running';

-- name: backup_runs_recent
SELECT id, trigger, host, path, status, size_bytes, sha256, error, started_at, finished_at
FROM backup_runs ORDER BY id DESC LIMIT $1;

-- name: restore_public_tables
-- what "an empty database" means for a restore: no table of ours (nor anyone's) in the public schema
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f');

-- name: restore_drop_public_schema
-- `hotline restore --force`: what is there goes, so the backup comes back exactly
DROP SCHEMA public CASCADE;

-- name: restore_create_public_schema
CREATE SCHEMA public;

-- name: restore_summary
SELECT (SELECT count(*) FROM tickets) AS tickets, (SELECT count(*) FROM units) AS units,
       (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM ticket_events) AS events;

-- name: standby_lag_s
-- How far a standby's replay is behind, in seconds: 0 when it has replayed all it received (an idle
-- primary sends nothing, and the age of the last replayed commit alone would then grow with no lag).
-- NULL on a server that is not a standby.
SELECT CASE
         WHEN NOT pg_is_in_recovery() THEN NULL
         WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
         ELSE greatest(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp()))
       END::float8 AS lag_s

-- name: primary_wal_position
-- Where the primary's WAL is now: a standby that has replayed this far holds every commit made before.
SELECT pg_current_wal_lsn()::text AS lsn

-- name: standby_replayed
-- Whether a standby has replayed up to the given position (text LSN from primary_wal_position).
SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn AS replayed
