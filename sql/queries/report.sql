-- Monthly report, unit scores and early warning. Periods are [$1, $2) in UTC, computed from the
-- city's local month boundaries by the caller. See docs/report.md for the definitions.

-- fragment: dispatch_decision
-- An event (alias d) that decided where a ticket goes: the automatic dispatch at intake, or the first hop
-- of a person's dispatch (later hops of one dispatch are the system's; a re-assignment before sign-for first
-- pulls the ticket back to the dispatcher's own unit, which is no decision). docs/report.md, "Misrouting".
(d.action = 'route_auto'
     OR (d.action = 'assign' AND d.actor_id IS NOT NULL AND d.to_unit_id IS DISTINCT FROM d.actor_unit_id))

-- fragment: misroute_incident
-- An event (alias e) that ends a dispatch: a return approved (re-route) or rejected (back to the unit), or a
-- dispatcher pulling an assigned ticket back before sign-for to send it elsewhere (改派).
(e.action IN ('approve_return', 'reject_return')
     OR (e.action = 'assign' AND e.from_state = 'assigned' AND e.to_unit_id = e.actor_unit_id))

-- name: force_custom_plans
-- hotline/db.py custom_plans(): report queries planned for their actual period and scope
SET LOCAL plan_cache_mode = force_custom_plan;

-- name: report_units
SELECT id, name, level, parent_id FROM units;

-- name: report_category_names
SELECT code, name FROM categories;

-- name: report_volumes
SELECT channel, type, category_code, (place ->> 'community_id')::bigint AS community_id, count(*) AS n
FROM tickets
WHERE created_at >= $1 AND created_at < $2 AND state <> 'merged' AND ($3::bigint[] IS NULL OR lead_unit_id = ANY($3))
GROUP BY GROUPING SETS ((channel), (type), (category_code), ((place ->> 'community_id')::bigint), ());

-- name: report_monthly_counts
SELECT to_char(created_at AT TIME ZONE $3, 'YYYY-MM') AS month, count(*) AS n
FROM tickets
WHERE created_at >= $1 AND created_at < $2 AND state <> 'merged' AND ($4::bigint[] IS NULL OR lead_unit_id = ANY($4))
GROUP BY 1 ORDER BY 1;

-- name: report_unit_category
SELECT (place ->> 'community_id')::bigint AS community_id, category_code, count(*) AS n
FROM tickets
WHERE created_at >= $1 AND created_at < $2 AND state <> 'merged' AND ($3::bigint[] IS NULL OR lead_unit_id = ANY($3))
  AND place ? 'community_id'
GROUP BY 1, 2;

-- name: report_texts
SELECT content, count(*) AS n, min(id) AS example_id, min(number) AS example_number
FROM tickets
WHERE created_at >= $1 AND created_at < $2 AND state <> 'merged' AND ($4::bigint[] IS NULL OR lead_unit_id = ANY($4))
GROUP BY content ORDER BY count(*) DESC, min(id) LIMIT $3;

