-- Finding a ticket (hotline/tickets/search.py, GET /api/search/tickets): by number, caller phone or free text
-- (the jieba tokens of migration 0013), filtered and paged newest or oldest first with a keyset on
-- (created_at, id). One query per key, order and kind of scope, so each plan fits its index: the number's
-- prefix index, tickets_caller, the GIN index on tickets.search, or the created_at order alone.
--
-- Every query takes the same parameters: $1 the units whose tickets are searched (those the user may see, or
-- the one unit asked for; NULL: all), $2 states (NULL: any), $3 type, $4 channel, $5 category, $6 overdue
-- only, $7 supervised only, $8 created from, $9 created before, $10 now, $11 and $12 the keyset (created_at
-- and id of the last row shown; NULL: the first page), $13 how many rows; the keyed ones $14 the key.
-- The search runs with custom plans (search_custom_plans): a generic plan could not drop the filters not
-- asked for.
--
-- Two kinds of scope. A narrow one (a street's, department's or community's tickets, or one unit's, when they
-- number at most NARROW_TICKETS: search_scope_tickets_up_to) is few enough to start from: its ticket ids
-- first, then those tickets, each checked, behind fences (MATERIALIZED), then the page. With ORDER BY and
-- LIMIT in view PostgreSQL would walk the city's tickets newest first hoping to meet the unit's soon, and
-- meet none for words the unit never gets (停水 at a department: every ticket read, 1.8 s); given the words
-- first, it would fetch every ticket of the city with common words (小区 物业) to keep the community's.

-- name: search_scope_tickets_up_to
-- how many tickets the units ($1) hold or held, counted no further than $2 + 1 (hotline/tickets/search.py
-- sized_scope): the (unit_id, ticket_id) index read no further than that, so a large scope costs no more than a
-- small one
SELECT count(*) FROM (SELECT 1 FROM ticket_units tu WHERE tu.unit_id = ANY($1::bigint[]) LIMIT $2 + 1) s;

-- name: search_custom_plans
SELECT set_config('plan_cache_mode', 'force_custom_plan', true);

-- fragment: search_scope_wide
-- The whole city, or a district's tickets (half the city's in bench/search.py): probed per row, through the
-- ticket's own few holders. OFFSET 0 keeps PostgreSQL from hashing every ticket the district ever held
-- before the first row, `+ 0` from searching the (unit_id, ticket_id) index once per unit for each row.
($1::bigint[] IS NULL
 OR EXISTS (SELECT 1 FROM ticket_units tu WHERE tu.ticket_id = t.id AND tu.unit_id + 0 = ANY($1::bigint[]) OFFSET 0))

-- fragment: search_filters
($2::text[] IS NULL OR t.state = ANY($2::text[]))
AND ($3::text IS NULL OR t.type = $3::text)
AND ($4::text IS NULL OR t.channel = $4::text)
AND ($5::text IS NULL OR t.category_code = $5::text)
AND (NOT $6::boolean
     OR EXISTS (SELECT 1 FROM sla_alerts a WHERE a.ticket_id = t.id AND a.kind = 'overdue')
     OR EXISTS (SELECT 1 FROM deadlines d WHERE d.ticket_id = t.id AND d.status = 'running' AND d.due_at < $10::timestamptz))
AND (NOT $7::boolean OR EXISTS (SELECT 1 FROM supervision_orders o WHERE o.ticket_id = t.id))
AND ($8::timestamptz IS NULL OR t.created_at >= $8::timestamptz)
AND ($9::timestamptz IS NULL OR t.created_at < $9::timestamptz)

-- fragment: search_page_columns
-- what a result line shows beside the ticket: its next deadline, the two flags, its last step
(SELECT min(d.due_at) FROM deadlines d WHERE d.ticket_id = page.id AND d.status = 'running') AS next_due,
EXISTS (SELECT 1 FROM sla_alerts a WHERE a.ticket_id = page.id AND a.kind = 'overdue')
    OR EXISTS (SELECT 1 FROM deadlines d WHERE d.ticket_id = page.id AND d.status = 'running'
               AND d.due_at < $10::timestamptz) AS overdue,
