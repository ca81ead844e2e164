-- SLA clocks, timers and alerts (hotline/sla/clock.py, timers.py, alerts.py). A deadline row keeps
-- a clock's facts (rule, start); its due and warning times are derived and stored. A moment is a
-- running clock's warning (warn_at) or due time (due_at); each raises one alert, unique per
-- deadline and kind.
--
-- deadline_columns: what hotline.sla.clock.OpenDeadline is built from.
-- flag_alerted_clocks: the clocks of the statement's `due` (id, kind) flagged as alerted (warning_raised,
-- overdue_raised), which the sweep's partial indexes then leave out; raise_alerts and history_passed_alerts.

-- fragment: deadline_columns
id, ticket_id, unit_id, track, rule_name, duration_seconds, counts, warn_fraction, start_at,
    due_at, warn_at, status

-- fragment: flag_alerted_clocks
UPDATE deadlines d SET warning_raised = d.warning_raised OR f.warning, overdue_raised = d.overdue_raised OR f.overdue
FROM (SELECT id, bool_or(kind = 'warning') AS warning, bool_or(kind = 'overdue') AS overdue FROM due GROUP BY id) f
WHERE d.id = f.id

-- name: start_clocks
-- Ending the old clocks ($4 the tracks) and starting the new ones in one statement (one round trip).
-- The new rows wait for the ended ones (the sub-select over `ended` runs first), because one clock per
-- track may be open (deadlines_one_open_per_track). With $5 a completion clock starts only if none
-- ever ran.
WITH ended AS (
    UPDATE deadlines SET status = 'cancelled', ended_at = $3
    WHERE ticket_id = $1 AND track = ANY($4::text[]) AND status IN ('running', 'paused')
    RETURNING id
)
INSERT INTO deadlines (ticket_id, unit_id, track, rule_name, duration_seconds, counts, warn_fraction, start_at, due_at,
                       warn_at)
SELECT $1, $2, r.track, r.rule_name, r.duration_seconds, r.counts, r.warn_fraction, $3, r.due_at, r.warn_at
FROM unnest($6::text[], $7::text[], $8::float8[], $9::text[], $10::float8[], $11::timestamptz[], $12::timestamptz[])
     AS r (track, rule_name, duration_seconds, counts, warn_fraction, due_at, warn_at)
WHERE (SELECT count(*) FROM ended) >= 0
  AND NOT ($5 AND r.track = 'complete'
           AND EXISTS (SELECT 1 FROM deadlines d WHERE d.ticket_id = $1 AND d.track = 'complete'))
RETURNING {{deadline_columns}};