-- name: unit_score_facts
-- per local day ($5 the time zone) and lead unit; `open` counts tickets with a running or paused clock,
-- whose facts still depend on $3 (a day without any can be stored in score_days). The return component
-- counts the return penalties (docs/report.md, "The return penalty"): a unit answers for its lead tickets and
-- for the tickets whose return or re-route is held against it (`elsewhere`); a unit with penalties only gets
-- a row too.
WITH t AS (
    SELECT id, (created_at AT TIME ZONE $5)::date AS day, lead_unit_id AS unit_id, first_contact_at, completed_at, satisfaction, resolved
    FROM tickets
    WHERE created_at >= $1 AND created_at < $2 AND lead_unit_id IS NOT NULL AND state <> 'merged'
      AND ($4::bigint[] IS NULL OR lead_unit_id = ANY($4))
), clock AS (
    SELECT d.ticket_id, d.track,
           bool_or((d.status = 'met' AND d.ended_at > d.due_at)
                   OR (d.status IN ('running', 'paused') AND d.due_at < $3)) AS late,
           bool_or(d.status = 'met' OR (d.status IN ('running', 'paused') AND d.due_at < $3)) AS decided,
           bool_or(d.status IN ('running', 'paused')) AS open
    FROM deadlines d JOIN t ON t.id = d.ticket_id AND d.unit_id = t.unit_id
    WHERE d.track IN ('reply', 'complete') AND d.status <> 'cancelled'
      -- a prefilter only: ids grow with creation time, so this is a narrow index range
      AND d.ticket_id BETWEEN (SELECT min(id) FROM t) AND (SELECT max(id) FROM t)
    GROUP BY d.ticket_id, d.track
), approved AS (
    SELECT a.ticket_id, array_agg(a.kind) AS kinds
    FROM appeals a JOIN t ON t.id = a.ticket_id AND a.unit_id = t.unit_id
    WHERE a.status = 'approved'
    GROUP BY a.ticket_id
), moved AS (
    -- returned or re-routed tickets of the period, whatever their lead unit (penalties may fall elsewhere)
    SELECT id, (created_at AT TIME ZONE $5)::date AS day, lead_unit_id, return_count
    FROM tickets
    WHERE created_at >= $1 AND created_at < $2 AND state <> 'merged' AND (return_count > 0 OR reroute_count > 0)
), penalised AS (
    SELECT m.id AS ticket_id, m.day,
           CASE WHEN e.action = 'reject_return' THEN e.from_unit_id
                ELSE (SELECT coalesce(d.actor_unit_id, d.from_unit_id) FROM ticket_events d
                      WHERE d.ticket_id = e.ticket_id AND d.id < e.id AND {{dispatch_decision}}
                      ORDER BY d.id DESC LIMIT 1) END AS unit_id
    FROM moved m JOIN ticket_events e ON e.ticket_id = m.id
    WHERE {{misroute_incident}}
    UNION
    -- history written without its events (imports, bulk demo history): the return counts against the lead unit
    SELECT m.id, m.day, m.lead_unit_id FROM moved m
    WHERE m.return_count > 0 AND m.lead_unit_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = m.id AND e.action = 'return')
), bounds AS (
    SELECT least((SELECT min(id) FROM t), (SELECT min(id) FROM moved)) AS lo,
           greatest((SELECT max(id) FROM t), (SELECT max(id) FROM moved)) AS hi
), excused AS (
    -- an approved appeal of kind `returned` takes the ticket out of the appealing unit's return component
    SELECT DISTINCT a.ticket_id, a.unit_id FROM appeals a, bounds b
    WHERE a.status = 'approved' AND a.kind = 'returned' AND a.ticket_id BETWEEN b.lo AND b.hi
), pen AS (
    SELECT DISTINCT p.ticket_id, p.day, p.unit_id
    FROM penalised p LEFT JOIN excused ex ON ex.ticket_id = p.ticket_id AND ex.unit_id = p.unit_id
    WHERE p.unit_id IS NOT NULL AND ex.ticket_id IS NULL AND ($4::bigint[] IS NULL OR p.unit_id = ANY($4))
), elsewhere AS (
    -- penalties on a unit other than the ticket's lead: the unit answers for these tickets too
    SELECT p.day, p.unit_id, count(*) AS n
    FROM pen p JOIN moved m ON m.id = p.ticket_id
    WHERE m.lead_unit_id IS DISTINCT FROM p.unit_id
    GROUP BY p.day, p.unit_id
), facts AS (
    SELECT t.day, t.unit_id,
           count(*) AS tickets,
           count(*) FILTER (WHERE r.decided AND NOT x.overdue) AS sign_for_n,
           count(*) FILTER (WHERE r.decided AND NOT x.overdue AND NOT r.late) AS sign_for_ok,
           count(*) FILTER (WHERE c.decided AND NOT x.overdue) AS completion_n,
           count(*) FILTER (WHERE c.decided AND NOT x.overdue AND NOT c.late) AS completion_ok,
           count(*) FILTER (WHERE t.completed_at IS NOT NULL) AS contact_n,
           count(*) FILTER (WHERE t.completed_at IS NOT NULL AND t.first_contact_at IS NOT NULL) AS contact_ok,
           count(*) FILTER (WHERE t.resolved IS NOT NULL AND NOT x.dissatisfied) AS resolution_n,
           count(*) FILTER (WHERE t.resolved AND NOT x.dissatisfied) AS resolution_ok,
           count(*) FILTER (WHERE t.satisfaction IS NOT NULL AND NOT x.dissatisfied) AS satisfaction_n,
           count(*) FILTER (WHERE t.satisfaction IN ('satisfied', 'basically_satisfied') AND NOT x.dissatisfied)
               AS satisfaction_ok,
           count(*) FILTER (WHERE NOT x.returned) AS return_n,
           count(*) FILTER (WHERE NOT x.returned AND pen.ticket_id IS NULL) AS return_ok,
           count(*) FILTER (WHERE x.overdue OR x.dissatisfied OR x.returned) AS appealed,
           count(*) FILTER (WHERE r.open OR c.open) AS open
    FROM t
    LEFT JOIN clock r ON r.ticket_id = t.id AND r.track = 'reply'
    LEFT JOIN clock c ON c.ticket_id = t.id AND c.track = 'complete'
    LEFT JOIN approved ap ON ap.ticket_id = t.id
    LEFT JOIN pen ON pen.ticket_id = t.id AND pen.unit_id = t.unit_id
    CROSS JOIN LATERAL (
        SELECT coalesce('overdue' = ANY(ap.kinds), false) AS overdue,
               coalesce('dissatisfied' = ANY(ap.kinds), false) AS dissatisfied,
               coalesce('returned' = ANY(ap.kinds), false) AS returned
    ) x
    GROUP BY t.day, t.unit_id
)
SELECT coalesce(f.day, e.day) AS day, coalesce(f.unit_id, e.unit_id) AS unit_id,
       coalesce(f.tickets, 0) AS tickets,
       coalesce(f.sign_for_n, 0) AS sign_for_n, coalesce(f.sign_for_ok, 0) AS sign_for_ok,
       coalesce(f.completion_n, 0) AS completion_n, coalesce(f.completion_ok, 0) AS completion_ok,
       coalesce(f.contact_n, 0) AS contact_n, coalesce(f.contact_ok, 0) AS contact_ok,
       coalesce(f.resolution_n, 0) AS resolution_n, coalesce(f.resolution_ok, 0) AS resolution_ok,
       coalesce(f.satisfaction_n, 0) AS satisfaction_n, coalesce(f.satisfaction_ok, 0) AS satisfaction_ok,
       coalesce(f.return_n, 0) + coalesce(e.n, 0) AS return_n, coalesce(f.return_ok, 0) AS return_ok,
       coalesce(f.appealed, 0) AS appealed, coalesce(f.open, 0) AS open