EXISTS (SELECT 1 FROM supervision_orders o WHERE o.ticket_id = page.id) AS supervised,
(SELECT e.action FROM ticket_events e WHERE e.ticket_id = page.id ORDER BY e.id DESC LIMIT 1) AS last_action,
(SELECT e.at FROM ticket_events e WHERE e.ticket_id = page.id ORDER BY e.id DESC LIMIT 1) AS last_at

-- fragment: search_words
-- the words ($14), and, when the search starts at a date ($8) at most 400 days before the page's top (the end
-- date, the keyset or now), the dates between (migration 0024): custom plans fold this into one constant the GIN
-- index tickets_search_dates takes, so a window or a date range reads only its own days' matches
ticket_search_dates(t.search, t.created_at) @@ CASE
    WHEN $8::timestamptz IS NULL
      OR least($9::timestamptz, $11::timestamptz, $10::timestamptz) - $8::timestamptz > interval '400 days'
    THEN plainto_tsquery('simple', $14::text)
    ELSE plainto_tsquery('simple', $14::text)
         && search_dates_query($8::timestamptz, least($9::timestamptz, $11::timestamptz, $10::timestamptz))
END

-- name: search_newest_number_wide
-- newest first, by a number or its beginning ($14: the prefix with %), in a wide scope
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE t.number LIKE $14::text AND {{search_scope_wide}} AND {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) < ($11::timestamptz, $12::bigint))
    ORDER BY t.created_at DESC, t.id DESC LIMIT $13
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at DESC, page.id DESC;

-- name: search_oldest_number_wide
-- oldest first, by a number or its beginning ($14: the prefix with %), in a wide scope
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE t.number LIKE $14::text AND {{search_scope_wide}} AND {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) > ($11::timestamptz, $12::bigint))
    ORDER BY t.created_at ASC, t.id ASC LIMIT $13
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at ASC, page.id ASC;

-- name: search_newest_phone_wide
-- newest first, by the caller's number ($14), in a wide scope
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE t.caller_phone = $14::text AND {{search_scope_wide}} AND {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) < ($11::timestamptz, $12::bigint))
    ORDER BY t.created_at DESC, t.id DESC LIMIT $13
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at DESC, page.id DESC;

-- name: search_oldest_phone_wide
-- oldest first, by the caller's number ($14), in a wide scope
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE t.caller_phone = $14::text AND {{search_scope_wide}} AND {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) > ($11::timestamptz, $12::bigint))
    ORDER BY t.created_at ASC, t.id ASC LIMIT $13
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at ASC, page.id ASC;

-- name: search_newest_text_wide
-- newest first, by free text ($14: the query's jieba words, space separated; all must match), in a wide scope
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE {{search_words}} AND {{search_scope_wide}} AND {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) < ($11::timestamptz, $12::bigint))
    ORDER BY t.created_at DESC, t.id DESC LIMIT $13
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at DESC, page.id DESC;

-- name: search_oldest_text_wide
-- oldest first, by free text ($14: the query's jieba words, space separated; all must match), in a wide scope
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE {{search_words}} AND {{search_scope_wide}} AND {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) > ($11::timestamptz, $12::bigint))
    ORDER BY t.created_at ASC, t.id ASC LIMIT $13
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at ASC, page.id ASC;

-- name: search_newest_filters_wide
-- newest first, by the filters alone, in a wide scope
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE {{search_scope_wide}} AND {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) < ($11::timestamptz, $12::bigint))
    ORDER BY t.created_at DESC, t.id DESC LIMIT $13
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at DESC, page.id DESC;

-- name: search_oldest_filters_wide
-- oldest first, by the filters alone, in a wide scope
WITH page AS (
    SELECT {{ticket_columns}} FROM tickets t
    WHERE {{search_scope_wide}} AND {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) > ($11::timestamptz, $12::bigint))
    ORDER BY t.created_at ASC, t.id ASC LIMIT $13
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at ASC, page.id ASC;

