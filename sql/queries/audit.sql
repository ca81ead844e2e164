-- The audit log (hotline/audit/): every administrative action and every login.

-- name: audit_insert
INSERT INTO audit_log (at, actor_id, actor_name, action, target, ip, user_agent, before, after)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: audit_without_wal_flush
-- A refused login's entry, in a transaction of its own, commits without waiting for the WAL flush (as
-- login_event_insert does): a flood of guesses must not cost an fsync each.
SELECT set_config('synchronous_commit', 'off', true);

-- fragment: audit_filter
WHERE ($1::text IS NULL OR a.actor_name = $1)
  AND ($2::text IS NULL OR a.action = $2 OR a.action LIKE $2 || '.%')
  AND ($3::timestamptz IS NULL OR a.at >= $3)
  AND ($4::timestamptz IS NULL OR a.at < $4)
  AND ($5::text IS NULL OR a.target ILIKE '%' || $5 || '%')

-- name: audit_page
-- Newest first; the page asks for one more row than it shows to know whether a next page exists.
SELECT a.id, a.at, a.actor_id, a.actor_name, a.action, a.target, a.ip, a.user_agent, a.before, a.after
FROM audit_log a
{{audit_filter}}
ORDER BY a.at DESC, a.id DESC
LIMIT $6 OFFSET $7;

-- name: audit_export
SELECT a.id, a.at, a.actor_id, a.actor_name, a.action, a.target, a.ip, a.user_agent, a.before, a.after
FROM audit_log a
{{audit_filter}}
ORDER BY a.at, a.id
LIMIT $6;