FROM facts f FULL JOIN elsewhere e ON e.day = f.day AND e.unit_id = f.unit_id;

-- name: score_days_stored
-- one statement, so the days and their facts are read from one snapshot
SELECT d.day_start, f.*
FROM score_days d LEFT JOIN score_day_facts f ON f.day_start = d.day_start
WHERE d.day_start >= $1 AND d.day_start < $2;

-- name: score_days_lock
SELECT k, pg_try_advisory_xact_lock(12345, k) AS locked FROM unnest($1::integer[]) k ORDER BY k;

-- name: score_days_insert
INSERT INTO score_days (day_start, day_end) SELECT * FROM unnest($1::timestamptz[], $2::timestamptz[])
ON CONFLICT DO NOTHING
RETURNING day_start;

-- name: score_days_count
SELECT count(*) FROM score_days WHERE day_start >= $1 AND day_start < $2;

-- name: report_supervised
WITH recent AS (
    SELECT t.id, t.number, t.state, t.lead_unit_id, t.category_code, t.created_at, t.reopen_count,
           t.return_count, left(t.content, 120) AS summary,  -- masked, then cut to 60 (records.summary)
           count(*) FILTER (WHERE c.caller IS NOT NULL) OVER (
               PARTITION BY c.caller ORDER BY t.created_at RANGE BETWEEN $4::interval PRECEDING AND CURRENT ROW
           ) AS same_caller,
           count(*) OVER (
               PARTITION BY t.category_code, t.place ->> 'community_id' ORDER BY t.created_at
               RANGE BETWEEN $4::interval PRECEDING AND CURRENT ROW
           ) AS same_place,
           t.place ->> 'community_id' AS community_id
    FROM tickets t
    -- the caller: a keyed hash of the number ($9 the key), which is what stays of it once retention has
    -- removed the number (tickets.caller_ref, hotline/ops/retention.py), so old months count the same
    CROSS JOIN LATERAL (
        SELECT coalesce(t.caller_ref, sha256($9::bytea || convert_to(t.caller_phone, 'UTF8'))) AS caller
    ) c
    WHERE t.created_at >= $1::timestamptz - $4::interval AND t.created_at < $2 AND t.state <> 'merged'
      AND ($8::bigint[] IS NULL OR t.lead_unit_id = ANY($8))
), late AS (
    SELECT DISTINCT d.ticket_id FROM deadlines d JOIN tickets t ON t.id = d.ticket_id
    WHERE t.created_at >= $1 AND t.created_at < $2 AND d.track = 'complete'
      AND ((d.status = 'met' AND d.ended_at > d.due_at) OR (d.status IN ('running', 'paused') AND d.due_at < $3))
)
SELECT r.id, r.number, r.state, r.lead_unit_id, r.category_code, r.created_at, r.summary, r.reopen_count,
       r.return_count, r.id IN (SELECT ticket_id FROM late) AS overdue,
       r.reopen_count >= $5 AS dissatisfied,
       (r.same_caller >= $6 OR (r.community_id IS NOT NULL AND r.same_place >= $6)) AS repeat,
       r.return_count >= $7 AS disputed
