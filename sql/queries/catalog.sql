-- name: catalog_version
SELECT last_value + (CASE WHEN is_called THEN 1 ELSE 0 END) FROM catalog_version_seq;

-- name: all_categories
SELECT code, name, level1, description, active FROM categories ORDER BY level1, code;

-- name: all_rules
SELECT id, category_code, level, owner_kind, owner_unit_id, co_handler_kinds, priority
FROM responsibility_rules ORDER BY category_code, priority DESC, id;

-- name: all_places
SELECT id, name, kind, unit_id FROM places ORDER BY id;

-- name: upsert_category
INSERT INTO categories (code, name, level1, description) VALUES ($1, $2, $3, $4)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level1 = EXCLUDED.level1, description = EXCLUDED.description;

-- name: insert_rule
INSERT INTO responsibility_rules (category_code, level, owner_kind, owner_unit_id, co_handler_kinds, priority)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id;

-- name: insert_place
INSERT INTO places (name, kind, unit_id) VALUES ($1, $2, $3) ON CONFLICT (name, unit_id) DO NOTHING;

-- name: settled_categories
SELECT t.content, c.name AS label
FROM tickets t JOIN categories c ON c.code = t.category_code
WHERE (t.category_source IN ('operator', 'dispatcher')
       OR (t.state IN ('closed', 'closed_on_spot') AND t.return_count = 0 AND t.reroute_count = 0))
  AND t.state <> 'merged' AND ($1::timestamptz IS NULL OR t.created_at >= $1)
ORDER BY t.id;
