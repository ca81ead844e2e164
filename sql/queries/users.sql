-- Users administered in the pages (hotline/admin/users.py). Sign-in and tokens stay in org.sql.

-- name: admin_users
-- The users of a set of units (NULL: every unit), filtered by text and state, by unit then name.
SELECT u.id, u.username, u.display_name, u.role, u.unit_id, u.active, u.must_change_password,
       u.created_at, u.password_changed_at,
       (SELECT max(a.at) FROM audit_log a WHERE a.actor_id = u.id AND a.action = 'login.success') AS last_login_at
FROM users u
WHERE ($1::bigint[] IS NULL OR u.unit_id = ANY($1))
  AND ($2::text IS NULL OR u.username ILIKE '%' || $2 || '%' OR u.display_name ILIKE '%' || $2 || '%')
  AND ($3::boolean IS NULL OR u.active = $3)
ORDER BY u.unit_id, u.username
LIMIT $4;

-- name: admin_user_lock
SELECT id, username, display_name, role, unit_id, active, must_change_password, created_at, password_changed_at,
       NULL::timestamptz AS last_login_at
FROM users WHERE id = $1 FOR UPDATE;

-- name: admin_user_exists
SELECT 1 FROM users WHERE lower(username) = lower($1);

-- name: admin_user_create
INSERT INTO users (username, display_name, role, unit_id, password_hash, must_change_password, created_at)
VALUES ($1, $2, $3, $4, $5, true, $6)
RETURNING id;

-- name: admin_user_update
UPDATE users SET display_name = $2, role = $3, unit_id = $4 WHERE id = $1;

-- name: admin_user_set_active
UPDATE users SET active = $2 WHERE id = $1;

-- name: user_set_password
-- $3: a temporary password (reset by an administrator) must be changed at the next login.
UPDATE users SET password_hash = $2, must_change_password = $3, password_changed_at = $4 WHERE id = $1;

-- name: own_password_hash
SELECT password_hash FROM users WHERE id = $1;

-- name: delete_user_tokens
-- Every token of a user but the one in use ($2, its digest): one's own password change. Deactivation and
-- resets end them all (revoke_user_tokens in guard.sql).
DELETE FROM auth_tokens WHERE user_id = $1 AND ($2::bytea IS NULL OR token_hash <> $2);

-- name: check_active_users_named
-- `hotline check`: which demo accounts are still there, to try the demo password on.
SELECT username, password_hash FROM users WHERE active AND username = ANY($1::text[]) ORDER BY id LIMIT $2;