-- name: start_own_clock
-- A clock of its own (callback, an order's answer), in natural time.
INSERT INTO deadlines (ticket_id, unit_id, track, rule_name, duration_seconds, counts, warn_fraction, start_at, due_at,
                       warn_at)
VALUES ($1, $2, $3, $4, $5, 'natural', $9, $6, $7, $8)
RETURNING {{deadline_columns}};

-- name: end_clock_by_id
UPDATE deadlines SET status = $2, ended_at = $3 WHERE id = $1 AND status IN ('running', 'paused');

-- name: end_clocks
-- The open clocks of the tracks $2 end as met or cancelled ($3).
UPDATE deadlines SET status = $3, ended_at = $4
WHERE ticket_id = $1 AND track = ANY($2::text[]) AND status IN ('running', 'paused');

-- name: reopen_completion_clock
-- A completion sent back: its last completion clock, met, runs again.
UPDATE deadlines SET status = 'running', ended_at = NULL
WHERE id = (SELECT id FROM deadlines WHERE ticket_id = $1 AND track = 'complete'
            ORDER BY id DESC LIMIT 1) AND status = 'met';

-- name: pause_clocks
-- The handling clocks (a callback or an order's answer clock runs on through a suspension).
UPDATE deadlines SET status = 'paused' WHERE ticket_id = $1 AND status = 'running' AND track IN ('reply', 'accept', 'complete');

-- name: ticket_suspensions
SELECT started_at, ended_at FROM suspensions WHERE ticket_id = $1 ORDER BY started_at;

-- name: ticket_suspended_now
SELECT EXISTS (SELECT 1 FROM suspensions WHERE ticket_id = $1 AND ended_at IS NULL);

-- name: approved_extensions
SELECT decided_at, extra_days FROM extension_requests
WHERE ticket_id = $1 AND status = 'approved' ORDER BY decided_at;

-- name: open_clocks
-- The open handling clocks, re-derived from suspensions and extensions (callback and order clocks are not).
SELECT {{deadline_columns}} FROM deadlines WHERE ticket_id = $1 AND status IN ('running', 'paused')
  AND track IN ('reply', 'accept', 'complete');

-- name: set_clock_due
-- A clock's due and warning times re-derived, and whether it runs or is paused.
UPDATE deadlines SET due_at = $2, warn_at = $3, status = $4 WHERE id = $1 RETURNING {{deadline_columns}};

-- name: upcoming_moments
SELECT warn_at AS at FROM deadlines WHERE status = 'running' AND warn_at > $1 AND warn_at <= $2
UNION ALL
SELECT due_at FROM deadlines WHERE status = 'running' AND due_at > $1 AND due_at <= $2;

-- name: lock_due_moments
-- The earliest $4 (NULL: all) moments in [$1, $2) passed by $3 without an alert, their tickets
-- locked in id order so that two firings, or a firing and the sweep, wait for each other rather
-- than deadlock. One branch per column, so each uses its partial index of the moments not yet alerted
-- (deadlines_warning_pending, deadlines_overdue_pending: the sweep, which looks back to the first clock, reads
-- those, not every running clock past its moment). The flags only narrow the search: NOT EXISTS decides.
WITH due AS (
    SELECT id, ticket_id, 'warning' AS kind, warn_at AS at FROM deadlines
    WHERE status = 'running' AND NOT warning_raised AND warn_at >= $1 AND warn_at < $2 AND warn_at <= $3
    UNION ALL
    SELECT id, ticket_id, 'overdue', due_at FROM deadlines
    WHERE status = 'running' AND NOT overdue_raised AND due_at >= $1 AND due_at < $2 AND due_at <= $3
), unalerted AS (
    SELECT due.id, due.ticket_id, due.kind FROM due
    WHERE NOT EXISTS (SELECT 1 FROM sla_alerts a WHERE a.deadline_id = due.id AND a.kind = due.kind)
    ORDER BY due.at LIMIT $4
)
SELECT u.id AS deadline_id, u.kind FROM unalerted u JOIN tickets t ON t.id = u.ticket_id
ORDER BY t.id FOR UPDATE OF t;

-- name: raise_alerts
-- Under the ticket locks, in a new snapshot: a clock met, stopped or moved later since
-- lock_due_moments read it raises nothing. Returns what the event log and the board need. The clocks are
-- flagged as alerted (warning_raised, overdue_raised) in the same statement, those whose alert existed already
-- included.
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
), flagged AS (
    {{flag_alerted_clocks}}
)
SELECT r.id AS alert_id, r.kind, d.id AS deadline_id, d.unit_id, d.track, d.rule_name, d.due_at,
       t.id AS ticket_id, t.number, t.state, t.holder_unit_id, t.lead_unit_id, t.category_code
FROM raised r JOIN deadlines d ON d.id = r.deadline_id JOIN tickets t ON t.id = d.ticket_id
ORDER BY r.id;

-- name: unpublished_alerts
-- Alerts committed without their board event in the outbox (raised before it existed, or by hand); locked,
-- so two sweeps never announce one twice.
SELECT a.id AS alert_id, a.kind, d.id AS deadline_id, d.unit_id, d.track, d.rule_name, d.due_at,
       t.id AS ticket_id, t.number, t.state, t.holder_unit_id, t.lead_unit_id, t.category_code
FROM sla_alerts a JOIN deadlines d ON d.id = a.deadline_id JOIN tickets t ON t.id = a.ticket_id
WHERE a.published_at IS NULL AND a.raised_at < $1
ORDER BY a.id LIMIT $2
FOR UPDATE OF a SKIP LOCKED;

-- name: mark_alerts_published
UPDATE sla_alerts SET published_at = now() WHERE id = ANY($1::bigint[]);
