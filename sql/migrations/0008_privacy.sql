-- Personal data (个人信息保护法): confidential tickets and the log of who read a caller's data.

-- 保密: the caller asked that their identity be kept from the units; below the hotline centre nobody
-- sees their name, number or address (hotline/access.py personal_view). 举报 tickets start confidential.
ALTER TABLE tickets ADD COLUMN confidential boolean NOT NULL DEFAULT false;

-- How the data was read: a single ticket's page, a list, or a unit's explicit reveal (查看号码).
ALTER TABLE pii_reads ADD COLUMN via text NOT NULL DEFAULT 'view' CHECK (via IN ('view', 'list', 'reveal'));

-- The administrators' log pages newest first, by user, by ticket, or all.
CREATE INDEX pii_reads_at ON pii_reads (at DESC, id DESC);
CREATE INDEX pii_reads_user_at ON pii_reads (user_id, at DESC, id DESC);
CREATE INDEX pii_reads_ticket_at ON pii_reads (ticket_id, at DESC, id DESC);

-- A privacy log nobody can quietly rewrite: rows are added, never changed or removed.
CREATE FUNCTION pii_reads_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'pii_reads is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER pii_reads_no_update BEFORE UPDATE OR DELETE ON pii_reads
    FOR EACH ROW EXECUTE FUNCTION pii_reads_append_only();
