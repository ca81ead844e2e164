-- What the embedded PostgreSQL runs with, read by tests/foundation/test_embedded_settings.py alone.

-- name: shared_buffers_mb
SELECT setting::bigint * 8192 / (1024 * 1024) FROM pg_settings WHERE name = 'shared_buffers';
