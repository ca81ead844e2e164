-- 专题服务日 (hotline/tickets/service_days.py, hotline/api/service_days.py): a unit's leader answers the hotline
-- for some hours; the calls taken in that window about the unit's domain are marked.
--
-- service_day_columns: a day with the counts of its calls (d is service_days).

-- fragment: service_day_columns
d.id, d.unit_id, d.leader, d.starts_at, d.ends_at, d.topic, d.created_at,
    (SELECT count(*) FROM service_day_tickets s WHERE s.service_day_id = d.id) AS calls

-- name: insert_service_day
INSERT INTO service_days (unit_id, leader, starts_at, ends_at, topic, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id;

-- name: service_days_between
-- Days overlapping [$1, $2) of the units $3 (NULL: all), the earliest first.
SELECT {{service_day_columns}} FROM service_days d
WHERE d.starts_at < $2 AND d.ends_at > $1 AND ($3::bigint[] IS NULL OR d.unit_id = ANY($3::bigint[]))
ORDER BY d.starts_at, d.id;

-- name: service_day_by_id
SELECT {{service_day_columns}} FROM service_days d WHERE d.id = $1;

-- name: service_days_active
-- The days running at $1 (the window includes its start, not its end).
SELECT id, unit_id FROM service_days WHERE starts_at <= $1 AND ends_at > $1;

-- name: mark_service_day_ticket
INSERT INTO service_day_tickets (service_day_id, ticket_id) SELECT x, $2 FROM unnest($1::bigint[]) AS x
ON CONFLICT DO NOTHING;

-- name: service_day_calls
-- The marked calls of the days $1, oldest first, with what became of them.
SELECT s.service_day_id, t.id, t.number, t.type, t.state, t.content, t.holder_unit_id, t.created_at, t.closed_at,
       t.satisfaction, t.kb_entry_id IS NOT NULL AS answered_from_kb
FROM service_day_tickets s JOIN tickets t ON t.id = s.ticket_id
WHERE s.service_day_id = ANY($1::bigint[])
ORDER BY t.created_at, t.id;
