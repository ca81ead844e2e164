-- Tickets (hotline/tickets/, hotline/api/tickets.py): reading and locking a ticket, intake, the
-- event log, the handling records (contacts, extension requests, suspensions), the ticket lists
-- and the log of personal-data reads. The one dynamic statement, journal.apply_hops (its SET list
-- depends on the columns a use-case changes), is built in Python with the ticket_columns fragment.
--
-- ticket_columns: every column of hotline.tickets.records.Ticket, in its field order (a test in
-- tests/foundation/test_queries.py keeps them equal).

-- fragment: ticket_columns
id, number, type, channel, caller_phone, caller_name, address, content, category_code,
    category_confidence, category_source, urgency, is_complex, complexity, place, state, holder_unit_id,
    lead_unit_id, co_unit_ids, master_ticket_id, kb_entry_id, routing, created_by, created_at, updated_at,
    assigned_at, signed_at, first_contact_at, completed_at, closed_at, satisfaction, resolved,
    return_count, reroute_count, reopen_count, version, confidential, repeats

-- name: lock_ticket
SELECT {{ticket_columns}} FROM tickets WHERE id = $1 FOR UPDATE;

-- name: lock_tickets_in_order
-- Several tickets locked in id order (the locking node sits above the sort), like the timer windows:
-- two actions on the same tickets then queue behind each other instead of deadlocking.
SELECT {{ticket_columns}} FROM tickets WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE;

-- name: ticket_by_id
-- For reading only (no lock).
SELECT {{ticket_columns}} FROM tickets WHERE id = $1;

-- name: ticket_id_by_idempotency_key
SELECT id FROM tickets WHERE idempotency_key = $1;

-- name: insert_ticket
-- The ticket, the centre as its first holder, and its creation event in one statement. The number
-- is the local date ($1) and the sequence, at least 7 digits. A retried submit (same idempotency key)
-- waits for the first one to commit, then inserts nothing and returns no row. $23: the content's search tokens
-- (hotline/tickets/search_index.py). $24-$27: the model's guess kept for the ticket (model version, category,
-- top, margin: hotline/learning/labels.py), in the same round trip; no row when $24 is NULL: a person chose.
-- repeats (重复诉求): the tickets within the window $28 before it from the same caller, or of the same category
-- at the same community (ticket_places: the tickets with a category and a community, migration 0021), itself
-- included (two calls in the same instant may not count each other: a board list, not an invariant).
WITH ticket AS (
    INSERT INTO tickets (number, idempotency_key, type, channel, caller_phone, caller_name, address, content,
                         category_code, category_confidence, category_source, urgency, is_complex, complexity, place,
                         state, holder_unit_id, created_by, created_at, updated_at, confidential, search_tokens,
                         repeats)
    VALUES ((SELECT $1::text || CASE WHEN n < 10000000 THEN lpad(n::text, 7, '0') ELSE n::text END
             FROM nextval('ticket_number_seq') AS n),
            $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'new', $16, $17, $18, $18, $22, $23,
            1 + greatest(
                (SELECT count(*) FROM tickets o
                 WHERE o.caller_phone = $5 AND o.created_at > $18::timestamptz - $28::interval AND o.created_at <= $18),
                (SELECT count(*) FROM ticket_places o
                 WHERE o.category_code = $9 AND o.community = $15::jsonb ->> 'community_id'
                   AND o.created_at > $18::timestamptz - $28::interval AND o.created_at <= $18)))
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING {{ticket_columns}}
), held AS (
    INSERT INTO ticket_units (ticket_id, unit_id, first_at) SELECT id, holder_unit_id, created_at FROM ticket
), created AS (
    INSERT INTO ticket_events (ticket_id, at, actor_id, actor_unit_id, action, from_state, to_state, to_unit_id,
                               payload)
    SELECT id, created_at, created_by, $19::bigint, $20::text, NULL, 'new', holder_unit_id, $21::jsonb FROM ticket
), predicted AS (
    INSERT INTO ticket_predictions (ticket_id, model_version, category_code, top, margin)
    SELECT id, $24::text, $25::text, $26::jsonb, $27::real FROM ticket WHERE $24::text IS NOT NULL
    ON CONFLICT (ticket_id) DO NOTHING
)
SELECT * FROM ticket;

