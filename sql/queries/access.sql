-- Permissions (hotline/access.py): what the checks need from the database. Sign-in and tokens
-- (hotline/auth.py) read users, so their queries live with the users in org.sql.

-- name: ticket_unit_ids
-- Every unit that has held the ticket (ticket_units), for who may see it and who may appeal.
SELECT unit_id FROM ticket_units WHERE ticket_id = $1;
