-- Finding a ticket (issue 13 part 2): free text over jieba tokens, and the indexes the search filters use.
--
-- search_tokens holds the jieba tokens of the ticket's content in search mode (long words and their
-- parts: 烧烤摊油烟扰民 → 烧烤 摊 油烟 扰民 油烟扰民), space separated, numbers masked before cutting so a
-- phone number is never searchable as text. It is written by intake, the historical import and the demo
-- history; NULL means "not indexed yet": rows older than this migration are filled by `hotline migrate`
-- and `hotline up` (hotline/tickets/search_index.py, batches over the partial index below), since jieba
-- does not run inside PostgreSQL. The tsvector is derived by PostgreSQL ('simple': tokens as they are).
ALTER TABLE tickets ADD COLUMN search_tokens text;
ALTER TABLE tickets ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_tokens, ''))) STORED;
CREATE INDEX tickets_search ON tickets USING gin (search);
CREATE INDEX tickets_search_missing ON tickets (id) WHERE search_tokens IS NULL;

-- a number typed in part (its date prefix, say) is a prefix match
CREATE INDEX tickets_number_prefix ON tickets (number text_pattern_ops);
-- the newest-first order every search pages through (keyset on created_at, id)
CREATE INDEX tickets_created_id ON tickets (created_at, id);
-- the 超期 flag: tickets that ever had an overdue alert
CREATE INDEX sla_alerts_ticket ON sla_alerts (ticket_id) WHERE kind = 'overdue';

-- the historical import stages the tokens with the rest of a row
ALTER TABLE ticket_import_staging ADD COLUMN search_tokens text;
