-- Bulk demo history for the report (`demo seed --months`, hotline/demo/history.py). Tickets are copied in;
-- the rest is derived from the tickets whose id is at least $1, the first id this run wrote. Deadlines use
-- natural time (a simplification of the working calendar that is good enough for history).

-- name: history_units
SELECT id, level, parent_id, kind, name FROM units;

-- name: history_categories
SELECT code, name FROM categories;

-- name: history_first_ticket_id
SELECT coalesce(max(id), 0) + 1 FROM tickets;

-- name: history_disable_transition_trigger
-- history is written in its final state: the state machine's trigger guards live changes only
ALTER TABLE tickets DISABLE TRIGGER tickets_transition;

-- name: history_enable_transition_trigger
ALTER TABLE tickets ENABLE TRIGGER tickets_transition;

-- name: history_ticket_units
INSERT INTO ticket_units (ticket_id, unit_id, first_at)
SELECT id, lead_unit_id, assigned_at FROM tickets WHERE id >= $1 AND lead_unit_id IS NOT NULL;

-- name: history_reply_deadlines
-- $2 the reply time in minutes, $3 the warning fraction
INSERT INTO deadlines (ticket_id, unit_id, track, rule_name, duration_seconds, counts, warn_fraction,
                       start_at, due_at, warn_at, status, ended_at)
SELECT t.id, t.lead_unit_id, 'reply', '普通工单1小时回复', $2::float8 * 60, 'natural', $3::float8,
       t.assigned_at, t.assigned_at + make_interval(secs => $2::float8 * 60),
       t.assigned_at + make_interval(secs => $2::float8 * 60 * $3::float8),
       CASE WHEN t.signed_at IS NULL THEN 'running' ELSE 'met' END, t.signed_at
FROM tickets t WHERE t.id >= $1 AND t.assigned_at IS NOT NULL;

-- name: history_completion_deadlines
-- $2 the completion days per ticket type ({"complaint": 15, ...}), $3 the warning fraction
INSERT INTO deadlines (ticket_id, unit_id, track, rule_name, duration_seconds, counts, warn_fraction,
                       start_at, due_at, warn_at, status, ended_at)
SELECT t.id, t.lead_unit_id, 'complete', '办结时限', d.days * 86400, 'natural', $3::float8, t.assigned_at,
       t.assigned_at + make_interval(days => d.days),
       t.assigned_at + make_interval(secs => d.days * 86400 * $3::float8),
       CASE WHEN t.completed_at IS NULL THEN 'running' ELSE 'met' END, t.completed_at
FROM tickets t JOIN (SELECT key AS type, value::int AS days FROM jsonb_each_text($2::jsonb)) d
  ON d.type = t.type
WHERE t.id >= $1 AND t.signed_at IS NOT NULL;

-- name: history_overdue_alerts
-- the running clocks flagged as raise_alerts flags them (the SLA sweep reads only the clocks not flagged)
WITH raised AS (
    INSERT INTO sla_alerts (deadline_id, ticket_id, unit_id, kind, due_at, raised_at, published_at)
    SELECT d.id, d.ticket_id, d.unit_id, 'overdue', d.due_at, d.due_at, d.due_at
    FROM deadlines d WHERE d.ticket_id >= $1
      AND ((d.status = 'met' AND d.ended_at > d.due_at) OR (d.status = 'running' AND d.due_at < $2))
    RETURNING deadline_id
)
UPDATE deadlines SET overdue_raised = true
WHERE id IN (SELECT deadline_id FROM raised) AND status = 'running';

-- name: history_passed_alerts
-- the alerts of the running clocks whose warning or due moment passed by $1, raised and announced at that moment
-- and flagged as raise_alerts flags them: what the timers would have done while a kept history aged (measured days
-- after it ended, its open tickets' clocks have come due since)
WITH due AS (
    SELECT id, ticket_id, unit_id, 'warning' AS kind, warn_at AS at, due_at FROM deadlines
    WHERE status = 'running' AND NOT warning_raised AND warn_at <= $1
    UNION ALL
    SELECT id, ticket_id, unit_id, 'overdue', due_at, due_at FROM deadlines
    WHERE status = 'running' AND NOT overdue_raised AND due_at <= $1
), raised AS (
    INSERT INTO sla_alerts (deadline_id, ticket_id, unit_id, kind, due_at, raised_at, published_at)
    SELECT id, ticket_id, unit_id, kind, due_at, at, at FROM due
    ON CONFLICT (deadline_id, kind) DO NOTHING
)
{{flag_alerted_clocks}};

-- name: history_handlers
-- one user per unit, who makes the contacts and files the appeals of the unit's history
SELECT DISTINCT ON (unit_id) unit_id, id FROM users ORDER BY unit_id, id;

-- name: history_contacts
-- $2, $3: the handlers' unit ids and user ids
INSERT INTO contacts (ticket_id, unit_id, user_id, at, method, outcome, note)
SELECT t.id, t.lead_unit_id, u.user_id, t.first_contact_at, 'phone', 'reached', '已电话联系诉求人'
FROM tickets t JOIN unnest($2::bigint[], $3::bigint[]) AS u(unit_id, user_id) ON u.unit_id = t.lead_unit_id
WHERE t.id >= $1 AND t.first_contact_at IS NOT NULL;

-- name: history_appeals
-- about a third of the overdue and dissatisfied tickets are appealed, half of those approved;
-- $2, $3: the handlers' unit ids and user ids
INSERT INTO appeals (ticket_id, unit_id, kind, reason, filed_by, filed_at, status, decided_at)
SELECT t.id, t.lead_unit_id, k.kind, '非本单位原因造成', u.user_id, t.closed_at,
       CASE WHEN t.id % 2 = 0 THEN 'approved' ELSE 'rejected' END, t.closed_at + interval '2 days'
FROM tickets t
JOIN unnest($2::bigint[], $3::bigint[]) AS u(unit_id, user_id) ON u.unit_id = t.lead_unit_id
CROSS JOIN LATERAL (
    SELECT 'dissatisfied' AS kind WHERE t.satisfaction = 'dissatisfied'
    UNION ALL
    SELECT 'overdue' FROM deadlines d WHERE d.ticket_id = t.id AND d.track = 'complete'
        AND d.ended_at > d.due_at
) k
WHERE t.id >= $1 AND t.closed_at IS NOT NULL AND t.id % 3 = 0;

-- name: history_ticket_number_seq
SELECT setval('ticket_number_seq', (SELECT count(*) FROM tickets) + 1);

-- name: history_analyze
-- fresh statistics for the report's queries, without waiting for autovacuum
ANALYZE tickets, deadlines, appeals, contacts;

-- name: history_table_counts
SELECT (SELECT count(*) FROM tickets) AS tickets,
       (SELECT count(*) FROM deadlines) AS deadlines,
       (SELECT count(*) FROM contacts) AS contacts,
       (SELECT count(*) FROM sla_alerts) AS sla_alerts,
       (SELECT count(*) FROM appeals) AS appeals;
