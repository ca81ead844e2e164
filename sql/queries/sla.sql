-- SLA timers and alerts (hotline/sla_jobs.py, hotline/sla_alerts.py). A moment is a running
-- clock's warning (warn_at) or due time (due_at); each raises one alert, unique per deadline and kind.

-- name: upcoming_moments
SELECT warn_at AS at FROM deadlines WHERE status = 'running' AND warn_at > $1 AND warn_at <= $2
UNION ALL
SELECT due_at FROM deadlines WHERE status = 'running' AND due_at > $1 AND due_at <= $2;

-- name: lock_due_moments
-- The earliest $4 (NULL: all) moments in [$1, $2) passed by $3 without an alert, their tickets
-- locked in id order so that two firings, or a firing and the sweep, wait for each other rather
-- than deadlock. One branch per column, so each uses its partial index.
WITH due AS (
    SELECT id, ticket_id, 'warning' AS kind, warn_at AS at FROM deadlines
    WHERE status = 'running' AND warn_at >= $1 AND warn_at < $2 AND warn_at <= $3
    UNION ALL
    SELECT id, ticket_id, 'overdue', due_at FROM deadlines
    WHERE status = 'running' AND due_at >= $1 AND due_at < $2 AND due_at <= $3
), unalerted AS (
    SELECT due.id, due.ticket_id, due.kind FROM due
    WHERE NOT EXISTS (SELECT 1 FROM sla_alerts a WHERE a.deadline_id = due.id AND a.kind = due.kind)
    ORDER BY due.at LIMIT $4
)
SELECT u.id AS deadline_id, u.kind FROM unalerted u JOIN tickets t ON t.id = u.ticket_id
ORDER BY t.id FOR UPDATE OF t;

-- name: raise_alerts
-- Under the ticket locks, in a new snapshot: a clock met, stopped or moved later since
-- lock_due_moments read it raises nothing. Returns what the event log and the board need.
WITH due AS (
    SELECT d.id, d.ticket_id, d.unit_id, d.due_at, m.kind
    FROM unnest($1::bigint[], $2::text[]) AS m (deadline_id, kind)
    JOIN deadlines d ON d.id = m.deadline_id
    WHERE d.status = 'running' AND CASE m.kind WHEN 'warning' THEN d.warn_at ELSE d.due_at END <= $3
), raised AS (
    INSERT INTO sla_alerts (deadline_id, ticket_id, unit_id, kind, due_at, raised_at)
    SELECT id, ticket_id, unit_id, kind, due_at, $3 FROM due ORDER BY id, kind
    ON CONFLICT (deadline_id, kind) DO NOTHING
    RETURNING id, deadline_id, kind
)
SELECT r.id AS alert_id, r.kind, d.id AS deadline_id, d.unit_id, d.track, d.rule_name, d.due_at,
       t.id AS ticket_id, t.number, t.state, t.holder_unit_id, t.lead_unit_id, t.category_code
FROM raised r JOIN deadlines d ON d.id = r.deadline_id JOIN tickets t ON t.id = d.ticket_id
ORDER BY r.id;

-- name: unpublished_alerts
-- Alerts committed whose board event did not get out (a crash or Redis failure after commit).
SELECT a.id AS alert_id, a.kind, d.id AS deadline_id, d.unit_id, d.track, d.rule_name, d.due_at,
       t.id AS ticket_id, t.number, t.state, t.holder_unit_id, t.lead_unit_id, t.category_code
FROM sla_alerts a JOIN deadlines d ON d.id = a.deadline_id JOIN tickets t ON t.id = a.ticket_id
WHERE a.published_at IS NULL AND a.raised_at < $1
ORDER BY a.id LIMIT $2;

-- name: mark_alerts_published
UPDATE sla_alerts SET published_at = now() WHERE id = ANY($1::bigint[]);