FROM recent r
WHERE r.created_at >= $1
  AND (r.id IN (SELECT ticket_id FROM late) OR r.reopen_count >= $5 OR r.return_count >= $7
       OR r.same_caller >= $6 OR (r.community_id IS NOT NULL AND r.same_place >= $6))
ORDER BY r.created_at;

-- name: warning_hourly_counts
SELECT category_code, (place ->> 'community_id')::bigint AS community_id,
       date_trunc('hour', created_at) AS hour, count(*) AS n
FROM tickets
WHERE created_at >= $1 AND created_at < $2 AND state <> 'merged'
  AND category_code IS NOT NULL AND place ? 'community_id'
GROUP BY 1, 2, 3;

-- name: warning_place_tickets
-- the tickets of the place clusters ($3 categories and $4 communities, pair by pair) created in [$1, $2), which
-- hotline/report/early_warning.py puts in their warnings' windows. A warning's tickets carry their lead unit: a
-- district's report keeps only its own (hotline/report/data.py)
SELECT id, number, content, category_code, (place ->> 'community_id')::bigint AS community_id, lead_unit_id, created_at
FROM tickets
WHERE created_at >= $1 AND created_at < $2 AND state <> 'merged'
  AND (category_code, place ->> 'community_id') IN (SELECT * FROM unnest($3::text[], $4::text[]))
ORDER BY created_at, id;

-- name: warning_recent_texts
SELECT id, number, content, category_code, (place ->> 'community_id')::bigint AS community_id, lead_unit_id,
       created_at
FROM tickets
WHERE created_at >= $1 AND created_at < $2 AND state <> 'merged'
ORDER BY created_at, id
LIMIT 5000;

-- name: warning_text_hours
-- per text and hour; texts in the order they first appeared (the grouping of near-identical texts is greedy)
SELECT content, date_trunc('hour', created_at) AS hour, count(*) AS n
FROM tickets
WHERE created_at >= $1 AND created_at < $2 AND state <> 'merged'
GROUP BY 1, 2
ORDER BY min(min(created_at)) OVER (PARTITION BY content), content, hour;

-- name: warning_text_tickets
-- the tickets with the texts $1 created in [$2, $3): the text clusters' busy windows (hotline/report/early_warning.py)
SELECT id, number, content, category_code, (place ->> 'community_id')::bigint AS community_id, lead_unit_id,
       created_at