-- name: caller_history
SELECT id, number, type, category_code, state, content, created_at
FROM tickets WHERE caller_phone = $1 ORDER BY created_at DESC LIMIT 10;

-- name: merge_candidates
SELECT id, number, category_code, state, content, address, caller_phone, place, created_at
FROM tickets
WHERE state IN ('new', 'pending_dispatch', 'assigned', 'signed', 'suspended', 'returned', 'completed', 'reviewed')
  AND created_at >= $1
  AND (caller_phone = $2 OR category_code = $3 OR (place ->> 'community_id')::bigint = $4)
ORDER BY created_at DESC
LIMIT 300;

-- name: insert_event
-- An action that does not change the state (a note, an urge, an appeal): from and to are the same.
INSERT INTO ticket_events (ticket_id, at, actor_id, actor_unit_id, action, from_state, to_state,
                           from_unit_id, to_unit_id, reason, payload)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);

-- name: ticket_events
-- With the names units had when the event happened (unit_names keeps the names before a rename; NULL: the
-- unit has had its present name since).
SELECT e.id, e.at, e.action, e.from_state, e.to_state, e.from_unit_id, e.to_unit_id, e.reason, e.payload,
       e.actor_id, u.display_name AS actor_name, e.actor_unit_id,
       (SELECT n.name FROM unit_names n WHERE n.unit_id = e.from_unit_id AND n.until > e.at
        ORDER BY n.until LIMIT 1) AS from_unit_name_then,
       (SELECT n.name FROM unit_names n WHERE n.unit_id = e.to_unit_id AND n.until > e.at
        ORDER BY n.until LIMIT 1) AS to_unit_name_then
FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id
WHERE e.ticket_id = $1 ORDER BY e.id;

-- name: open_deadlines
SELECT id, track, rule_name, unit_id, start_at, due_at, warn_at, status
FROM deadlines WHERE ticket_id = $1 AND status IN ('running', 'paused') ORDER BY id;

-- name: insert_pii_reads
-- Reads of callers' personal data (privacy log, hotline/tickets/pii_log.py): one row per ticket read
-- unmasked ($2 ticket ids, $4 their fields as comma-separated names), all in one statement.
INSERT INTO pii_reads (user_id, ticket_id, at, fields, via)
SELECT $1, r.ticket_id, $3, string_to_array(r.fields, ','), $5
FROM unnest($2::bigint[], $4::text[]) AS r (ticket_id, fields);

-- name: pii_reads_page
-- The administrators' view of the log, newest first: $1 user id, $2 ticket id, $3 from, $4 until (each NULL:
-- any), $5 limit, $6 offset.
SELECT r.id, r.at, r.fields, r.via, r.user_id, u.username, u.display_name, u.unit_id, r.ticket_id, t.number
FROM pii_reads r JOIN users u ON u.id = r.user_id JOIN tickets t ON t.id = r.ticket_id
WHERE ($1::bigint IS NULL OR r.user_id = $1) AND ($2::bigint IS NULL OR r.ticket_id = $2)
  AND ($3::timestamptz IS NULL OR r.at >= $3) AND ($4::timestamptz IS NULL OR r.at < $4)
ORDER BY r.at DESC, r.id DESC LIMIT $5 OFFSET $6;

-- name: user_id_by_username
SELECT id FROM users WHERE username = $1;

-- name: ticket_id_by_number
SELECT id FROM tickets WHERE number = $1;

-- name: insert_contact
INSERT INTO contacts (ticket_id, unit_id, user_id, at, method, outcome, note) VALUES ($1,$2,$3,$4,$5,$6,$7);

