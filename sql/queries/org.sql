-- name: count_units
SELECT count(*) FROM units;

-- name: all_units
SELECT id, code, name, level, parent_id, kind, aliases, sees_phone, active FROM units ORDER BY id;

-- name: unit_ids_by_code
SELECT code, id FROM units WHERE code = ANY($1::text[]);

-- name: insert_unit
INSERT INTO units (code, name, level, parent_id, kind, aliases, sees_phone)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (code) DO UPDATE
    SET name = EXCLUDED.name, level = EXCLUDED.level, parent_id = EXCLUDED.parent_id,
        kind = EXCLUDED.kind, aliases = EXCLUDED.aliases, sees_phone = EXCLUDED.sees_phone
RETURNING id;

-- name: insert_user
INSERT INTO users (username, display_name, role, unit_id, password_hash)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (username) DO UPDATE
    SET display_name = EXCLUDED.display_name, role = EXCLUDED.role, unit_id = EXCLUDED.unit_id,
        password_hash = EXCLUDED.password_hash
RETURNING id;

-- name: user_by_username
SELECT id, username, display_name, role, unit_id, password_hash, active, must_change_password FROM users WHERE username = $1;

-- name: insert_token
INSERT INTO auth_tokens (token_hash, user_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5);

-- name: delete_token
DELETE FROM auth_tokens WHERE token_hash = $1 RETURNING 1;

-- name: user_by_token
SELECT u.id, u.username, u.display_name, u.role, u.unit_id, u.must_change_password
FROM auth_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = $1 AND t.expires_at > $2 AND u.active;

-- name: user_password_hash
SELECT password_hash FROM users WHERE username = $1;

-- name: reviewing_units
-- The units among $1 that have someone to review returns and completions (an active dispatcher or supervisor).
SELECT DISTINCT unit_id FROM users
WHERE unit_id = ANY($1::bigint[]) AND active AND role IN ('dispatcher', 'supervisor');

-- name: user_by_token_and_catalog_version
-- user_by_token, and catalog_version in the same statement: a board socket needs both when it connects.
SELECT u.id, u.username, u.display_name, u.role, u.unit_id, u.must_change_password,
       (SELECT last_value + (CASE WHEN is_called THEN 1 ELSE 0 END) FROM catalog_version_seq) AS catalog_version
FROM auth_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = $1 AND t.expires_at > $2 AND u.active;
