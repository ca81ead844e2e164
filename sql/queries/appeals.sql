-- The appeal gate (申诉关; hotline/tickets/appeals.py, hotline/api/appeals.py): a unit contests an
-- outcome that counts against it, a supervisor decides. The report reads approved appeals.
--
-- appeal_with_number: an appeal row with its ticket's number, as the API answers it.

-- fragment: appeal_with_number
SELECT a.*, t.number AS ticket_number FROM appeals a JOIN tickets t ON t.id = a.ticket_id

-- name: insert_appeal
-- No row when the unit already appealed this kind and was not rejected (appeals_one_per_kind).
INSERT INTO appeals (ticket_id, unit_id, kind, reason, filed_by, filed_at, attachments)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id;

-- name: appeal_by_id
SELECT * FROM appeals WHERE id = $1;

-- name: lock_appeal
SELECT * FROM appeals WHERE id = $1 FOR UPDATE;

-- name: decide_appeal
-- $6 the ticket's number, so the answer needs no second read.
UPDATE appeals SET status = $2, decided_by = $3, decided_at = $4, decision_note = $5
WHERE id = $1 RETURNING *, $6::text AS ticket_number;

-- name: appeal_with_number_by_id
{{appeal_with_number}} WHERE a.id = $1;

-- name: list_appeals
-- The appeals of the units $1 (NULL: all), pending first, then the newest.
{{appeal_with_number}} WHERE ($1::bigint[] IS NULL OR a.unit_id = ANY($1::bigint[]))
ORDER BY (a.status = 'pending') DESC, a.id DESC LIMIT 200;


-- name: appeals_of_ticket
{{appeal_with_number}} WHERE a.ticket_id = $1 ORDER BY a.id;