FROM tickets
WHERE content = ANY($1::text[]) AND created_at >= $2 AND created_at < $3 AND state <> 'merged'
ORDER BY created_at, id;

-- name: insert_early_warning
INSERT INTO early_warnings (cluster_kind, cluster_key, category_code, community_id, window_start, window_end,
                            ticket_count, baseline_mean, baseline_std, ticket_ids, sample_text, raised_at,
                            community_ids)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (cluster_key, window_start) DO NOTHING
RETURNING id;

-- name: mark_early_warning_published
UPDATE early_warnings SET published_at = $2 WHERE id = $1;

-- name: board_early_warnings
-- a unit's board ($1 its units, NULL: the city): warnings with a ticket from one of its communities.
-- visible_ids: the first $4 of the warning's tickets the unit may open (held or co-handled in its subtree, as
-- hotline/access.py require_view), in the warning's order; the first of them is the board's example. The scan
-- stops at the $4th: a surge names thousands of tickets, and the board shows a few. (A function scan returns
-- unnest's elements in order, and nothing here reorders them before the LIMIT.)
SELECT w.id, w.cluster_kind, w.cluster_key, w.category_code, w.community_id, w.window_start, w.window_end,
       w.ticket_count, w.baseline_mean, w.baseline_std, v.ids AS visible_ids, w.raised_at,
       t.number, t.content AS sample_content
FROM early_warnings w
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(f.i ORDER BY f.n), '{}') AS ids
    FROM (SELECT x.i, x.n
          FROM unnest(w.ticket_ids) WITH ORDINALITY AS x (i, n)
          WHERE $1::bigint[] IS NULL
             OR EXISTS (SELECT 1 FROM ticket_units tu WHERE tu.ticket_id = x.i AND tu.unit_id = ANY($1))
             OR EXISTS (SELECT 1 FROM tickets c
                        WHERE c.id = x.i AND (c.holder_unit_id = ANY($1) OR c.co_unit_ids && $1))
          LIMIT $4) f
) v
LEFT JOIN tickets t ON t.id = v.ids[1]
WHERE w.window_end > $2 AND w.window_start <= $3 AND ($1::bigint[] IS NULL OR w.community_ids && $1)
ORDER BY w.window_start DESC, w.id DESC
LIMIT 30;

-- name: units_of_tickets
-- every unit that holds, held or co-handles each ticket ($1 ids): with their ancestors, who may open it
-- (as hotline/access.py require_view has it)
SELECT t.id, array(SELECT tu.unit_id FROM ticket_units tu WHERE tu.ticket_id = t.id) || t.co_unit_ids
             || coalesce(t.holder_unit_id, t.lead_unit_id) AS units
FROM tickets t WHERE t.id = ANY($1::bigint[]);

-- name: early_warnings_between
SELECT id, cluster_kind, cluster_key, category_code, community_id, window_start, window_end, ticket_count,
       baseline_mean, baseline_std, ticket_ids, sample_text, raised_at
FROM early_warnings WHERE window_start >= $1 AND window_start < $2 ORDER BY window_start;

-- name: report_sla_alerts
SELECT unit_id, kind, count(*) AS n
FROM sla_alerts
WHERE raised_at >= $1 AND raised_at < $2 AND ($3::bigint[] IS NULL OR unit_id = ANY($3))
GROUP BY 1, 2;

