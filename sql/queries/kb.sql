-- The knowledge base (知识库; hotline/kb.py): answers the operator reads out during a call. Entries
-- store their jieba tokens; a query is cut the same way and matched with full-text search over them
-- (the 'simple' configuration, which leaves tokens as they are).

-- name: kb_search
-- $1 the query's tokens, $2 a category whose entries rank a little higher, $3 limit.
WITH q AS (
    SELECT to_tsquery('simple', string_agg(quote_literal(lower(t)), ' | ')) AS query
    FROM unnest($1::text[]) AS t
)
SELECT e.id, e.title, e.answer, e.category_code, e.keywords,
       ts_rank(e.search, q.query) + CASE WHEN e.category_code = $2 THEN 0.2 ELSE 0 END AS score
FROM kb_entries e, q
WHERE e.active AND e.search @@ q.query
ORDER BY score DESC, e.id
LIMIT $3;

-- name: insert_kb_entry
INSERT INTO kb_entries (title, answer, category_code, keywords, tokens)
VALUES ($1, $2, $3, $4, $5) RETURNING id;

-- name: kb_entry_active
SELECT EXISTS (SELECT 1 FROM kb_entries WHERE id = $1 AND active);

-- name: update_kb_entry
UPDATE kb_entries SET title = $2, answer = $3, category_code = $4, keywords = $5, tokens = $6, active = $7,
                      updated_at = now()
WHERE id = $1 RETURNING id;

-- name: kb_entry_by_id
SELECT id, title, answer, category_code, keywords, active FROM kb_entries WHERE id = $1;

-- name: insert_kb_link
-- An answer from the knowledge base given on a dispatched ticket; no row when it is linked already.
INSERT INTO ticket_kb_links (ticket_id, kb_entry_id, unit_id, linked_by, linked_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT DO NOTHING RETURNING kb_entry_id;

-- name: kb_links_of_ticket
SELECT l.kb_entry_id, e.title, e.answer, l.unit_id, u.display_name AS linked_by_name, l.linked_at
FROM ticket_kb_links l JOIN kb_entries e ON e.id = l.kb_entry_id JOIN users u ON u.id = l.linked_by
WHERE l.ticket_id = $1 ORDER BY l.linked_at;
