-- Finding a ticket (hotline/tickets/search.py, GET /api/search/tickets): by number, caller phone or free text
-- (the jieba tokens of migration 0013), filtered and paged newest or oldest first with a keyset on
-- (created_at, id). One query per key and order, so each plan fits its index: the number's prefix index,
-- tickets_caller, the GIN index on tickets.search, or the created_at order alone.
--
-- Every query takes the same parameters: $1 the units whose tickets the user may see (NULL: all), $2 states
-- (NULL: any), $3 type, $4 channel, $5 category, $6 a unit that holds or held the ticket, $7 overdue only,
-- $8 supervised only, $9 created from, $10 created before, $11 now, $12 and $13 the keyset (created_at and
-- id of the last row shown; NULL: the first page), $14 how many rows; the keyed ones $15 the key.
-- The search runs with custom plans (search_custom_plans): a generic plan could not drop the filters not
-- asked for.

-- name: search_custom_plans
SELECT set_config('plan_cache_mode', 'force_custom_plan', true);

-- fragment: search_filters
-- The scope's EXISTS is probed per row, through the ticket's own few holders: OFFSET 0 keeps PostgreSQL from
-- hashing every ticket a district ever held before the first row (500,000 for 东湖区 in bench/search.py), and
-- `+ 0` from searching the (unit_id, ticket_id) index once per unit of the district for each row.
($1::bigint[] IS NULL OR t.co_unit_ids && $1::bigint[]
     OR EXISTS (SELECT 1 FROM ticket_units tu WHERE tu.ticket_id = t.id AND tu.unit_id + 0 = ANY($1::bigint[])
                OFFSET 0))
AND ($2::text[] IS NULL OR t.state = ANY($2::text[]))
AND ($3::text IS NULL OR t.type = $3::text)
AND ($4::text IS NULL OR t.channel = $4::text)
AND ($5::text IS NULL OR t.category_code = $5::text)
AND ($6::bigint IS NULL OR t.co_unit_ids @> ARRAY[$6::bigint]
     OR EXISTS (SELECT 1 FROM ticket_units tu WHERE tu.ticket_id = t.id AND tu.unit_id = $6::bigint))
AND (NOT $7::boolean
     OR EXISTS (SELECT 1 FROM sla_alerts a WHERE a.ticket_id = t.id AND a.kind = 'overdue')
     OR EXISTS (SELECT 1 FROM deadlines d WHERE d.ticket_id = t.id AND d.status = 'running' AND d.due_at < $11::timestamptz))
AND (NOT $8::boolean OR EXISTS (SELECT 1 FROM supervision_orders o WHERE o.ticket_id = t.id))
AND ($9::timestamptz IS NULL OR t.created_at >= $9::timestamptz)
AND ($10::timestamptz IS NULL OR t.created_at < $10::timestamptz)

-- fragment: search_page_columns
-- what a result line shows beside the ticket: its next deadline, the two flags, its last step
(SELECT min(d.due_at) FROM deadlines d WHERE d.ticket_id = page.id AND d.status = 'running') AS next_due,
EXISTS (SELECT 1 FROM sla_alerts a WHERE a.ticket_id = page.id AND a.kind = 'overdue')
    OR EXISTS (SELECT 1 FROM deadlines d WHERE d.ticket_id = page.id AND d.status = 'running'
               AND d.due_at < $11::timestamptz) AS overdue,
EXISTS (SELECT 1 FROM supervision_orders o WHERE o.ticket_id = page.id) AS supervised,
(SELECT e.action FROM ticket_events e WHERE e.ticket_id = page.id ORDER BY e.id DESC LIMIT 1) AS last_action,
(SELECT e.at FROM ticket_events e WHERE e.ticket_id = page.id ORDER BY e.id DESC LIMIT 1) AS last_at

-- name: search_newest_number
-- newest first, by a number or its beginning ($15: the prefix with %)
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE t.number LIKE $15::text AND {{search_filters}}
      AND ($12::timestamptz IS NULL OR (t.created_at, t.id) < ($12::timestamptz, $13::bigint))
    ORDER BY t.created_at DESC, t.id DESC LIMIT $14
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at DESC, page.id DESC;

-- name: search_oldest_number
-- oldest first, by a number or its beginning ($15: the prefix with %)
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE t.number LIKE $15::text AND {{search_filters}}
      AND ($12::timestamptz IS NULL OR (t.created_at, t.id) > ($12::timestamptz, $13::bigint))
    ORDER BY t.created_at ASC, t.id ASC LIMIT $14
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at ASC, page.id ASC;

