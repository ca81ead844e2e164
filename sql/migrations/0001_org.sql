-- The org tree (five levels plus grids) and the people who work in it.

CREATE TABLE units (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE,            -- stable external id used by imports
    name        text NOT NULL,
    level       text NOT NULL CHECK (level IN ('city', 'district', 'department', 'street', 'community', 'grid')),
    parent_id   bigint REFERENCES units (id),
    kind        text NOT NULL DEFAULT '',        -- what a department is, e.g. 城管局; matched by routing rules
    aliases     text[] NOT NULL DEFAULT '{}',    -- other names callers use: 青山街, 青山
    sees_phone  boolean NOT NULL DEFAULT false,  -- handlers of this unit see callers' phone numbers unmasked
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((level = 'city') = (parent_id IS NULL)),
    CHECK (length(name) BETWEEN 1 AND 100)
);
CREATE INDEX units_parent ON units (parent_id);
CREATE UNIQUE INDEX units_one_city ON units ((true)) WHERE level = 'city';

-- A unit may only hang under the level above it: the five-level chain is a property of the data.
CREATE FUNCTION units_check_parent_level() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent_level text;
BEGIN
    IF NEW.parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT level INTO parent_level FROM units WHERE id = NEW.parent_id;
    IF NOT (
        (NEW.level = 'district' AND parent_level = 'city') OR
        (NEW.level IN ('department', 'street') AND parent_level = 'district') OR
        (NEW.level = 'community' AND parent_level = 'street') OR
        (NEW.level = 'grid' AND parent_level = 'community')
    ) THEN
        RAISE EXCEPTION 'a % cannot be placed under a %', NEW.level, parent_level
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER units_parent_level BEFORE INSERT OR UPDATE OF parent_id, level ON units
    FOR EACH ROW EXECUTE FUNCTION units_check_parent_level();

CREATE TABLE users (
    id             bigserial PRIMARY KEY,
    username       text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.-]{2,64}$'),
    display_name   text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 64),
    role           text NOT NULL CHECK (role IN ('operator', 'dispatcher', 'handler', 'supervisor', 'admin')),
    unit_id        bigint NOT NULL REFERENCES units (id),
    password_hash  text NOT NULL,
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_unit ON users (unit_id);
