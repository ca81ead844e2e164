-- Named queries of tests/scale/test_warm_connections.py.

-- name: last_statement_of_backend
-- what the server process $1 was last sent (Parse updates it as a query does)
SELECT query FROM pg_stat_activity WHERE pid = $1;
