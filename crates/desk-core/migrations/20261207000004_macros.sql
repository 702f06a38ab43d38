-- Macros: a named list of changes, run as one job. Kept per workspace, in the lead's order: the
-- first nine sit on the keys 1–9.
CREATE TABLE macros (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,   -- the name, trimmed and lower case
    body        TEXT NOT NULL,          -- the macro as JSON (name, steps, then_next)
    position    INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