-- name: search_newest_phone
-- newest first, by the caller's number ($15)
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE t.caller_phone = $15::text AND {{search_filters}}
      AND ($12::timestamptz IS NULL OR (t.created_at, t.id) < ($12::timestamptz, $13::bigint))
    ORDER BY t.created_at DESC, t.id DESC LIMIT $14
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at DESC, page.id DESC;

-- name: search_oldest_phone
-- oldest first, by the caller's number ($15)
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE t.caller_phone = $15::text AND {{search_filters}}
      AND ($12::timestamptz IS NULL OR (t.created_at, t.id) > ($12::timestamptz, $13::bigint))
    ORDER BY t.created_at ASC, t.id ASC LIMIT $14
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at ASC, page.id ASC;

-- name: search_newest_text
-- newest first, by free text ($15: the query's jieba words, space separated; all must match)
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE t.search @@ plainto_tsquery('simple', $15::text) AND {{search_filters}}
      AND ($12::timestamptz IS NULL OR (t.created_at, t.id) < ($12::timestamptz, $13::bigint))
    ORDER BY t.created_at DESC, t.id DESC LIMIT $14
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at DESC, page.id DESC;

-- name: search_newest_text_recent
-- newest first, by free text, among the newest $16 tickets only (before the keyset, within the dates), read in
-- created_at order without the GIN index: common words (小区 物业) fill a page there, where the GIN index
-- would hand over a tenth of the city to sort (hotline/tickets/search.py `_newest_words`)
WITH recent AS (
    SELECT {{ticket_columns}}, search FROM tickets t
    WHERE ($12::timestamptz IS NULL OR (t.created_at, t.id) < ($12::timestamptz, $13::bigint))
      AND ($9::timestamptz IS NULL OR t.created_at >= $9::timestamptz)
      AND ($10::timestamptz IS NULL OR t.created_at < $10::timestamptz)
    ORDER BY t.created_at DESC, t.id DESC LIMIT $16
), page AS (
    SELECT {{ticket_columns}} FROM recent t
    WHERE t.search @@ plainto_tsquery('simple', $15::text) AND {{search_filters}}
    ORDER BY t.created_at DESC, t.id DESC LIMIT $14
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at DESC, page.id DESC;

-- name: search_oldest_text
-- oldest first, by free text ($15: the query's jieba words, space separated; all must match)
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE t.search @@ plainto_tsquery('simple', $15::text) AND {{search_filters}}
      AND ($12::timestamptz IS NULL OR (t.created_at, t.id) > ($12::timestamptz, $13::bigint))
    ORDER BY t.created_at ASC, t.id ASC LIMIT $14
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at ASC, page.id ASC;

-- name: search_newest_filters
-- newest first, by the filters alone
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE {{search_filters}}
      AND ($12::timestamptz IS NULL OR (t.created_at, t.id) < ($12::timestamptz, $13::bigint))
    ORDER BY t.created_at DESC, t.id DESC LIMIT $14
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at DESC, page.id DESC;

-- name: search_oldest_filters
-- oldest first, by the filters alone
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE {{search_filters}}
      AND ($12::timestamptz IS NULL OR (t.created_at, t.id) > ($12::timestamptz, $13::bigint))
    ORDER BY t.created_at ASC, t.id ASC LIMIT $14
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at ASC, page.id ASC;

-- name: search_unindexed_exists
-- Rows written before migration 0013 (or by anything that did not index them) wait for search_index.backfill.
SELECT EXISTS (SELECT 1 FROM tickets WHERE search_tokens IS NULL);

-- name: search_unindexed
SELECT id, content FROM tickets WHERE search_tokens IS NULL ORDER BY id LIMIT $1;

-- name: search_set_tokens
UPDATE tickets t SET search_tokens = r.tokens
FROM unnest($1::bigint[], $2::text[]) AS r (id, tokens)
WHERE t.id = r.id;

-- name: public_progress
-- The citizen's own look-up (hotline/api/progress.py): the ticket by its number, with the phone to compare
-- the last four digits against; nothing of it leaves but state, levels and dates.
SELECT id, number, state, caller_phone, holder_unit_id, created_at, assigned_at, signed_at, completed_at,
       closed_at, satisfaction
FROM tickets WHERE number = $1;
