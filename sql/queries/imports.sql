-- What `hotline import KIND FILE` reads to check its rows and writes (hotline/imports/). The upserts the
-- demo city shares with the import (insert_unit, insert_user, insert_rule, insert_place) live in org.sql
-- and catalog.sql.

-- name: import_unit_levels
SELECT code, level FROM units;

-- name: import_unit_ids
SELECT code, id FROM units;

-- name: import_category_codes
SELECT code FROM categories;

-- name: import_category
INSERT INTO categories (code, name, level1, description, active) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (code) DO UPDATE
    SET name = EXCLUDED.name, level1 = EXCLUDED.level1, description = EXCLUDED.description, active = EXCLUDED.active;

-- name: delete_rules_of_categories
DELETE FROM responsibility_rules WHERE category_code = ANY($1::text[]);

-- name: import_kb_entry
WITH replaced AS (
    UPDATE kb_entries
    SET answer = $2, category_code = $3, keywords = $4, tokens = $5, active = true, updated_at = now()
    WHERE title = $1
    RETURNING id
)
INSERT INTO kb_entries (title, answer, category_code, keywords, tokens)
SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM replaced);
