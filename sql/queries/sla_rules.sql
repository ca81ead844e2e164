-- SLA rules and the working calendar in the database (hotline/sla/rules_store.py), and the recomputation
-- of open clocks after a change (hotline/sla/recompute.py). sla_settings has one row; its version moves
-- with every change to it, to sla_completion_rules or to calendar_days (triggers in 0012_sla_rules.sql).

-- name: sla_rules_version
SELECT version FROM sla_settings;

-- name: sla_rules_load
-- Everything in one statement: one snapshot, so the version always matches what is read with it.
SELECT s.version, s.reply_minutes, s.reply_counts, s.accept_minutes, s.accept_counts, s.warn_fraction,
       s.office_hours, s.weekdays,
       ARRAY(SELECT r.ticket_type FROM sla_completion_rules r ORDER BY r.id) AS rule_types,
       ARRAY(SELECT r.category_code FROM sla_completion_rules r ORDER BY r.id) AS rule_categories,
       ARRAY(SELECT coalesce(c.name, '') FROM sla_completion_rules r LEFT JOIN categories c ON c.code = r.category_code
             ORDER BY r.id) AS rule_category_names,
       ARRAY(SELECT r.days FROM sla_completion_rules r ORDER BY r.id) AS rule_days,
       ARRAY(SELECT r.counts FROM sla_completion_rules r ORDER BY r.id) AS rule_counts,
       ARRAY(SELECT d.day FROM calendar_days d ORDER BY d.day) AS days,
       ARRAY(SELECT d.kind FROM calendar_days d ORDER BY d.day) AS day_kinds,
       ARRAY(SELECT d.name FROM calendar_days d ORDER BY d.day) AS day_names
FROM sla_settings s;

-- name: sla_settings_lock
-- The settings row, locked: edits of the rules and the calendar take turns.
SELECT version FROM sla_settings FOR UPDATE;

-- name: sla_settings_seed
-- The first rules of a new database; nothing when another process seeded it first.
INSERT INTO sla_settings (reply_minutes, reply_counts, accept_minutes, accept_counts, warn_fraction, office_hours,
                          weekdays, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (singleton) DO NOTHING
RETURNING version;

-- name: sla_settings_update
UPDATE sla_settings SET reply_minutes = $1, reply_counts = $2, accept_minutes = $3, accept_counts = $4,
                        warn_fraction = $5, office_hours = $6, weekdays = $7, updated_at = $8
RETURNING version;

-- name: sla_completion_rules_replace
-- The whole rules table at once, in the order given.
WITH gone AS (DELETE FROM sla_completion_rules RETURNING 1)
INSERT INTO sla_completion_rules (ticket_type, category_code, days, counts)
SELECT r.ticket_type, r.category_code, r.days, r.counts
FROM unnest($1::text[], $2::text[], $3::int[], $4::text[]) WITH ORDINALITY AS r (ticket_type, category_code, days, counts, n)
WHERE (SELECT count(*) FROM gone) >= 0
ORDER BY r.n;

-- name: calendar_days_upsert
INSERT INTO calendar_days (day, kind, name)
SELECT * FROM unnest($1::date[], $2::text[], $3::text[])
ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name;

-- name: calendar_day_get
SELECT day, kind, name FROM calendar_days WHERE day = $1;

-- name: calendar_day_delete
DELETE FROM calendar_days WHERE day = $1 RETURNING kind;

-- name: calendar_years_replace
-- An imported file replaces the holidays and make-up days of every year it covers ($4).
WITH gone AS (
    DELETE FROM calendar_days WHERE extract(year FROM day)::int = ANY($4::int[]) RETURNING 1
)
INSERT INTO calendar_days (day, kind, name)
SELECT d.day, d.kind, d.name FROM unnest($1::date[], $2::text[], $3::text[]) AS d (day, kind, name)
WHERE (SELECT count(*) FROM gone) >= 0;

-- name: calendar_year_counts
-- Days listed per year, for the calendar page's year list (and `hotline check`: next year's calendar).
SELECT extract(year FROM day)::int AS year, count(*) FILTER (WHERE kind = 'holiday') AS holidays,
       count(*) FILTER (WHERE kind = 'workday') AS workdays
FROM calendar_days GROUP BY 1 ORDER BY 1;

-- name: sla_recompute_request
INSERT INTO sla_recomputes (requested_at, requested_by, reason) VALUES ($1, $2, $3) RETURNING id;

-- name: sla_recompute_start
-- A job takes its request, and the pending ones before it: one pass over the clocks serves them all.
-- Nothing when the request is finished already (a job that runs twice).
WITH mine AS (
    UPDATE sla_recomputes SET started_at = $2 WHERE id = $1 AND finished_at IS NULL RETURNING id
), older AS (
    UPDATE sla_recomputes SET finished_at = $2, superseded_by = $1
    WHERE id < $1 AND finished_at IS NULL AND EXISTS (SELECT 1 FROM mine)
)
SELECT id FROM mine;

-- name: sla_recompute_finish
UPDATE sla_recomputes SET finished_at = $2, clocks = $3, changed = $4 WHERE id = $1 AND finished_at IS NULL;

-- name: sla_recompute_latest
SELECT id, requested_at, reason, started_at, finished_at, clocks, changed
FROM sla_recomputes WHERE superseded_by IS NULL ORDER BY id DESC LIMIT 1;

-- name: sla_recompute_get
SELECT id, requested_at, reason, started_at, finished_at, clocks, changed, superseded_by
FROM sla_recomputes WHERE id = $1;

-- name: sla_recompute_stalled
-- Requests whose job was lost (Redis flushed, worker gone before it ran) or died half-way.
SELECT id FROM sla_recomputes
WHERE finished_at IS NULL AND requested_at < $1 AND (started_at IS NULL OR started_at < $2)
ORDER BY id;

-- name: sla_recompute_lock_tickets
-- The next $2 tickets after $1 with an open clock, locked in id order (as the timers lock them), so a
-- use-case changing one of them waits for the batch, and the batch for it.
SELECT t.id, t.type, t.category_code FROM tickets t
WHERE t.id IN (SELECT DISTINCT d.ticket_id FROM deadlines d
               WHERE d.status IN ('running', 'paused') AND d.ticket_id > $1
               ORDER BY d.ticket_id LIMIT $2)
ORDER BY t.id
FOR UPDATE OF t;

-- name: sla_recompute_clocks
SELECT {{deadline_columns}} FROM deadlines
WHERE ticket_id = ANY($1::bigint[]) AND status IN ('running', 'paused') AND track IN ('reply', 'accept', 'complete') ORDER BY id;

-- name: sla_recompute_suspensions
SELECT ticket_id, started_at, ended_at FROM suspensions WHERE ticket_id = ANY($1::bigint[]) ORDER BY started_at;

-- name: sla_recompute_extensions
SELECT ticket_id, decided_at, extra_days FROM extension_requests
WHERE ticket_id = ANY($1::bigint[]) AND status = 'approved' ORDER BY decided_at;

-- name: sla_recompute_update
-- New rules and times of the clocks that moved, in one statement.
UPDATE deadlines d SET rule_name = u.rule_name, duration_seconds = u.duration_seconds, counts = u.counts,
                       warn_fraction = u.warn_fraction, due_at = u.due_at, warn_at = u.warn_at
FROM unnest($1::bigint[], $2::text[], $3::float8[], $4::text[], $5::float8[], $6::timestamptz[], $7::timestamptz[])
     AS u (id, rule_name, duration_seconds, counts, warn_fraction, due_at, warn_at)
WHERE d.id = u.id
RETURNING d.status, d.warn_at, d.due_at;
