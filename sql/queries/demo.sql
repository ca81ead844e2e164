-- The demo city 云川市 and its tickets (hotline/demo/city.py, hotline/demo/tickets.py). The bulk
-- history of `demo seed --months` has its own file, history.sql.

-- name: demo_upsert_unit
-- the parent by its code, so a batch in tree order needs no ids from the client
INSERT INTO units (code, name, level, parent_id, kind, aliases, sees_phone)
VALUES ($1, $2, $3, (SELECT p.id FROM units p WHERE p.code = $4), $5, $6, $7)
ON CONFLICT (code) DO UPDATE
    SET name = EXCLUDED.name, level = EXCLUDED.level, parent_id = EXCLUDED.parent_id,
        kind = EXCLUDED.kind, aliases = EXCLUDED.aliases, sees_phone = EXCLUDED.sees_phone;

-- name: demo_rules_and_kb_empty
SELECT NOT EXISTS (SELECT 1 FROM responsibility_rules) AS rules, NOT EXISTS (SELECT 1 FROM kb_entries) AS kb;

-- name: demo_active_users
SELECT id, username, display_name, role, unit_id FROM users WHERE active ORDER BY id;
