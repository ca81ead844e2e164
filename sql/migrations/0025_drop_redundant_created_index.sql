-- tickets_created (created_at) duplicates the leading column of tickets_created_id (created_at, id), which serves
-- every range over created_at as well (the report's months, exports, imports' windows). Each ticket taken paid
-- for both, and vacuum read both.
DROP INDEX IF EXISTS tickets_created;
