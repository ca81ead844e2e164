-- The org tree, categories and the responsibility table edited in the pages (hotline/admin/units.py,
-- hotline/admin/catalog.py) and exported as the files the import reads (hotline/exports/catalog.py).

-- name: admin_units
-- Every unit with what the page shows beside it: its users and the open tickets it holds.
SELECT u.id, u.code, u.name, u.level, u.parent_id, u.kind, u.aliases, u.sees_phone, u.active, u.merged_into,
       (SELECT count(*) FROM users s WHERE s.unit_id = u.id AND s.active) AS users,
       (SELECT count(*) FROM tickets t WHERE t.holder_unit_id = u.id
          AND t.state NOT IN ('closed', 'closed_on_spot', 'merged')) AS open_tickets,
       (SELECT array_agg(n.name ORDER BY n.until) FROM unit_names n WHERE n.unit_id = u.id) AS former_names
FROM units u ORDER BY u.id;

-- name: admin_unit_lock
SELECT u.id, u.code, u.name, u.level, u.parent_id, p.code AS parent_code, u.kind, u.aliases, u.sees_phone,
       u.active, u.merged_into
FROM units u LEFT JOIN units p ON p.id = u.parent_id
WHERE u.id = $1 FOR UPDATE OF u;

-- name: admin_unit_insert
INSERT INTO units (code, name, level, parent_id, kind, aliases, sees_phone, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id;

-- name: admin_unit_code_taken
SELECT 1 FROM units WHERE code = $1;

-- name: admin_unit_update
UPDATE units SET name = $2, kind = $3, aliases = $4, sees_phone = $5 WHERE id = $1;

-- name: admin_unit_rename_history
INSERT INTO unit_names (unit_id, name, until) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING;

-- name: admin_unit_move
UPDATE units SET parent_id = $2 WHERE id = $1;

-- name: admin_unit_set_active
UPDATE units SET active = $2, merged_into = $3 WHERE id = $1;

-- name: admin_unit_set_active_by_code
UPDATE units SET active = $2 WHERE code = $1 AND active <> $2;

-- name: admin_unit_in_use
-- What keeps a unit from being deactivated: active children, active users, open tickets, rules naming it,
-- and for a department, rules naming its kind (routing finds a district's department by kind, $2).
SELECT (SELECT count(*) FROM units c WHERE c.parent_id = $1 AND c.active) AS children,
       (SELECT count(*) FROM users s WHERE s.unit_id = $1 AND s.active) AS users,
       (SELECT count(*) FROM tickets t WHERE t.holder_unit_id = $1
          AND t.state NOT IN ('closed', 'closed_on_spot', 'merged')) AS open_tickets,
       (SELECT count(*) FROM responsibility_rules r WHERE r.owner_unit_id = $1) AS rules,
       (SELECT count(*) FROM responsibility_rules r
        WHERE $2::text <> '' AND (r.owner_kind = $2 OR $2 = ANY(r.co_handler_kinds))) AS kind_rules;

-- name: admin_merge_children
UPDATE units SET parent_id = $2 WHERE parent_id = $1;

-- name: admin_merge_users
UPDATE users SET unit_id = $2 WHERE unit_id = $1;

-- name: admin_merge_rules
UPDATE responsibility_rules SET owner_unit_id = $2 WHERE owner_unit_id = $1;

-- name: admin_merge_places
-- The source's roads and estates now belong to the target (one the target already has is dropped).
WITH moved AS (
    DELETE FROM places p WHERE p.unit_id = $1 RETURNING p.name, p.kind
)
INSERT INTO places (name, kind, unit_id) SELECT name, kind, $2 FROM moved ON CONFLICT (name, unit_id) DO NOTHING;

-- name: admin_merge_aliases
-- Callers keep naming the old unit: its name, former names and aliases become aliases of the target.
UPDATE units t SET aliases = ARRAY(
    SELECT DISTINCT a
    FROM unnest(t.aliases || s.name || s.aliases || ARRAY(SELECT n.name FROM unit_names n WHERE n.unit_id = s.id)) AS a
    WHERE a <> t.name ORDER BY a
)
FROM units s WHERE t.id = $2 AND s.id = $1;

-- name: admin_categories
SELECT code, name, level1, description, active,
       (SELECT count(*) FROM responsibility_rules r WHERE r.category_code = c.code) AS rules
FROM categories c ORDER BY level1, code;

-- name: admin_category_get
SELECT code, name, level1, description, active FROM categories WHERE code = $1;

-- name: admin_rules_of_category
SELECT r.category_code, r.level, r.owner_kind, o.code AS owner_unit_code, r.co_handler_kinds, r.priority
FROM responsibility_rules r LEFT JOIN units o ON o.id = r.owner_unit_id
WHERE r.category_code = $1
ORDER BY r.priority DESC, r.id;

-- name: export_units
-- Parents before children, as the import reads them; levels by their place in the chain.
SELECT u.code, u.name, u.level, p.code AS parent_code, u.kind, u.aliases, u.sees_phone, u.active
FROM units u LEFT JOIN units p ON p.id = u.parent_id
ORDER BY array_position(ARRAY['city', 'district', 'department', 'street', 'community', 'grid'], u.level), u.code;

-- name: export_categories
SELECT code, name, level1, description, active FROM categories ORDER BY code;

-- name: export_rules
SELECT r.category_code, r.level, r.owner_kind, o.code AS owner_unit_code, r.co_handler_kinds, r.priority
FROM responsibility_rules r LEFT JOIN units o ON o.id = r.owner_unit_id
ORDER BY r.category_code, r.priority DESC, r.level, o.code NULLS FIRST, r.owner_kind NULLS FIRST;