-- name: search_newest_text_recent
-- newest first, by free text, among the newest $15 tickets only (before the keyset, within the dates), read in
-- created_at order without the GIN index: common words (小区 物业) fill a page there, where the GIN index
-- would hand over a tenth of the city to sort (hotline/tickets/search.py `_newest_words`)
WITH recent AS (
    SELECT {{ticket_columns}}, search FROM tickets t
    WHERE ($11::timestamptz IS NULL OR (t.created_at, t.id) < ($11::timestamptz, $12::bigint))
      AND ($8::timestamptz IS NULL OR t.created_at >= $8::timestamptz)
      AND ($9::timestamptz IS NULL OR t.created_at < $9::timestamptz)
    ORDER BY t.created_at DESC, t.id DESC LIMIT $15
), page AS (
    SELECT {{ticket_columns}} FROM recent t
    WHERE t.search @@ plainto_tsquery('simple', $14::text) AND {{search_scope_wide}} AND {{search_filters}}
    ORDER BY t.created_at DESC, t.id DESC LIMIT $13
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at DESC, page.id DESC;

-- name: search_newest_number_narrow
-- newest first, by a number or its beginning ($14: the prefix with %), in a narrow scope
WITH scope AS MATERIALIZED (
    SELECT DISTINCT tu.ticket_id FROM ticket_units tu WHERE tu.unit_id = ANY($1::bigint[])
), candidates AS MATERIALIZED (
    SELECT t.id, t.created_at FROM scope JOIN tickets t ON t.id = scope.ticket_id
    WHERE t.number LIKE $14::text AND {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) < ($11::timestamptz, $12::bigint))
), chosen AS (
    SELECT id FROM candidates ORDER BY created_at DESC, id DESC LIMIT $13
), page AS (
    SELECT {{ticket_columns}} FROM tickets t WHERE t.id IN (SELECT id FROM chosen)
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at DESC, page.id DESC;

-- name: search_oldest_number_narrow
-- oldest first, by a number or its beginning ($14: the prefix with %), in a narrow scope
WITH scope AS MATERIALIZED (
    SELECT DISTINCT tu.ticket_id FROM ticket_units tu WHERE tu.unit_id = ANY($1::bigint[])
), candidates AS MATERIALIZED (
    SELECT t.id, t.created_at FROM scope JOIN tickets t ON t.id = scope.ticket_id
    WHERE t.number LIKE $14::text AND {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) > ($11::timestamptz, $12::bigint))
), chosen AS (
    SELECT id FROM candidates ORDER BY created_at ASC, id ASC LIMIT $13
), page AS (
    SELECT {{ticket_columns}} FROM tickets t WHERE t.id IN (SELECT id FROM chosen)
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at ASC, page.id ASC;

-- name: search_newest_phone_narrow
-- newest first, by the caller's number ($14), in a narrow scope
WITH scope AS MATERIALIZED (
    SELECT DISTINCT tu.ticket_id FROM ticket_units tu WHERE tu.unit_id = ANY($1::bigint[])
), candidates AS MATERIALIZED (
    SELECT t.id, t.created_at FROM scope JOIN tickets t ON t.id = scope.ticket_id
    WHERE t.caller_phone = $14::text AND {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) < ($11::timestamptz, $12::bigint))
), chosen AS (
    SELECT id FROM candidates ORDER BY created_at DESC, id DESC LIMIT $13
), page AS (
    SELECT {{ticket_columns}} FROM tickets t WHERE t.id IN (SELECT id FROM chosen)
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at DESC, page.id DESC;

-- name: search_oldest_phone_narrow
-- oldest first, by the caller's number ($14), in a narrow scope
WITH scope AS MATERIALIZED (
    SELECT DISTINCT tu.ticket_id FROM ticket_units tu WHERE tu.unit_id = ANY($1::bigint[])
), candidates AS MATERIALIZED (
    SELECT t.id, t.created_at FROM scope JOIN tickets t ON t.id = scope.ticket_id
    WHERE t.caller_phone = $14::text AND {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) > ($11::timestamptz, $12::bigint))
), chosen AS (
    SELECT id FROM candidates ORDER BY created_at ASC, id ASC LIMIT $13
), page AS (
    SELECT {{ticket_columns}} FROM tickets t WHERE t.id IN (SELECT id FROM chosen)
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at ASC, page.id ASC;

-- name: search_newest_text_narrow
-- newest first, by free text ($14: the query's jieba words, space separated; all must match), in a narrow scope
WITH scope AS MATERIALIZED (
    SELECT DISTINCT tu.ticket_id FROM ticket_units tu WHERE tu.unit_id = ANY($1::bigint[])
), candidates AS MATERIALIZED (
    SELECT t.id, t.created_at FROM scope JOIN tickets t ON t.id = scope.ticket_id
    WHERE t.search @@ plainto_tsquery('simple', $14::text) AND {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) < ($11::timestamptz, $12::bigint))
), chosen AS (
    SELECT id FROM candidates ORDER BY created_at DESC, id DESC LIMIT $13
), page AS (
    SELECT {{ticket_columns}} FROM tickets t WHERE t.id IN (SELECT id FROM chosen)
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at DESC, page.id DESC;

-- name: search_oldest_text_narrow
-- oldest first, by free text ($14: the query's jieba words, space separated; all must match), in a narrow scope
WITH scope AS MATERIALIZED (
    SELECT DISTINCT tu.ticket_id FROM ticket_units tu WHERE tu.unit_id = ANY($1::bigint[])
), candidates AS MATERIALIZED (
    SELECT t.id, t.created_at FROM scope JOIN tickets t ON t.id = scope.ticket_id
    WHERE t.search @@ plainto_tsquery('simple', $14::text) AND {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) > ($11::timestamptz, $12::bigint))
), chosen AS (
    SELECT id FROM candidates ORDER BY created_at ASC, id ASC LIMIT $13
), page AS (
    SELECT {{ticket_columns}} FROM tickets t WHERE t.id IN (SELECT id FROM chosen)
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at ASC, page.id ASC;

-- name: search_newest_filters_narrow
-- newest first, by the filters alone, in a narrow scope
WITH scope AS MATERIALIZED (
    SELECT DISTINCT tu.ticket_id FROM ticket_units tu WHERE tu.unit_id = ANY($1::bigint[])
), candidates AS MATERIALIZED (
    SELECT t.id, t.created_at FROM scope JOIN tickets t ON t.id = scope.ticket_id
    WHERE {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) < ($11::timestamptz, $12::bigint))
), chosen AS (
    SELECT id FROM candidates ORDER BY created_at DESC, id DESC LIMIT $13
), page AS (
    SELECT {{ticket_columns}} FROM tickets t WHERE t.id IN (SELECT id FROM chosen)
)
SELECT page.*, {{search_page_columns}}
FROM page ORDER BY page.created_at DESC, page.id DESC;

-- name: search_oldest_filters_narrow
-- oldest first, by the filters alone, in a narrow scope
WITH scope AS MATERIALIZED (
    SELECT DISTINCT tu.ticket_id FROM ticket_units tu WHERE tu.unit_id = ANY($1::bigint[])
), candidates AS MATERIALIZED (
    SELECT t.id, t.created_at FROM scope JOIN tickets t ON t.id = scope.ticket_id
    WHERE {{search_filters}}
      AND ($11::timestamptz IS NULL OR (t.created_at, t.id) > ($11::timestamptz, $12::bigint))
), chosen AS (
    SELECT id FROM candidates ORDER BY created_at ASC, id ASC LIMIT $13
), page AS (
    SELECT {{ticket_columns}} FROM tickets t WHERE t.id IN (SELECT id FROM chosen)
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

-- name: search_dates_asked
-- What the text index is asked for a date range (migration 0024's `search_dates_query`), as text: its days, weeks
-- and 28-day spans (tests/tickets/test_search_dates.py checks that they cover the range exactly).
SELECT search_dates_query($1::timestamptz, $2::timestamptz)::text;

-- name: search_dates_match
-- Whether a ticket created at $3 with the word 停水 is matched by that word between the dates $1 and $2, as the
-- search's `search_words` fragment asks (tests/tickets/test_search_dates.py).
SELECT ticket_search_dates(to_tsvector('simple', '停水'), $3::timestamptz)
       @@ (plainto_tsquery('simple', '停水') && search_dates_query($1::timestamptz, $2::timestamptz));
