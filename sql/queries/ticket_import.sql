-- Historical tickets (`hotline import tickets`, the admin page's import; hotline/imports/tickets.py and
-- jobs.py). A batch is copied into ticket_import_staging and deadline_import_staging, then moved into the
-- tickets, their events, holders and clocks by one statement, in one transaction per batch.

-- name: ticket_import_history_mode
-- for this transaction only: tickets may be written in the state the old system left them in (the
-- transition trigger of migration 0011), and a batch is not cut short by the statement timeout
SELECT set_config('hotline.import', 'history', true), set_config('statement_timeout', '0', true);

-- name: ticket_import_known_numbers
-- which of the numbers $1 exist, and whether an import wrote them
SELECT number, import_job_id IS NOT NULL AS imported FROM tickets WHERE number = ANY($1::text[]);

-- name: ticket_import_clear_staging
TRUNCATE ticket_import_staging, deadline_import_staging;

-- name: ticket_import_move
-- The staged tickets not yet present, with their holder, their import event and their clocks; $1 the job.
-- Returns how many tickets were written (a number an earlier run wrote is skipped: ON CONFLICT).
WITH inserted AS (
    INSERT INTO tickets (number, type, channel, caller_phone, caller_name, address, content, category_code,
                         category_confidence, category_source, is_complex, confidential, place, state,
                         holder_unit_id, lead_unit_id, created_at, updated_at, assigned_at, signed_at, first_contact_at,
                         completed_at, closed_at, satisfaction, resolved, return_count, reopen_count, import_job_id,
                         search_tokens)
    SELECT s.number, s.type, s.channel, s.caller_phone, s.caller_name, s.address, s.content, s.category_code,
           CASE WHEN s.category_code IS NULL THEN NULL ELSE 1.0 END,
           -- the old system's category was chosen by its staff
           CASE WHEN s.category_code IS NULL THEN NULL ELSE 'operator' END,
           s.is_complex, s.confidential, s.place::jsonb, s.state, s.holder_unit_id, s.lead_unit_id, s.created_at,
           greatest(s.created_at, s.assigned_at, s.signed_at, s.completed_at, s.closed_at), s.assigned_at, s.signed_at,
           s.first_contact_at, s.completed_at, s.closed_at, s.satisfaction, s.resolved, s.return_count,
           s.reopen_count, $1, s.search_tokens
    FROM ticket_import_staging s
    ORDER BY s.row_number
    ON CONFLICT (number) DO NOTHING
    RETURNING id, number, state, holder_unit_id, created_at, assigned_at
), held AS (
    INSERT INTO ticket_units (ticket_id, unit_id, first_at)
    SELECT id, holder_unit_id, coalesce(assigned_at, created_at) FROM inserted WHERE holder_unit_id IS NOT NULL
), logged AS (
    INSERT INTO ticket_events (ticket_id, at, action, from_state, to_state, to_unit_id, payload)
    SELECT i.id, i.created_at, 'import', NULL, i.state, i.holder_unit_id,
           jsonb_build_object('import_job_id', $1::bigint, 'row', s.row_number)
    FROM inserted i JOIN ticket_import_staging s ON s.number = i.number
), clocks AS (
    INSERT INTO deadlines (ticket_id, unit_id, track, rule_name, duration_seconds, counts, warn_fraction, start_at,
                           due_at, warn_at, status, ended_at)
    SELECT i.id, d.unit_id, d.track, d.rule_name, d.duration_seconds, d.counts, d.warn_fraction, d.start_at,
           d.due_at, d.warn_at, d.status, d.ended_at
    FROM inserted i JOIN deadline_import_staging d ON d.number = i.number
)
SELECT count(*) FROM inserted;

-- name: ticket_import_analyze
-- fresh statistics after a large import, so the report's queries plan for the rows now there
ANALYZE tickets, deadlines, ticket_events, ticket_units;

-- name: import_job_create
INSERT INTO import_jobs (kind, source, file_name, file_size, mapping_name, status, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
RETURNING id;

-- name: import_job
SELECT id, kind, source, file_name, file_size, mapping_name, status, rows_total, rows_checked, rows_done,
       rows_written, rows_existing, error_count, errors, created_by, created_at, started_at, finished_at, updated_at
FROM import_jobs WHERE id = $1;

-- name: import_jobs_recent
SELECT j.id, j.kind, j.source, j.file_name, j.file_size, j.mapping_name, j.status, j.rows_total, j.rows_checked,
       j.rows_done, j.rows_written, j.rows_existing, j.error_count, j.created_at, j.started_at, j.finished_at,
       u.display_name AS created_by_name
FROM import_jobs j LEFT JOIN users u ON u.id = j.created_by
ORDER BY j.id DESC LIMIT $1;

-- name: import_job_set_status
-- a phase begins ($2 'queued', 'checking' or 'importing'); $3 now, $4 the rows of the file when known
UPDATE import_jobs
SET status = $2::text, updated_at = $3::timestamptz,
    started_at = coalesce(started_at, CASE WHEN $2::text = 'queued' THEN NULL ELSE $3::timestamptz END),
    rows_total = coalesce($4::integer, rows_total),
    rows_checked = CASE WHEN $2::text = 'checking' THEN 0 ELSE rows_checked END
WHERE id = $1;

-- name: import_job_checked
UPDATE import_jobs SET rows_checked = $2, updated_at = $3 WHERE id = $1;

-- name: import_job_batch_done
-- in the batch's own transaction, so the progress is exactly what has committed
UPDATE import_jobs
SET rows_done = $2, rows_written = rows_written + $3, rows_existing = rows_existing + $4, updated_at = $5
WHERE id = $1;

-- name: import_job_finish
-- $2 'done' or 'failed', $3 the first error messages, $4 how many errors in all
UPDATE import_jobs SET status = $2, errors = $3, error_count = $4, finished_at = $5, updated_at = $5 WHERE id = $1;

-- name: import_job_restart
-- a failed or interrupted job runs again: rows written by the earlier run are skipped by number
UPDATE import_jobs
SET status = 'queued', errors = '[]', error_count = 0, rows_done = 0, rows_checked = 0, finished_at = NULL,
    updated_at = $2
WHERE id = $1 AND status IN ('failed', 'queued', 'checking', 'importing')
  AND EXISTS (SELECT 1 FROM import_files f WHERE f.job_id = $1 AND f.part = 'data')
RETURNING id;

-- name: import_file_chunk
-- one piece of an uploaded file ($2 'data' or 'mapping'), in order; a piece sent again replaces itself
INSERT INTO import_files (job_id, part, seq, data) VALUES ($1, $2, $3, $4)
ON CONFLICT (job_id, part, seq) DO UPDATE SET data = EXCLUDED.data;

-- name: import_file_uploaded
-- what has arrived of each part: pieces, bytes, and whether they are 0..n-1 without a gap
SELECT part, count(*) AS pieces, coalesce(sum(length(data)), 0) AS bytes, coalesce(max(seq), -1) AS last
FROM import_files WHERE job_id = $1 GROUP BY part;

-- name: import_file_chunks
SELECT data FROM import_files WHERE job_id = $1 AND part = $2 ORDER BY seq;

-- name: import_file_delete
DELETE FROM import_files WHERE job_id = $1;