-- name: misroute_incidents
-- Misrouting (docs/report.md): for tickets created in [$1, $2), every event that ended a dispatch (the
-- misroute_incident fragment), with the unit it ended at, the dispatch decision that had sent the ticket
-- there (its level: the person's unit, or for auto-dispatch the unit the ticket was routed from), the
-- re-route that followed (the next dispatch decision, to the last hop of its chain, same transaction) and the
-- source of the category a correction replaced between the two.
WITH t AS (
    SELECT id, number, lead_unit_id FROM tickets
    WHERE created_at >= $1 AND created_at < $2 AND state <> 'merged' AND (return_count > 0 OR reroute_count > 0)
), incident AS (
    SELECT e.id, e.ticket_id, t.number, t.lead_unit_id, e.at, e.from_unit_id AS unit_id,
           CASE WHEN e.action = 'approve_return' THEN 'returned'
                WHEN e.action = 'reject_return' THEN 'rejected'
                ELSE 'reassigned' END AS kind
    FROM ticket_events e JOIN t ON t.id = e.ticket_id
    WHERE {{misroute_incident}}
)
SELECT i.id, i.ticket_id, i.number, i.lead_unit_id, i.at, i.kind, i.unit_id AS misrouted_unit_id,
       dec.unit_id AS decision_unit_id, coalesce(dec.auto, false) AS auto,
       re.to_unit_id AS reroute_unit_id, fix.from_source AS corrected_from
FROM incident i
LEFT JOIN LATERAL (
    SELECT coalesce(d.actor_unit_id, d.from_unit_id) AS unit_id, d.action = 'route_auto' AS auto, d.at
    FROM ticket_events d
    WHERE d.ticket_id = i.ticket_id AND d.id < i.id AND {{dispatch_decision}}
    ORDER BY d.id DESC LIMIT 1
) dec ON true
LEFT JOIN LATERAL (
    SELECT last_hop.to_unit_id, first_hop.at
    FROM (SELECT d.id, d.at FROM ticket_events d
          WHERE d.ticket_id = i.ticket_id AND d.id > i.id AND i.kind <> 'rejected' AND {{dispatch_decision}}
          ORDER BY d.id LIMIT 1) first_hop
    CROSS JOIN LATERAL (
        SELECT d.to_unit_id FROM ticket_events d
        WHERE d.ticket_id = i.ticket_id AND d.id >= first_hop.id AND d.at = first_hop.at
          AND d.action IN ('route_auto', 'assign')
        ORDER BY d.id DESC LIMIT 1) last_hop
) re ON true
LEFT JOIN LATERAL (
    SELECT l.from_source FROM category_labels l
    WHERE l.ticket_id = i.ticket_id AND l.from_code IS DISTINCT FROM l.to_code AND l.at > dec.at AND l.at <= re.at
    ORDER BY l.at, l.id LIMIT 1
) fix ON true
ORDER BY i.ticket_id, i.id;

-- name: misrouting_summary
-- Tickets created in [$1, $2) that intake routed (auto-dispatched or queued for a dispatcher; both events carry
-- the creation time), with lead unit in $3 (NULL: all): how many were returned or re-routed, and how the
-- auto-dispatched ones ended.
WITH routed AS (
    SELECT ticket_id, bool_or(action = 'route_auto') AS auto FROM ticket_events
    WHERE action IN ('route_auto', 'queue_for_dispatcher') AND at >= $1 AND at < $2
    GROUP BY ticket_id
)
SELECT count(*) AS dispatched,
       count(*) FILTER (WHERE r.auto) AS auto,
       count(*) FILTER (WHERE r.auto AND t.state = 'closed') AS auto_closed,
       count(*) FILTER (WHERE r.auto AND t.state = 'closed' AND t.reroute_count = 0) AS auto_accurate,
       count(*) FILTER (WHERE t.return_count > 0) AS returned,
       count(*) FILTER (WHERE t.reroute_count > 0) AS rerouted,
       count(*) FILTER (WHERE t.return_count > 0 OR t.reroute_count > 0) AS returned_or_rerouted
FROM routed r JOIN tickets t ON t.id = r.ticket_id
WHERE t.created_at >= $1 AND t.created_at < $2 AND t.state <> 'merged'
  AND ($3::bigint[] IS NULL OR t.lead_unit_id = ANY($3));

-- name: misrouting_lead_counts
-- Tickets created in [$1, $2) per lead unit: with the misrouted ones, what a unit received.
SELECT lead_unit_id AS unit_id, count(*) AS n FROM tickets
WHERE created_at >= $1 AND created_at < $2 AND state <> 'merged' AND lead_unit_id IS NOT NULL
GROUP BY lead_unit_id;
