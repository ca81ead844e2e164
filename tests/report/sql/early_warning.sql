-- Named queries of tests/report/test_early_warning.py.

-- name: place_tickets_in_window
-- a place warning's tickets as counted independently: category $1, community $2, created in [$3, $4), unmerged
SELECT id FROM tickets
WHERE category_code = $1 AND (place ->> 'community_id')::bigint = $2
  AND created_at >= $3 AND created_at < $4 AND state <> 'merged'
ORDER BY created_at, id;