-- name: insert_extension_request
-- No row while the ticket has a pending request (extension_requests_one_pending).
INSERT INTO extension_requests (ticket_id, unit_id, requested_by, requested_at, extra_days, reason)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id;

-- name: pending_extension_request
SELECT id, unit_id, extra_days FROM extension_requests WHERE ticket_id = $1 AND status = 'pending';

-- name: decide_extension_request
UPDATE extension_requests SET status = $2, decided_by = $3, decided_at = $4, decision_note = $5
WHERE id = $1;

-- name: insert_suspension
INSERT INTO suspensions (ticket_id, started_at, reason) VALUES ($1, $2, $3);

-- name: end_suspension
UPDATE suspensions SET ended_at = $2 WHERE ticket_id = $1 AND ended_at IS NULL;

-- name: list_tickets_all
-- The ticket lists (GET /api/tickets), one per scope. All take $1 the units whose tickets the user may
-- see (NULL: all), $2 a state or NULL, $3 limit, $4 offset; a scope's own filter takes $5.
-- Everything the user may see (hotline/access.py require_view: reached, or co-handled, in the subtree).
SELECT {{ticket_columns}},
       (SELECT min(d.due_at) FROM deadlines d WHERE d.ticket_id = t.id AND d.status = 'running') AS next_due
FROM tickets t
WHERE ($1::bigint[] IS NULL OR EXISTS (SELECT 1 FROM ticket_units tu WHERE tu.ticket_id = t.id
                                       AND tu.unit_id = ANY($1::bigint[]))
                            OR t.co_unit_ids && $1::bigint[])
  AND ($2::text IS NULL OR t.state = $2)
ORDER BY next_due NULLS LAST, t.id DESC LIMIT $3 OFFSET $4;

-- name: list_tickets_inbox
-- Held by my unit ($5) for handling; a reopened ticket (重办) with the callback's reason.
SELECT {{ticket_columns}},
       (SELECT min(d.due_at) FROM deadlines d WHERE d.ticket_id = t.id AND d.status = 'running') AS next_due,
       CASE WHEN t.reopen_count > 0 THEN
           (SELECT e.reason FROM ticket_events e WHERE e.ticket_id = t.id AND e.action = 'callback_dissatisfied'
            ORDER BY e.id DESC LIMIT 1) END AS reopen_reason
FROM tickets t
WHERE ($1::bigint[] IS NULL OR EXISTS (SELECT 1 FROM ticket_units tu WHERE tu.ticket_id = t.id
                                       AND tu.unit_id = ANY($1::bigint[])))
  AND t.holder_unit_id = $5 AND t.state IN ('assigned', 'signed', 'suspended')
  AND ($2::text IS NULL OR t.state = $2)
ORDER BY next_due NULLS LAST, t.id DESC LIMIT $3 OFFSET $4;

-- name: list_tickets_queue
-- Waiting for a dispatcher at my unit ($5), the ones the model was least sure of first (active learning:
-- the smallest margin between its first two guesses; a category a person chose counts as sure), then by
-- deadline. With the model's top-3 (hotline/learning/labels.py).
SELECT {{ticket_columns}},
       (SELECT min(d.due_at) FROM deadlines d WHERE d.ticket_id = t.id AND d.status = 'running') AS next_due,
       p.prediction_top, p.prediction_margin, p.prediction_model
FROM tickets t
LEFT JOIN LATERAL (
    SELECT top AS prediction_top, margin AS prediction_margin, model_version AS prediction_model
    FROM ticket_predictions WHERE ticket_id = t.id
) p ON true
WHERE ($1::bigint[] IS NULL OR EXISTS (SELECT 1 FROM ticket_units tu WHERE tu.ticket_id = t.id
                                       AND tu.unit_id = ANY($1::bigint[])))
  AND t.holder_unit_id = $5 AND t.state = 'pending_dispatch'
  AND ($2::text IS NULL OR t.state = $2)
