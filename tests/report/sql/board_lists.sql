-- The board lists' definitions read plainly, and the data tests/report/test_board_lists.py plants to crowd them.
-- Loaded by that test alone (hotline.queries.load_queries), not by the application.

-- name: overdue_as_defined
-- 超期未办结 as its definition has it (dispatch/supervision.py is_overdue): every running clock of the scope ($1)
-- past its due time at $2, the earliest per ticket; the earliest first, then by ticket; $3 lines.
SELECT t.id, t.number, t.state, t.holder_unit_id, t.category_code, left(t.content, 120) AS summary, t.created_at,
       min(d.due_at) AS due_at
FROM deadlines d JOIN tickets t ON t.id = d.ticket_id
WHERE d.status = 'running' AND d.track IN ('reply', 'accept', 'complete') AND d.due_at <= $2
  AND t.holder_unit_id = ANY($1)
GROUP BY t.id ORDER BY min(d.due_at), t.id LIMIT $3;

-- name: dissatisfied_as_defined
-- Open tickets of the scope ($1) reopened at least $2 times, the most first, then the newest; $3 lines.
SELECT id FROM tickets
WHERE state NOT IN ('closed', 'closed_on_spot', 'merged') AND reopen_count >= $2 AND holder_unit_id = ANY($1)
ORDER BY reopen_count DESC, id DESC LIMIT $3;

-- name: disputed_as_defined
-- Open tickets of the scope ($1) returned at least $2 times, the most first, then the newest; $3 lines.
SELECT id FROM tickets
WHERE state NOT IN ('closed', 'closed_on_spot', 'merged') AND return_count >= $2 AND holder_unit_id = ANY($1)
ORDER BY return_count DESC, id DESC LIMIT $3;

-- name: hand_over_open_tickets
-- 40 open tickets handed to the units $1 in turn (the history leaves a street few).
WITH chosen AS (
    SELECT t.id, row_number() OVER (ORDER BY t.id) - 1 AS i FROM tickets t
    WHERE t.state NOT IN ('closed', 'closed_on_spot', 'merged') ORDER BY t.id LIMIT 40
)
UPDATE tickets t SET holder_unit_id = ($1::bigint[])[c.i % cardinality($1) + 1] FROM chosen c WHERE t.id = c.id;

-- name: cancel_open_clocks
-- The open clocks of the tickets the units $1 hold, cancelled at $2.
UPDATE deadlines SET status = 'cancelled', ended_at = $2 FROM tickets t
WHERE t.id = ticket_id AND t.holder_unit_id = ANY($1) AND status IN ('running', 'paused');

-- name: plant_clocks
-- The open tickets of a street ($1 its units), each given three running clocks due around $2 (NOW): i < 30 a reply
-- clock overdue by i % 10 minutes (three tickets to each due time), the others one due in 20 minutes; an accept
-- clock due from 3 hours before to 3 hours after, by i % 7 (i % 7 == 3: due at NOW itself, overdue); a completion
-- clock due in 30 minutes. Of 40, 36 are overdue, some by their accept clock before their reply clock. Each also has
-- a running callback clock (回访), due 4 hours before: the earliest of all, and on no list of the board.
WITH chosen AS (
    SELECT t.id, t.holder_unit_id, row_number() OVER (ORDER BY t.id) - 1 AS i, $2::timestamptz AS now FROM tickets t
    WHERE t.holder_unit_id = ANY($1) AND t.state NOT IN ('closed', 'closed_on_spot', 'merged')
)
INSERT INTO deadlines (ticket_id, unit_id, track, rule_name, duration_seconds, counts, warn_fraction, start_at, due_at,
                       warn_at)
SELECT c.id, c.holder_unit_id, k.track, 'planted', 3600, 'natural', 0.5, c.now - interval '1 day', k.due, k.due
FROM chosen c CROSS JOIN LATERAL (VALUES
    ('reply', CASE WHEN c.i < 30 THEN c.now - (c.i % 10) * interval '1 minute' ELSE c.now + interval '20 minutes' END),
    ('accept', c.now - interval '3 hours' + (c.i % 7) * interval '1 hour'),
    ('complete', c.now + interval '30 minutes'),
    ('callback', c.now - interval '4 hours')
) k (track, due);

-- name: reopen_and_return_open_tickets
-- 60 open tickets spread over the city, reopened and returned 1-4 times each.
UPDATE tickets SET reopen_count = 1 + id % 4, return_count = 1 + (id / 4) % 4
WHERE id IN (SELECT id FROM tickets WHERE state NOT IN ('closed', 'closed_on_spot', 'merged') ORDER BY id LIMIT 60);
