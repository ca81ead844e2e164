-- Writes that may run for minutes (a migration, generated history): without the app's statement timeout
-- (hotline/db.py sets it per connection), for the rest of their transaction only.

-- name: no_statement_timeout
SET LOCAL statement_timeout = 0;
