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