ORDER BY CASE WHEN t.category_source = 'classifier' OR t.category_source IS NULL THEN p.prediction_margin END
             NULLS LAST,
         next_due NULLS LAST, t.id DESC LIMIT $3 OFFSET $4;

-- name: list_tickets_cohandling
-- Co-handled (协办) by my unit or a unit below it ($5): what a co-unit may open without holding it.
-- Cleared when the ticket is re-routed (hotline/tickets/flow.py), so the list follows the ticket. With when the
-- parts of those units were finished (协办完成; NULL while one is not).
SELECT {{ticket_columns}},
       (SELECT min(d.due_at) FROM deadlines d WHERE d.ticket_id = t.id AND d.status = 'running') AS next_due,
       (SELECT CASE WHEN bool_and(p.done_at IS NOT NULL) THEN max(p.done_at) END FROM co_unit_parts p
        WHERE p.ticket_id = t.id AND p.unit_id = ANY($5::bigint[]) AND p.unit_id = ANY(t.co_unit_ids)) AS co_done_at
FROM tickets t
WHERE ($1::bigint[] IS NULL OR t.co_unit_ids && $1::bigint[])
  AND t.co_unit_ids && $5::bigint[]
  AND ($2::text IS NULL OR t.state = $2)
ORDER BY next_due NULLS LAST, t.id DESC LIMIT $3 OFFSET $4;

-- name: list_tickets_reviews
-- Returns and completions held by the units I review ($5: directly below, and below those without reviewers).
SELECT {{ticket_columns}},
       (SELECT min(d.due_at) FROM deadlines d WHERE d.ticket_id = t.id AND d.status = 'running') AS next_due
FROM tickets t
WHERE ($1::bigint[] IS NULL OR EXISTS (SELECT 1 FROM ticket_units tu WHERE tu.ticket_id = t.id
                                       AND tu.unit_id = ANY($1::bigint[])))
  AND t.holder_unit_id = ANY($5::bigint[]) AND t.state IN ('returned', 'completed')
  AND ($2::text IS NULL OR t.state = $2)
ORDER BY next_due NULLS LAST, t.id DESC LIMIT $3 OFFSET $4;

-- name: list_tickets_extensions
-- Pending extension requests of the units below mine ($5).
SELECT {{ticket_columns}},
       (SELECT min(d.due_at) FROM deadlines d WHERE d.ticket_id = t.id AND d.status = 'running') AS next_due
FROM tickets t
WHERE ($1::bigint[] IS NULL OR EXISTS (SELECT 1 FROM ticket_units tu WHERE tu.ticket_id = t.id
                                       AND tu.unit_id = ANY($1::bigint[])))
  AND EXISTS (SELECT 1 FROM extension_requests x WHERE x.ticket_id = t.id AND x.status = 'pending'
              AND x.unit_id = ANY($5::bigint[]))
  AND ($2::text IS NULL OR t.state = $2)
ORDER BY next_due NULLS LAST, t.id DESC LIMIT $3 OFFSET $4;

