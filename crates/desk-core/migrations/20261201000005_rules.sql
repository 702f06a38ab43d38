-- Auto-tagging rules per workspace (the rule itself as JSON), and the rule a job was run for: its
-- runner checks each ticket still matches it on the fresh read before changing it.
CREATE TABLE rules (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    json        TEXT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL DEFAULT 1,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX rules_name ON rules (name COLLATE NOCASE);

ALTER TABLE jobs ADD COLUMN guard TEXT;
