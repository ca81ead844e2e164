-- Open311 GeoReport v2 (hotline/api/open311.py): tickets as service requests.

-- name: open311_requests
-- $1 ticket numbers or NULL, $2 category or NULL, $3 'open' / 'closed' / NULL, $4 the closed states,
-- $5..$6 created-at window (NULL: any), $7 limit. expected_at: the running completion deadline.
SELECT t.number, t.state, t.category_code, t.content, t.address, t.confidential, t.holder_unit_id, t.created_at,
       t.updated_at,
       (SELECT d.due_at FROM deadlines d
        WHERE d.ticket_id = t.id AND d.track = 'complete' AND d.status IN ('running', 'paused')) AS expected_at
FROM tickets t
WHERE ($1::text[] IS NULL OR t.number = ANY($1::text[]))
  AND ($2::text IS NULL OR t.category_code = $2)
  AND ($3::text IS NULL OR (t.state = ANY($4::text[])) = ($3 = 'closed'))
  AND ($5::timestamptz IS NULL OR t.created_at >= $5)
  AND ($6::timestamptz IS NULL OR t.created_at < $6)
ORDER BY t.created_at DESC
LIMIT $7;