-- name: insert_callback_attempt
-- One callback attempt (hotline/tickets/callbacks.py); $2 the round (the ticket's reopen count).
INSERT INTO callback_attempts (ticket_id, round, at, user_id, outcome, resolved, satisfaction, note)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: callback_misses
-- Unreachable attempts in this round so far.
SELECT count(*) FROM callback_attempts WHERE ticket_id = $1 AND round = $2 AND outcome = 'unreachable';

-- name: ticket_callback_attempts
SELECT a.id, a.round, a.at, a.outcome, a.resolved, a.satisfaction, a.note, u.display_name AS user_name
FROM callback_attempts a JOIN users u ON u.id = a.user_id WHERE a.ticket_id = $1 ORDER BY a.id;

-- name: list_tickets_callbacks
-- Waiting for the hotline centre's callback, the longest waiting first, with the callback clock and the
-- unreachable attempts of this round.
SELECT {{ticket_columns}}, c.due_at AS next_due, coalesce(c.start_at, t.updated_at) AS waiting_since,
       c.warn_at AS callback_warn_at,
       (SELECT count(*) FROM callback_attempts a WHERE a.ticket_id = t.id AND a.round = t.reopen_count
        AND a.outcome = 'unreachable') AS unreachable_attempts
FROM tickets t
LEFT JOIN LATERAL (
    SELECT d.start_at, d.due_at, d.warn_at FROM deadlines d
    WHERE d.ticket_id = t.id AND d.track = 'callback' AND d.status = 'running' ORDER BY d.id DESC LIMIT 1
) c ON true
WHERE ($1::bigint[] IS NULL OR EXISTS (SELECT 1 FROM ticket_units tu WHERE tu.ticket_id = t.id
                                       AND tu.unit_id = ANY($1::bigint[])))
  AND t.state = 'reviewed'
  AND ($2::text IS NULL OR t.state = $2)
ORDER BY waiting_since, t.id LIMIT $3 OFFSET $4;

-- name: insert_co_unit_parts
-- Co-units named for a ticket ($2); a unit named again keeps its part.
INSERT INTO co_unit_parts (ticket_id, unit_id, added_at, added_by)
SELECT $1, u, $3, $4 FROM unnest($2::bigint[]) AS u ON CONFLICT DO NOTHING;

-- name: co_part_done_at
SELECT done_at FROM co_unit_parts WHERE ticket_id = $1 AND unit_id = $2;

-- name: finish_co_part
-- 协办完成 (a unit named by the ticket's co_unit_ids without a part row yet gets one).
INSERT INTO co_unit_parts (ticket_id, unit_id, added_at, done_at, done_by, result) VALUES ($1, $2, $3, $3, $4, $5)
ON CONFLICT (ticket_id, unit_id) DO UPDATE SET done_at = $3, done_by = $4, result = $5;

-- name: co_parts_of_ticket
-- Each co-unit's part: when it was named, done or not with its result, and its notes and contacts.
SELECT p.unit_id, p.added_at, p.done_at, p.result, u.display_name AS done_by_name,
       coalesce((SELECT jsonb_agg(jsonb_build_object('at', e.at, 'action', e.action, 'text', e.reason,
                                                   'actor', a.display_name, 'payload', e.payload) ORDER BY e.id)
                 FROM ticket_events e LEFT JOIN users a ON a.id = e.actor_id
                 WHERE e.ticket_id = p.ticket_id AND e.action IN ('co_note', 'co_contact')
                   AND e.actor_unit_id = p.unit_id), '[]'::jsonb) AS records
FROM co_unit_parts p LEFT JOIN users u ON u.id = p.done_by
WHERE p.ticket_id = $1 AND p.unit_id = ANY($2::bigint[])
ORDER BY p.added_at, p.unit_id;

-- name: count_unset_repeats
-- 重复诉求 of unfinished tickets written without it (imported or generated history), counted as intake counts
-- it (insert_ticket), over the window $1. Closed history never reaches a board, so it stays uncounted.
UPDATE tickets t SET repeats = greatest(
    (SELECT count(*) FROM tickets o
     WHERE o.caller_phone = t.caller_phone AND o.created_at > t.created_at - $1::interval
       AND o.created_at <= t.created_at),
    (SELECT count(*) FROM ticket_places o
     WHERE o.category_code = t.category_code AND o.community = t.place ->> 'community_id'
       AND o.created_at > t.created_at - $1::interval AND o.created_at <= t.created_at))
WHERE t.repeats IS NULL AND t.state NOT IN ('closed', 'closed_on_spot', 'merged');

-- name: ticket_created_at_moved
-- A ticket placed at another moment of its history: the tests of the search's dates and windows (tickets taken
-- now, found as if taken then). Imports write created_at when they insert.
UPDATE tickets SET created_at = $2 WHERE id = $1;
