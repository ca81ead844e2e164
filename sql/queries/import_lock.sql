-- One ticket import at a time: a session advisory lock, held by the import on a connection of its own
-- (hotline/imports/jobs.py opens one; the command line has its own), never a pooled one, so that a crashed
-- import releases it when its connection goes. tests/foundation/test_pool_sessions.py allows this file.

-- name: ticket_import_try_lock
SELECT pg_try_advisory_lock(12345, 14);

-- name: ticket_import_unlock
SELECT pg_advisory_unlock(12345, 14);
