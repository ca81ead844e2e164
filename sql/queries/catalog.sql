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
-- The training export: settled tickets (the settled_ticket fragment in learning.sql) with who settled the
-- category and when: the latest label a dispatcher gave, else the operator who created the ticket.
SELECT t.content, c.name AS label, t.created_at,
       CASE WHEN l.id IS NOT NULL OR t.category_source = 'dispatcher' THEN 'dispatcher'
            WHEN t.category_source = 'operator' THEN 'operator'
            ELSE 'closed' END AS label_source,
       coalesce(lu.display_name, CASE WHEN t.category_source = 'operator' THEN cu.display_name END, '') AS labelled_by,
       coalesce(l.at, CASE WHEN t.category_source = 'operator' THEN t.created_at END) AS labelled_at
FROM tickets t
JOIN categories c ON c.code = t.category_code
LEFT JOIN LATERAL (
    SELECT id, at, user_id FROM category_labels WHERE ticket_id = t.id ORDER BY at DESC, id DESC LIMIT 1
) l ON true
LEFT JOIN users lu ON lu.id = l.user_id
LEFT JOIN users cu ON cu.id = t.created_by
WHERE {{settled_ticket}} AND ($1::timestamptz IS NULL OR t.created_at >= $1)
ORDER BY t.id;

-- name: transaction_versions
-- What a ticket use-case checks its process's caches against, in the one round trip it starts with: the
-- catalog's version (as catalog_version reads it) and the SLA rules' (as sla_rules_version; NULL: none stored).
SELECT (SELECT last_value + (CASE WHEN is_called THEN 1 ELSE 0 END) FROM catalog_version_seq) AS catalog,
       (SELECT version FROM sla_settings) AS sla_rules;

-- name: intake_versions
-- transaction_versions for a new call, with the 专题服务日 running at $1 (as service_days_active: the window
-- includes its start, not its end), ids and units in id order: intake marks the call for them at its end.
SELECT (SELECT last_value + (CASE WHEN is_called THEN 1 ELSE 0 END) FROM catalog_version_seq) AS catalog,
       (SELECT version FROM sla_settings) AS sla_rules,
       d.ids AS service_day_ids, d.units AS service_day_units
FROM (SELECT coalesce(array_agg(id ORDER BY id), '{}') AS ids, coalesce(array_agg(unit_id ORDER BY id), '{}') AS units
      FROM service_days WHERE starts_at <= $1 AND ends_at > $1) AS d;
