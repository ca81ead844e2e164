-- Stored score days and the writes that must delete them, for tests/report/test_score_days_touch.py alone.

-- name: tickets_of_three_days
SELECT id, created_at FROM (
    SELECT DISTINCT ON (created_at::date) id, created_at FROM tickets ORDER BY created_at::date, id
) t ORDER BY created_at LIMIT 3;

-- name: forget_stored_days
DELETE FROM score_days;

-- name: store_day_around
INSERT INTO score_days (day_start, day_end) VALUES ($1::timestamptz - interval '1 hour', $1::timestamptz + interval '1 hour');

-- name: stored_days_around
SELECT count(*) FROM score_days WHERE day_start <= $1 AND day_end > $1;

-- name: write_ticket
UPDATE tickets SET updated_at = updated_at WHERE id = $1;
