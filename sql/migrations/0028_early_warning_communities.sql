-- The communities a warning's tickets come from, so a board finds the warnings of its subtree without reading
-- every ticket of every active warning: a surge of 5,000 calls made each street's snapshot look up all 5,000
-- (13-38 ms of it on 10M tickets).
ALTER TABLE early_warnings ADD COLUMN community_ids bigint[] NOT NULL DEFAULT '{}';

UPDATE early_warnings w
SET community_ids = ARRAY(SELECT (t.place ->> 'community_id')::bigint
                          FROM tickets t WHERE t.id = ANY(w.ticket_ids) AND t.place ? 'community_id'
                          UNION SELECT w.community_id WHERE w.community_id IS NOT NULL
                          ORDER BY 1);
