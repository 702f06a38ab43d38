-- Auto-tagging rules per workspace (the rule itself as JSON), and the rule a job was run for: its
-- runner checks each ticket still matches it on the fresh read before changing it.
CREATE TABLE rules (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    json        TEXT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL DEFAULT 1,
    updated_at  INTEGER NOT NULL,
    -- When it was last switched on (or changed while on): live, it applies to tickets made or
    -- changed since.
    enabled_at  INTEGER
);
CREATE UNIQUE INDEX rules_name ON rules (name COLLATE NOCASE);

-- A live rule's log: each ticket at most once per rule version (so a rule's own writes, or another
-- rule's, never set it off again), with the outcome of the job that applied it.
CREATE TABLE rule_runs (
    rule_id    INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    ticket_id  INTEGER NOT NULL,
    job_id     INTEGER,
    at         INTEGER NOT NULL,
    outcome    TEXT NOT NULL DEFAULT 'pending',   -- pending, done, skipped, failed, conflict
    PRIMARY KEY (rule_id, version, ticket_id)
) WITHOUT ROWID;

ALTER TABLE jobs ADD COLUMN guard TEXT;
