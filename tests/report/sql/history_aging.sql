-- What tests/report/test_history_aging.py reads of the SLA alerts of an aged history (hotline.queries.load_queries;
-- not the application's).

-- name: passed_moments_without_alert
-- the warning and due moments of running clocks passed by $1 that have no alert
SELECT count(*)
FROM deadlines d CROSS JOIN LATERAL (VALUES ('warning', d.warn_at), ('overdue', d.due_at)) AS m (kind, at)
WHERE d.status = 'running' AND m.at <= $1
  AND NOT EXISTS (SELECT 1 FROM sla_alerts a WHERE a.deadline_id = d.id AND a.kind = m.kind);

-- name: running_clock_alerts
-- every alert of a running clock: raised at its moment, announced, and its clock flagged as raise_alerts flags it
SELECT count(*) AS alerts,
       count(*) FILTER (WHERE a.raised_at > $1) AS raised_after,
       bool_and(a.raised_at = CASE a.kind WHEN 'warning' THEN d.warn_at ELSE d.due_at END) AS at_their_moment,
       bool_and(a.published_at IS NOT NULL) AS announced,
       bool_and(CASE a.kind WHEN 'warning' THEN d.warning_raised ELSE d.overdue_raised END) AS flagged
FROM sla_alerts a JOIN deadlines d ON d.id = a.deadline_id
WHERE d.status = 'running';
