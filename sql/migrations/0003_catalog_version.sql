-- Web and worker processes cache the org tree, categories, rules and places; a change to any
-- of them advances this sequence so every process reloads (TRUNCATE included).
CREATE SEQUENCE catalog_version_seq;

CREATE FUNCTION catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('catalog_version_seq');
    RETURN NULL;
END
$$;

CREATE TRIGGER units_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER categories_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER responsibility_rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON responsibility_rules
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER places_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON places
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
